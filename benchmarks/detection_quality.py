"""Detection quality on simulated fleets (SPEC §10), against two baselines at equal false alarms.

    nice -n 10 .venv/bin/python benchmarks/detection_quality.py run --fleets 30 --workers 2
    .venv/bin/python benchmarks/detection_quality.py report

``run`` simulates fleets (``tests.generators.fleets``: three models, five components, weekly
lots of 200 to 4,000 units over 130 weeks, about 2,000 cells, with the friction of SPEC §10) with no
fault and with each kind of injected fault (the faulty component rotating through the five components
with the seed, the model and the build week drawn at random), and replays the scan weekly from week 52 to week 130
(1.5 years), in memory, exactly as ``detect_faults --backtest`` does on the database: each week sees
only what was known that day, and a cell that alarmed is flagged from then on. It also replays two
baselines over the same weeks and cells:

* naive: a lot's (or firmware version's) confirmed failures of a component reported over the last
  30 days, per unit in service, above twice its model's; alarm when that count also reaches n;
* plain CUSUM: a Poisson CUSUM (rate ratio 2) over calendar weeks per cell, with expected counts
  from age-bucketed (13-week) baseline hazards of the model and component fitted on all data so far;
  alarm when it reaches h.

Each fleet's results are appended to benchmarks/out/detection_quality.jsonl as they finish (so a
partial run can be reported). ``report`` reads that file, calibrates n and h on the null fleets to
the false-alarm rate the scan reached there (the lowest threshold at or below it), and prints the
table. Delays count weeks from the faulty lot's build date, the firmware's release, or the first
build after a supplier change, to the first weekly scan that raised a cell overlapping the fault
(same model and component, containing affected units); a fault is missed when nothing is raised
within 52 weeks. Localised: that first signal names the faulty lot (lot faults), the faulty
firmware version (firmware faults), or an affected lot or the model (supplier changes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core a worker
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
RESULTS = OUT / "detection_quality.jsonl"

START = date(2023, 1, 2)
FIRST_SCAN, LAST_SCAN = 52, 130  # weeks after the first lot
WINDOW_WEEKS = 52  # a fault not raised within this many weeks of its start is missed
SCENARIOS = ["null", "lot_hazard", "lot_subpopulation", "firmware_step", "supplier_change"]
NAIVE_GRID = list(range(1, 301))
CUSUM_GRID = [round(0.1 * i, 1) for i in range(1, 601)]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def fault_for(scenario: str, seed: int):
    from tests.generators.fleets import COMPONENTS, MODELS, Fault

    rng = np.random.default_rng(10_000 + seed)
    model = MODELS[int(rng.integers(len(MODELS)))]
    component = COMPONENTS[(seed - 1) % len(COMPONENTS)].code  # every component equally often
    week = int(rng.integers(56, LAST_SCAN - WINDOW_WEEKS + 1))
    if scenario == "lot_hazard":
        return Fault("lot_hazard", model.sku, component, multiplier=5.0, lot_week=week, lot_size=1500)
    if scenario == "lot_subpopulation":
        return Fault("lot_subpopulation", model.sku, component, fraction=0.02, lot_week=week, lot_size=1500)
    if scenario == "firmware_step":
        # a release inside the scanned period, with a year of scans after it
        releases = [(w, v) for w, v in model.firmware if FIRST_SCAN <= w <= LAST_SCAN - WINDOW_WEEKS]
        if not releases:
            model = next(m for m in MODELS if any(FIRST_SCAN <= w <= LAST_SCAN - WINDOW_WEEKS for w, _ in m.firmware))
            releases = [(w, v) for w, v in model.firmware if FIRST_SCAN <= w <= LAST_SCAN - WINDOW_WEEKS]
        _w, version = releases[int(rng.integers(len(releases)))]
        return Fault("firmware_step", model.sku, component, multiplier=3.0, firmware=version)
    if scenario == "supplier_change":
        return Fault("supplier_change", model.sku, component, multiplier=3.0, from_week=week)
    return None


# The baselines ---------------------------------------------------------------------------------------------


def _cells_index(fleet, kind):
    """Per cohort / failure row, the cell index of ``kind`` (lot, firmware, model) and the number of cells."""
    if kind == "lot":
        return fleet.c_lot, fleet.f_lot, len(fleet.lots)
    if kind == "firmware":
        return fleet.c_fw, fleet.f_fw, len(fleet.firmwares)
    return np.zeros(len(fleet.c_lot), dtype=np.int64), np.zeros(len(fleet.f_lot), dtype=np.int64), 1


def baselines_at(fleet, day: int):
    """Both baselines' statistics for every cell as known on ``day``: {cell key: (naive, cusum)}."""
    from scipy import sparse

    from diagnostics.detection.baseline import Hazard

    fleet = fleet.known_on(day)
    out: dict[tuple, list[float]] = {}
    age = fleet.f_report - fleet.f_ship
    valid = (age >= 0) & (age <= fleet.f_warranty)
    n_weeks = LAST_SCAN + 10
    bounds = day - 7 * np.arange(n_weeks, -1, -1)
    for m, model in enumerate(fleet.models):
        cm = fleet.c_model == m
        ship, warranty, count = fleet.c_ship[cm], fleet.c_warranty[cm], fleet.c_count[cm].astype(float)
        exit_now = np.minimum(day - ship, warranty) / 7.0
        serving = (day - ship) <= warranty
        day_keys, day_index = np.unique(np.stack([ship, warranty]), axis=1, return_inverse=True)
        day_index = day_index.ravel()
        day_exit = np.minimum(day - day_keys[0], day_keys[1]) / 7.0
        day_ages = np.clip((bounds[None, :] - day_keys[0][:, None]) / 7.0, 0.0, day_exit[:, None])
        for c, component in enumerate(fleet.components):
            fm = valid & (fleet.f_model == m) & (fleet.f_comp == c)
            if not fm.any():
                continue
            t_fail = (fleet.f_report[fm] - fleet.f_ship[fm]) / 7.0
            fcount = fleet.f_count[fm].astype(float)
            # age-bucketed hazard (13-week buckets), all data so far
            edges = np.arange(0.0, 13.0 * 9, 13.0)
            upper = np.append(edges[1:], np.inf)
            exposure = (
                (np.clip(exit_now[:, None], edges[None, :], upper[None, :]) - edges[None, :]) * count[:, None]
            ).sum(axis=0)
            bucket = np.clip(np.searchsorted(edges, t_fail, side="right") - 1, 0, len(edges) - 1)
            events = np.bincount(bucket, weights=fcount, minlength=len(edges))
            rates = np.where(exposure > 0, events / np.maximum(exposure, 1e-9), 0.0)
            hazard = Hazard("piecewise", edges=tuple(edges), rates=tuple(rates))
            # weekly expected per (shipping day, warranty), spread to cells by a sparse sum
            day_rates = np.diff(hazard.cumulative(day_ages), axis=1)
            f_report = fleet.f_report[fm]
            week_of = n_weeks - 1 - (day - f_report) // 7
            recent = f_report > day - 30
            for kind in ("lot", "firmware", "model"):
                c_key, f_key, size = _cells_index(fleet, kind)
                c_key, f_key = c_key[cm], f_key[fm]
                has = c_key >= 0
                indicator = sparse.csr_matrix((count[has], (c_key[has], day_index[has])), shape=(size, len(day_exit)))
                expected = np.asarray(indicator @ day_rates)
                observed = np.zeros((size, n_weeks))
                ok = (f_key >= 0) & (week_of >= 0)
                np.add.at(observed, (f_key[ok], week_of[ok]), fcount[ok])
                s = np.zeros(size)
                for week in range(n_weeks):
                    s = np.maximum(0.0, s + observed[:, week] * math.log(2.0) - expected[:, week])
                present = np.flatnonzero(np.bincount(c_key[has], minlength=size) > 0)
                # naive: the last 30 days' rate against the model's, in units in service
                units = np.bincount(c_key[has & serving], weights=count[has & serving], minlength=size)
                month = np.bincount(f_key[(f_key >= 0) & recent], weights=fcount[(f_key >= 0) & recent], minlength=size)
                model_rate = fcount[recent].sum() / max(count[serving].sum(), 1.0)
                for index in present:
                    key = (
                        kind,
                        model,
                        fleet.lots[index] if kind == "lot" else None,
                        fleet.firmwares[index] if kind == "firmware" else None,
                        component,
                    )
                    naive = 0.0
                    if kind != "model" and units[index] > 0 and month[index] / units[index] > 2 * model_rate:
                        naive = float(month[index])
                    out[key] = [naive, float(s[index])]
    return out


