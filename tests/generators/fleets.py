"""Simulated fleets with known faults, for the tests and for measuring detection (SPEC §10).

A fleet is several product models built in weekly lots of varying size. Each unit ships some days
after its lot is built and goes into service some days after that; each component has a Weibull
lifetime from the start of service (wear-out components have a shape above 1). Failures are
reported after a lag; about a fifth are never returned; returns past the warranty are rarer; some
returns find no fault or customer damage; about one component in ten is recorded as another.
Faults can be injected: a lot whose hazard is multiplied, a defective sub-population in a lot, a
firmware release that multiplies a component's hazard, a supplier change from a build date.

Everything is vectorised with numpy from one seeded generator. The result gives the rows that
``import_devices`` and ``import_failures`` read (``devices_csv``/``failures_csv`` write them), the
ground truth, and the ``engine.Fleet`` the scan would load from those rows (for fast replays).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from core.csv_safety import SafeDictWriter
from diagnostics.detection.engine import Fleet


@dataclass(frozen=True)
class ComponentSpec:
    code: str
    shape: float  # Weibull β: below 1 infant mortality, above 1 wear-out
    per_year: float  # share of units failing within their first year of service

    @property
    def scale_weeks(self) -> float:
        return 52.0 / (-np.log1p(-self.per_year)) ** (1.0 / self.shape)


@dataclass(frozen=True)
class ModelSpec:
    sku: str
    name: str
    warranty_months: int
    units_per_week: float  # median lot size
    firmware: tuple[tuple[int, str], ...]  # (from week, version), in release order
    hazard: float = 1.0  # multiplies every component's hazard


@dataclass(frozen=True)
class Fault:
    """An injected fault. ``kind``: lot_hazard, lot_subpopulation, firmware_step or supplier_change."""

    kind: str
    model: str
    component: str
    multiplier: float = 1.0  # lot_hazard, firmware_step, supplier_change
    lot_week: int | None = None  # lot faults: the week the lot was built
    lot_size: int | None = None  # lot faults: forces the lot's size
    fraction: float = 0.0  # lot_subpopulation: share of the lot that is defective
    defect_scale_weeks: float = 13.0  # lot_subpopulation: the defect's Weibull scale (infant mortality: a quarter)
    defect_shape: float = 1.0
    firmware: str | None = None  # firmware_step: the faulty version
    from_week: int | None = None  # firmware_step: its release week; supplier_change: first affected build week


COMPONENTS = (
    ComponentSpec("battery", 2.2, 0.020),
    ComponentSpec("display", 1.0, 0.015),
    ComponentSpec("mainboard", 0.8, 0.015),
    ComponentSpec("charging-port", 1.8, 0.015),
    ComponentSpec("radio", 1.2, 0.010),
)

MODELS = (
    ModelSpec("PHN-A1", "Aurora phone", 24, 1400, ((0, "5.0"), (30, "5.1"), (70, "5.2"), (110, "5.3"))),
    ModelSpec("PHN-B2", "Breeze phone", 12, 1100, ((0, "3.4"), (40, "3.5"), (85, "3.6")), hazard=1.2),
    ModelSpec("TAB-T1", "Tide tablet", 24, 700, ((0, "2.1"), (55, "2.2"), (100, "2.3")), hazard=0.8),
)


@dataclass(frozen=True)
class Friction:
    """What makes field data messy (SPEC §10)."""

    ship_delay_days: int = 49  # shipped up to this long after the build
    service_delay_days: int = 28  # in service up to this long after shipping
    report_lag_days: float = 21.0  # mean delay from failure to report
    unreturned: float = 0.2  # failures in warranty never returned
    returned_after_warranty: float = 0.25  # failures after the warranty that are returned
    no_fault_found_per_year: float = 0.012  # returns with nothing wrong, per unit-year in service
    customer_damage_per_year: float = 0.004
    cause_unknown: float = 0.05  # real failures diagnosed with no confirmed cause
    mislabelled: float = 0.1  # confirmed failures recorded against another component


@dataclass(frozen=True)
class FleetSpec:
    start: date  # the first lot's build week (a Monday is tidy)
    weeks: int = 130  # weeks of lots built
    models: tuple[ModelSpec, ...] = MODELS
    components: tuple[ComponentSpec, ...] = COMPONENTS
    friction: Friction = Friction()
    faults: tuple[Fault, ...] = ()
    lot_size_spread: float = 0.6  # lognormal sigma of lot sizes around the median
    min_lot: int = 200
    max_lot: int = 4000
    seed: int = 0
    history_weeks: int = 0  # field history kept after the last lot's week (no lots built then)

    @property
    def end(self) -> date:
        """The day the history runs to: the last lot's build week plus a week, plus ``history_weeks``."""
        return self.start + timedelta(weeks=self.weeks + self.history_weeks)


