"""Calibration of a signal's projected excess and its 80 % interval (SPEC §7), on simulated fleets.

    nice -n 10 .venv/bin/python benchmarks/magnitude_coverage.py --seeds 8 --workers 2

For each fault kind (``detection_quality.fault_for``: a ×5 lot, a 2 % defective sub-population, a ×3
firmware release, a ×3 supplier change) and seed, a fleet from ``tests.generators.fleets`` is
simulated with 130 weeks of lots and 120 more weeks of field history, long enough for every unit
built to reach its warranty's end. The scan is replayed weekly (in memory, as ``detect_faults
--backtest`` does) from the fault's start until a cell holding faulty units alarms; that cell's
projection (``statistics.projected_excess`` on its observed, expected and remaining-expected
failures) is taken then and 8 weeks later, and compared with the truth:

    true excess to come = the cell's units' (those in service on the day) counted failures reported
                          after the day and within their warranty, as the scan counts them
                        − the same count expected had there been no fault (the generator's own model,
                          friction included, by Monte Carlo over the same units: 20 replications).

Prints, per fault kind and moment, how often the truth fell inside the 80 % interval (target 75 %
to 85 %), below it and above it, and the median ratio of the projection to the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "out" / "magnitude_coverage.jsonl"

FAULTS = ["lot_hazard", "lot_subpopulation", "firmware_step", "supplier_change"]
HISTORY_WEEKS = 120
LATER_WEEKS = 8
REPLICATIONS = 20


def _cell_units(sim, key) -> np.ndarray:
    kind, model, lot, firmware, _component = key
    m = [spec.sku for spec in sim.spec.models].index(model)
    members = sim.model == m
    if kind == "lot":
        members &= sim.lot == sim.lots.index(lot)
    elif kind == "firmware":
        members &= sim.firmware == sim.firmwares.index(firmware)
    return members


def _counted_after(sim, members: np.ndarray, component: int, day: int) -> int:
    """Realised: the units' first confirmed failures of ``component`` reported after ``day``, within warranty."""
    confirmed = (sim.r_outcome == 0) & (sim.r_component == component) & members[sim.r_unit]
    unit, reported = sim.r_unit[confirmed], sim.r_reported[confirmed]
    order = np.lexsort((reported, unit))
    unit, reported = unit[order], reported[order]
    first = np.ones(len(unit), dtype=bool)
    first[1:] = unit[1:] != unit[:-1]
    unit, reported = unit[first], reported[first]
    inside = reported - sim.shipped[unit] <= sim.warranty_days[unit]
    return int(((reported > day) & inside).sum())


def _expected_after_null(sim, members: np.ndarray, component: int, day: int, rng) -> float:
    """Expected under no fault, by replaying the generator's model (lifetimes and friction) on the same units."""
    spec = sim.spec
    friction = spec.friction
    units = np.flatnonzero(members)
    shipped, warranty = sim.shipped[units], sim.warranty_days[units]
    hazard = np.array([m.hazard for m in spec.models])[sim.model[units]]
    n_comp = len(spec.components)
    total = 0.0
    for _ in range(REPLICATIONS):
        service = shipped + rng.integers(0, friction.service_delay_days + 1, size=len(units))
        first = np.full(len(units), np.iinfo(np.int64).max)
        for j, spec_c in enumerate(spec.components):
            life = spec_c.scale_weeks * rng.weibull(spec_c.shape, size=len(units)) / hazard ** (1.0 / spec_c.shape)
            failed = (service + life * 7.0).astype(np.int64)
            within = failed <= shipped + warranty
            returned = rng.random(len(units)) < np.where(
                within, 1.0 - friction.unreturned, friction.returned_after_warranty
            )
            confirmed = rng.random(len(units)) >= friction.cause_unknown
            wrong = rng.random(len(units)) < friction.mislabelled
            label = np.where(wrong, (j + rng.integers(1, n_comp, size=len(units))) % n_comp, j)
            lag = np.round(rng.gamma(2.0, friction.report_lag_days / 2.0, size=len(units))).astype(np.int64)
            counts = returned & confirmed & (label == component)
            first = np.where(counts, np.minimum(first, failed + lag), first)
        ok = (first > day) & (first - shipped <= warranty) & (first < np.iinfo(np.int64).max)
        total += ok.sum()
    return total / REPLICATIONS