# One fleet ----------------------------------------------------------------------------------------------------


def fleet_places(sim) -> tuple[dict, dict]:
    """Each lot's first build day and firmware versions, and each firmware version's last build day."""
    lot_info = {}
    for lot_index, name in enumerate(sim.lots):
        members = sim.lot == lot_index
        if members.any():
            lot_info[name] = {
                "built": int(sim.built[members].min()),
                "firmware": sorted({sim.firmwares[i] for i in np.unique(sim.firmware[members])}),
            }
    firmware_last_build = {}
    for fw_index, name in enumerate(sim.firmwares):
        members = sim.firmware == fw_index
        if members.any():
            firmware_last_build[name] = int(sim.built[members].max())
    return lot_info, firmware_last_build


def run_fleet(scenario: str, seed: int) -> dict:
    _setup()
    from diagnostics.detection.engine import detect
    from tests.generators.fleets import FleetSpec, simulate

    started = time.time()
    fault = fault_for(scenario, seed)
    spec = FleetSpec(start=START, seed=seed, faults=(fault,) if fault else ())
    sim = simulate(spec)
    fleet = sim.fleet()
    flagged: set = set()
    ours: list = []
    records: dict[str, list] = {}  # cell -> [[week, naive max, cusum max], ...] when either max grows
    best: dict[tuple, list[float]] = {}
    cells = 0
    for week in range(FIRST_SCAN, LAST_SCAN + 1):
        day = START + timedelta(weeks=week)
        result = detect(fleet, as_of=day, flagged=flagged)
        cells = max(cells, len(result.cells))
        for cell in result.alarms:
            if cell.key not in flagged:
                flagged.add(cell.key)
                ours.append([week, list(cell.key), cell.observed, round(cell.expected, 2)])
        for key, (naive, cusum) in baselines_at(fleet, day.toordinal()).items():
            top = best.setdefault(key, [0.0, 0.0])
            if naive > top[0] or cusum > top[1]:
                top[0], top[1] = max(top[0], naive), max(top[1], cusum)
                records.setdefault(json.dumps(key), []).append([week, top[0], round(top[1], 3)])
    lot_info, firmware_last_build = fleet_places(sim)
    return {
        "scenario": scenario,
        "seed": seed,
        "cells": cells,
        "units": len(sim.serial),
        "returns": len(sim.r_unit),
        "truth": [{**t.__dict__, "began_on": t.began_on.isoformat()} for t in sim.truth],
        "ours": ours,
        "baselines": records,
        "lots": lot_info,
        "firmware_last_build": firmware_last_build,
        "seconds": round(time.time() - started, 1),
    }