@dataclass
class Truth:
    """An injected fault and where it lives: what a correct signal names, and when the fault began."""

    kind: str
    model: str
    component: str
    began_on: date  # the lot's build date, the release date, or the first affected build
    lot: str | None = None
    firmware: str | None = None
    affected_units: int = 0


@dataclass
class SimulatedFleet:
    spec: FleetSpec
    # one row per unit
    serial: np.ndarray
    model: np.ndarray  # index into spec.models
    lot: np.ndarray  # index into lots
    firmware: np.ndarray  # index into firmwares
    built: np.ndarray  # day numbers (date.toordinal())
    shipped: np.ndarray
    warranty_days: np.ndarray
    lots: list[str]
    firmwares: list[str]
    # one row per return
    r_unit: np.ndarray
    r_reported: np.ndarray
    r_component: np.ndarray  # recorded component, index into spec.components
    r_outcome: np.ndarray  # index into OUTCOMES
    truth: list[Truth] = field(default_factory=list)

    OUTCOMES = ("confirmed", "no_fault_found", "customer_damage", "cause_unknown")

    # Rows for the imports ----------------------------------------------------------------------------

    def device_rows(self, *, until: date | None = None) -> Iterator[dict[str, Any]]:
        """``import_devices`` rows; units shipped after ``until`` are in stock (no shipping date)."""
        last = (until or self.spec.end).toordinal()
        models = self.spec.models
        for i in range(len(self.serial)):
            model = models[self.model[i]]
            yield {
                "serial_number": self.serial[i],
                "model_sku": model.sku,
                "lot": self.lots[self.lot[i]],
                "manufactured_on": date.fromordinal(int(self.built[i])).isoformat(),
                "shipped_on": date.fromordinal(int(self.shipped[i])).isoformat() if self.shipped[i] <= last else "",
                "firmware_version": self.firmwares[self.firmware[i]],
                "model_name": model.name,
                "warranty_months": str(model.warranty_months),
            }

    def failure_rows(self, *, until: date | None = None, prefix: str = "SIM") -> Iterator[dict[str, Any]]:
        """``import_failures`` rows for the returns reported by ``until``."""
        last = (until or self.spec.end).toordinal()
        codes = [component.code for component in self.spec.components]
        for j in np.flatnonzero(self.r_reported <= last):
            yield {
                "external_id": f"{prefix}-{j + 1:07d}",
                "serial_number": self.serial[self.r_unit[j]],
                "reported_on": date.fromordinal(int(self.r_reported[j])).isoformat(),
                "component": codes[self.r_component[j]],
                "pattern_code": "",
                "outcome": self.OUTCOMES[self.r_outcome[j]],
            }

    def write(self, directory: Path, *, until: date | None = None) -> dict[str, Path]:
        """devices.csv, failures.csv (the imports' formats) and truth.json in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {name: directory / name for name in ("devices.csv", "failures.csv", "truth.json")}
        for name, rows in (
            ("devices.csv", self.device_rows(until=until)),
            ("failures.csv", self.failure_rows(until=until)),
        ):
            with paths[name].open("w", newline="", encoding="utf-8") as file:
                first = next(rows, None)
                if first is None:
                    continue
                writer = SafeDictWriter(file, fieldnames=list(first))
                writer.writeheader()
                writer.writerow(first)
                writer.writerows(rows)
        paths["truth.json"].write_text(json.dumps([_truth_json(t) for t in self.truth], indent=2), encoding="utf-8")
        return paths

    # The scan's view ------------------------------------------------------------------------------------

    def fleet(self) -> Fleet:
        """The grouped counts the scan would load from the imported rows (everything; filter with ``known_on``)."""
        keys = np.stack([self.model, self.lot, self.firmware, self.shipped, self.warranty_days], axis=1)
        unique, counts = np.unique(keys, axis=0, return_counts=True)
        # first confirmed failure per unit and recorded component
        confirmed = self.r_outcome == 0
        unit, comp, reported = self.r_unit[confirmed], self.r_component[confirmed], self.r_reported[confirmed]
        order = np.lexsort((reported, comp, unit))
        unit, comp, reported = unit[order], comp[order], reported[order]
        first = np.ones(len(unit), dtype=bool)
        first[1:] = (unit[1:] != unit[:-1]) | (comp[1:] != comp[:-1])
        unit, comp, reported = unit[first], comp[first], reported[first]
        f_keys = np.stack(
            [
                self.model[unit],
                self.lot[unit],
                self.firmware[unit],
                comp,
                self.shipped[unit],
                self.warranty_days[unit],
                reported,
            ],
            axis=1,
        )
        f_unique, f_counts = np.unique(f_keys, axis=0, return_counts=True) if len(f_keys) else (f_keys, unit)
        return Fleet(
            models=[m.sku for m in self.spec.models],
            lots=self.lots,
            firmwares=self.firmwares,
            components=[c.code for c in self.spec.components],
            c_model=unique[:, 0],
            c_lot=unique[:, 1],
            c_fw=unique[:, 2],
            c_ship=unique[:, 3],
            c_warranty=unique[:, 4],
            c_count=counts.astype(np.int64),
            f_model=f_unique[:, 0],
            f_lot=f_unique[:, 1],
            f_fw=f_unique[:, 2],
            f_comp=f_unique[:, 3],
            f_ship=f_unique[:, 4],
            f_warranty=f_unique[:, 5],
            f_report=f_unique[:, 6],
            f_known=f_unique[:, 6].copy(),
            f_count=np.asarray(f_counts, dtype=np.int64),
        )


def _truth_json(truth: Truth) -> dict[str, Any]:
    row = asdict(truth)
    row["began_on"] = truth.began_on.isoformat()
    return row


def _lot_name(model: ModelSpec, build: date) -> str:
    iso = build.isocalendar()
    return f"{model.sku.split('-')[0]}{model.sku[-2:]}-{iso.year % 100:02d}{iso.week:02d}"


def simulate(spec: FleetSpec) -> SimulatedFleet:
    """Build the fleet and its field history up to ``spec.end``."""
    rng = np.random.default_rng(spec.seed)
    friction = spec.friction
    start = spec.start.toordinal()
    end = spec.end.toordinal()
    lots: list[str] = []
    firmwares: list[str] = []
    firmware_index: dict[str, int] = {}
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("model", "lot", "fw", "built", "shipped", "warranty")}
    lot_faults = {(f.model, f.lot_week): f for f in spec.faults if f.lot_week is not None}
    lot_of_fault: dict[int, int] = {}  # fault index -> lot index
    for m, model in enumerate(spec.models):
        warranty_length = round(model.warranty_months * 30.4375)
        for week in range(spec.weeks):
            build = spec.start + timedelta(weeks=week)
            size = int(
                np.clip(
                    round(model.units_per_week * np.exp(rng.normal(0.0, spec.lot_size_spread))),
                    spec.min_lot,
                    spec.max_lot,
                )
            )
            fault = lot_faults.get((model.sku, week))
            if fault is not None and fault.lot_size:
                size = fault.lot_size
                lot_of_fault[spec.faults.index(fault)] = len(lots)
            lot_index = len(lots)
            lots.append(_lot_name(model, build))
            built = build.toordinal() + rng.integers(0, 5, size=size)
            shipped = built + rng.integers(2, friction.ship_delay_days + 1, size=size)
            for _since, version in model.firmware:
                if version not in firmware_index:
                    firmware_index[version] = len(firmwares)
                    firmwares.append(version)
            # the firmware loaded at shipping: the newest release by then
            release_days = np.array([start + 7 * since for since, _ in model.firmware])
            which = np.searchsorted(release_days, shipped, side="right") - 1
            versions = np.array([firmware_index[v] for _, v in model.firmware])
            columns["model"].append(np.full(size, m))
            columns["lot"].append(np.full(size, lot_index))
            columns["fw"].append(versions[np.maximum(which, 0)])
            columns["built"].append(built)
            columns["shipped"].append(shipped)
            columns["warranty"].append(np.full(size, warranty_length))
            if fault is not None and not fault.lot_size:
                lot_of_fault[spec.faults.index(fault)] = lot_index
    model_of = np.concatenate(columns["model"]).astype(np.int64)
    lot_of = np.concatenate(columns["lot"]).astype(np.int64)
    fw_of = np.concatenate(columns["fw"]).astype(np.int64)
    built = np.concatenate(columns["built"]).astype(np.int64)
    shipped = np.concatenate(columns["shipped"]).astype(np.int64)
    warranty = np.concatenate(columns["warranty"]).astype(np.int64)
    units = len(model_of)
    in_service = shipped + rng.integers(0, friction.service_delay_days + 1, size=units)
    model_hazard = np.array([model.hazard for model in spec.models])[model_of]

    # lifetimes: proportional hazards, so a multiplier m divides the Weibull scale by m^(1/shape)
    n_comp = len(spec.components)
    failed_at = np.empty((n_comp, units))
    truth: list[Truth] = []
    multipliers = np.ones((n_comp, units))
    defect: list[tuple[int, np.ndarray, Fault]] = []
    for index, fault in enumerate(spec.faults):
        c = [component.code for component in spec.components].index(fault.component)
        m = [model.sku for model in spec.models].index(fault.model)
        if fault.kind in ("lot_hazard", "lot_subpopulation"):
            lot_index = lot_of_fault[index]
            members = np.flatnonzero(lot_of == lot_index)
            began = spec.start + timedelta(weeks=fault.lot_week or 0)
            if fault.kind == "lot_hazard":
                multipliers[c, members] *= fault.multiplier
                affected = len(members)
            else:
                chosen = rng.choice(members, size=max(1, round(fault.fraction * len(members))), replace=False)
                defect.append((c, chosen, fault))
                affected = len(chosen)
            truth.append(
                Truth(fault.kind, fault.model, fault.component, began, lot=lots[lot_index], affected_units=affected)
            )
        elif fault.kind == "firmware_step":
            fw = firmware_index[str(fault.firmware)]
            members = np.flatnonzero((fw_of == fw) & (model_of == m))
            multipliers[c, members] *= fault.multiplier
            release = {v: w for w, v in spec.models[m].firmware}[str(fault.firmware)]
            began = spec.start + timedelta(weeks=release)
            truth.append(
                Truth(
                    fault.kind,
                    fault.model,
                    fault.component,
                    began,
                    firmware=fault.firmware,
                    affected_units=len(members),
                )
            )
        elif fault.kind == "supplier_change":
            began = spec.start + timedelta(weeks=fault.from_week or 0)
            members = np.flatnonzero((model_of == m) & (built >= began.toordinal()))
            multipliers[c, members] *= fault.multiplier
            truth.append(Truth(fault.kind, fault.model, fault.component, began, affected_units=len(members)))
        else:
            raise ValueError(f"Unknown fault kind {fault.kind!r}.")
    for c, component in enumerate(spec.components):
        hazard = model_hazard * multipliers[c]
        life = component.scale_weeks * rng.weibull(component.shape, size=units) / hazard ** (1.0 / component.shape)
        failed_at[c] = in_service + life * 7.0
    for c, chosen, fault in defect:
        life = fault.defect_scale_weeks * rng.weibull(fault.defect_shape, size=len(chosen))
        failed_at[c, chosen] = np.minimum(failed_at[c, chosen], in_service[chosen] + life * 7.0)

    # returns of real failures
    comp_index, unit_index = np.nonzero(failed_at < end)
    failed_day = failed_at[comp_index, unit_index].astype(np.int64)
    within = failed_day <= shipped[unit_index] + warranty[unit_index]
    returned = rng.random(len(unit_index)) < np.where(
        within, 1.0 - friction.unreturned, friction.returned_after_warranty
    )
    comp_index, unit_index, failed_day = comp_index[returned], unit_index[returned], failed_day[returned]
    lag = rng.gamma(2.0, friction.report_lag_days / 2.0, size=len(unit_index))
    reported = failed_day + np.round(lag).astype(np.int64)
    outcome = np.where(rng.random(len(unit_index)) < friction.cause_unknown, 3, 0)
    recorded = comp_index.copy()
    wrong = (outcome == 0) & (rng.random(len(unit_index)) < friction.mislabelled)
    recorded[wrong] = (comp_index[wrong] + rng.integers(1, n_comp, size=int(wrong.sum()))) % n_comp

    # returns with nothing (covered) wrong: a Poisson process over each unit's time in service
    service_years = np.maximum(end - in_service, 0) / 365.25
    extra_units, extra_outcomes = [], []
    for code, rate in ((1, friction.no_fault_found_per_year), (2, friction.customer_damage_per_year)):
        count = rng.poisson(rate * service_years)
        chosen = np.repeat(np.arange(units), count)
        extra_units.append(chosen)
        extra_outcomes.append(np.full(len(chosen), code))
    extra_unit = np.concatenate(extra_units)
    extra_day = in_service[extra_unit] + (rng.random(len(extra_unit)) * (end - in_service[extra_unit])).astype(np.int64)
    r_unit = np.concatenate([unit_index, extra_unit])
    r_reported = np.concatenate([reported, extra_day + 7])
    r_component = np.concatenate([recorded, rng.integers(0, n_comp, size=len(extra_unit))])
    r_outcome = np.concatenate([outcome, np.concatenate(extra_outcomes)])
    inside = r_reported <= end
    order = np.argsort(r_reported[inside], kind="stable")
    prefix = np.array([m.sku.replace("-", "") for m in spec.models])
    serial = np.char.add(np.char.add(prefix[model_of], "-"), np.char.zfill(np.arange(units).astype(str), 7))
    return SimulatedFleet(
        spec=spec,
        serial=serial,
        model=model_of,
        lot=lot_of,
        firmware=fw_of,
        built=built,
        shipped=shipped,
        warranty_days=warranty,
        lots=lots,
        firmwares=firmwares,
        r_unit=r_unit[inside][order],
        r_reported=r_reported[inside][order],
        r_component=r_component[inside][order].astype(np.int64),
        r_outcome=r_outcome[inside][order].astype(np.int64),
        truth=truth,
    )