def run_fleet(kind: str, seed: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from detection_quality import START, WINDOW_WEEKS, fault_for, fleet_places, overlaps

    from diagnostics.detection.engine import detect
    from diagnostics.detection.statistics import projected_excess
    from tests.generators.fleets import FleetSpec, simulate

    fault = fault_for(kind, seed)
    sim = simulate(FleetSpec(start=START, seed=seed, faults=(fault,), history_weeks=HISTORY_WEEKS))
    fleet = sim.fleet()
    truth = sim.truth[0]
    truth_row = {**truth.__dict__, "began_on": truth.began_on.isoformat()}
    lots, last_build = fleet_places(sim)
    row = {"lots": lots, "firmware_last_build": last_build}
    component = [c.code for c in sim.spec.components].index(truth.component)
    flagged: set = set()
    found = None
    day = truth.began_on + timedelta(weeks=4)
    stop = truth.began_on + timedelta(weeks=WINDOW_WEEKS)
    while day <= stop and found is None:
        result = detect(fleet, as_of=day, flagged=flagged)
        for cell in result.alarms:
            if cell.key not in flagged:
                flagged.add(cell.key)
                inside, _named = overlaps(cell.key, truth_row, row)
                if inside and found is None:
                    found = (day, cell.key)
        if found is None:
            day += timedelta(weeks=1)
    out = {"kind": kind, "seed": seed, "moments": []}
    if found is None:
        return out
    rng = np.random.default_rng(seed)
    first_day, key = found
    for label, when in (
        ("first detection", first_day),
        (f"{LATER_WEEKS} weeks later", first_day + timedelta(weeks=LATER_WEEKS)),
    ):
        result = detect(fleet, as_of=when, flagged=flagged)
        cell = next(c for c in result.cells if c.key == key)
        projection = projected_excess(cell.observed, cell.expected, cell.expected_remaining)
        recent = projected_excess(cell.recent_observed, cell.recent_expected, cell.expected_remaining)
        members = _cell_units(sim, key) & (sim.shipped <= when.toordinal())
        realised = _counted_after(sim, members, component, when.toordinal())
        null = _expected_after_null(sim, members, component, when.toordinal(), rng)
        out["moments"].append(
            {
                "moment": label,
                "cell": list(key),
                "observed": cell.observed,
                "expected": cell.expected,
                "remaining": cell.expected_remaining,
                "projected": projection.excess,
                "low": projection.low,
                "high": projection.high,
                "recent_observed": cell.recent_observed,
                "recent_expected": cell.recent_expected,
                "recent": [recent.excess, recent.low, recent.high],
                "truth": realised - null,
            }
        )
    return out


def report(rows: list[dict]) -> None:
    print("| fault | moment | runs | inside 80 % | below | above | median projected / true |")
    print("|---|---|---:|---:|---:|---:|---:|")
    totals: dict[str, list[int]] = {}
    for kind in FAULTS:
        for moment in ("first detection", f"{LATER_WEEKS} weeks later"):
            cases = [m for r in rows if r["kind"] == kind for m in r["moments"] if m["moment"] == moment]
            if not cases:
                continue
            inside = sum(m["low"] <= m["truth"] <= m["high"] for m in cases)
            below = sum(m["truth"] < m["low"] for m in cases)
            ratios = [m["projected"] / m["truth"] for m in cases if m["truth"] > 0]
            total = totals.setdefault(moment, [0, 0])
            total[0] += inside
            total[1] += len(cases)
            print(
                f"| {kind} | {moment} | {len(cases)} | {inside / len(cases):.0%} | {below / len(cases):.0%} | "
                f"{(len(cases) - inside - below) / len(cases):.0%} | "
                f"{np.median(ratios) if ratios else float('nan'):.2f} |"
            )
    for moment, (inside, count) in totals.items():
        print(f"\nAll faults, {moment}: {inside} of {count} inside ({inside / count:.0%}).")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="only print the table from the saved results")
    args = parser.parse_args()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not args.report:
        jobs = [(kind, seed) for seed in range(args.first_seed, args.first_seed + args.seeds) for kind in FAULTS]
        with ProcessPoolExecutor(max_workers=args.workers) as pool, OUT.open("a") as out:
            futures = [pool.submit(run_fleet, kind, seed) for kind, seed in jobs]
            for future in as_completed(futures):
                row = future.result()
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(row["kind"], row["seed"], [round(m["truth"], 1) for m in row["moments"]], flush=True)
    rows = [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()]
    report(rows)


if __name__ == "__main__":
    main()