# The report ---------------------------------------------------------------------------------------------------


def overlaps(key, truth, fleet_row) -> tuple[bool, bool]:
    """(the cell holds faulty units of the fault's component, and it names the fault's place)."""
    kind, model, lot, firmware, component = key
    if model != truth["model"] or component != truth["component"]:
        return False, False
    began = date.fromisoformat(truth["began_on"]).toordinal()
    lots = fleet_row["lots"]
    if truth["kind"] in ("lot_hazard", "lot_subpopulation"):
        if kind == "lot":
            return lot == truth["lot"], lot == truth["lot"]
        if kind == "firmware":
            return firmware in lots[truth["lot"]]["firmware"], False
        return True, False
    if truth["kind"] == "firmware_step":
        if kind == "firmware":
            return firmware == truth["firmware"], firmware == truth["firmware"]
        if kind == "lot":
            return truth["firmware"] in lots[lot]["firmware"], False
        return True, False
    # supplier change: lots built from the date on
    if kind == "lot":
        hit = lots[lot]["built"] >= began - 4
        return hit, hit
    if kind == "firmware":
        return fleet_row["firmware_last_build"].get(firmware, 0) >= began, False
    return True, True


def first_alarms(row, method: str, threshold: float | None) -> list[tuple[int, tuple]]:
    """[(week, cell key)] of first alarms, in week order."""
    if method == "ours":
        return [(week, tuple(key)) for week, key, *_ in row["ours"]]
    column = 1 if method == "naive" else 2
    alarms = []
    for key, steps in row["baselines"].items():
        for step in steps:
            if step[column] >= threshold:
                alarms.append((step[0], tuple(json.loads(key))))
                break
    return sorted(alarms)


def evaluate(rows, method, threshold=None) -> dict:
    years = (LAST_SCAN - FIRST_SCAN + 1) / 52.18
    null = [r for r in rows if r["scenario"] == "null"]
    null_alarms = sum(len(first_alarms(r, method, threshold)) for r in null)
    figures: dict = {"fa_per_year": null_alarms / (len(null) * years) if null else float("nan")}
    other = 0
    for scenario in SCENARIOS[1:]:
        delays, localised, detected, runs = [], 0, 0, 0
        by_component: dict[str, list[float]] = {}
        for r in (r for r in rows if r["scenario"] == scenario):
            truth = r["truth"][0]
            began = date.fromisoformat(truth["began_on"])
            runs += 1
            hit = None
            for week, key in first_alarms(r, method, threshold):
                day = START + timedelta(weeks=week)
                inside, named = overlaps(key, truth, r)
                if inside and day >= began:
                    if hit is None:
                        hit = (day, named)
                else:  # another cell, or this one before the fault began
                    other += 1
            if hit is not None and (hit[0] - began).days <= 7 * WINDOW_WEEKS:
                detected += 1
                delays.append((hit[0] - began).days / 7)
                by_component.setdefault(truth["component"], []).append((hit[0] - began).days / 7)
                localised += int(hit[1])
        figures[scenario] = {
            "runs": runs,
            "p_detect": detected / runs if runs else float("nan"),
            "median": float(np.median(delays)) if delays else float("nan"),
            "p90": float(np.percentile(delays, 90)) if delays else float("nan"),
            "localised": localised / detected if detected else float("nan"),
            "by_component": {c: float(np.median(d)) for c, d in sorted(by_component.items())},
            "runs_by_component": {c: len(d) for c, d in sorted(by_component.items())},
        }
    fault_runs = sum(1 for r in rows if r["scenario"] != "null")
    figures["fa_per_year_fault_fleets"] = other / (fault_runs * years) if fault_runs else float("nan")
    return figures


def calibrate(rows, method, grid, target) -> float:
    """The lowest threshold whose false alarms a year on the null fleets are at or below ``target``."""
    for threshold in grid:
        if evaluate([r for r in rows if r["scenario"] == "null"], method, threshold)["fa_per_year"] <= target:
            return threshold
    return grid[-1]


def report(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        return "No results yet."
    ours = evaluate(rows, "ours")
    target = ours["fa_per_year"]
    n = calibrate(rows, "naive", NAIVE_GRID, target)
    h = calibrate(rows, "cusum", CUSUM_GRID, target)
    naive, cusum = evaluate(rows, "naive", n), evaluate(rows, "cusum", h)
    counts = {s: sum(1 for r in rows if r["scenario"] == s) for s in SCENARIOS}
    cells = int(np.median([r["cells"] for r in rows]))
    units = int(np.median([r["units"] for r in rows]))
    lines = [
        f"{len(rows)} fleets ({', '.join(f'{s} {c}' for s, c in counts.items())}); median {cells:,} cells and "
        f"{units:,} units a fleet; weekly scans from week {FIRST_SCAN} to {LAST_SCAN} "
        f"({(LAST_SCAN - FIRST_SCAN + 1) / 52.18:.2f} years a fleet).",
        "",
        f"False alarms a year, fleets with no fault: scan {ours['fa_per_year']:.2f}; naive (n = {n}) "
        f"{naive['fa_per_year']:.2f}; plain CUSUM (h = {h}) {cusum['fa_per_year']:.2f}. Alarms away from the "
        f"fault in fleets with one: scan {ours['fa_per_year_fault_fleets']:.2f} a year.",
        "",
        "| fault | runs | P(detect) | median delay (weeks) | p90 delay | localised | naive: P / median "
        "| plain CUSUM: P / median |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS[1:]:
        o, a, b = ours[scenario], naive[scenario], cusum[scenario]
        lines.append(
            f"| {scenario} | {o['runs']} | {o['p_detect']:.2f} | {o['median']:.1f} | {o['p90']:.1f} | "
            f"{o['localised']:.0%} | {a['p_detect']:.2f} / {a['median']:.1f} | "
            f"{b['p_detect']:.2f} / {b['median']:.1f} |"
        )
    named = sum(ours[s]["localised"] * ours[s]["p_detect"] * ours[s]["runs"] for s in SCENARIOS[1:])
    found = sum(ours[s]["p_detect"] * ours[s]["runs"] for s in SCENARIOS[1:])
    if found:
        lines += ["", f"Localised, all detections: {named / found:.0%} ({round(named)} of {round(found)})."]
    lines += ["", "Median delay of the scan by faulty component (runs):", ""]
    for scenario in SCENARIOS[1:]:
        parts = [
            f"{c} {d:.0f} ({ours[scenario]['runs_by_component'][c]})" for c, d in ours[scenario]["by_component"].items()
        ]
        lines.append(f"- {scenario}: " + ", ".join(parts))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--fleets", type=int, default=20, help="fleets per scenario")
    run.add_argument("--first-seed", type=int, default=1)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--scenarios", nargs="*", default=SCENARIOS)
    sub.add_parser("report")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.command == "report":
        print(report(RESULTS))
        return
    done = set()
    if RESULTS.exists():
        for line in RESULTS.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                done.add((row["scenario"], row["seed"]))
    jobs = [
        (scenario, seed)
        for seed in range(args.first_seed, args.first_seed + args.fleets)
        for scenario in args.scenarios
        if (scenario, seed) not in done
    ]
    print(f"{len(jobs)} fleets to run ({len(done)} already in {RESULTS})", flush=True)
    with ProcessPoolExecutor(max_workers=args.workers) as pool, RESULTS.open("a") as out:
        futures = {pool.submit(run_fleet, scenario, seed): (scenario, seed) for scenario, seed in jobs}
        for future in as_completed(futures):
            row = future.result()
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"{row['scenario']} seed {row['seed']}: {len(row['ours'])} signal(s), {row['seconds']} s", flush=True)


if __name__ == "__main__":
    main()
