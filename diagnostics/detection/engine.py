"""One detection pass over a fleet as known on a day: baselines, expected counts, tests, alarms.

Pure: it takes the counts grouped (``Fleet``: cohorts of devices and first confirmed failures, as
the scan's SQL or the simulator produce them) and returns every cell with its figures. Days are
``date.toordinal()`` numbers; ages are weeks since the unit shipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from diagnostics.detection import statistics
from diagnostics.detection.baseline import Hazard, baseline_fit

IntArray = np.ndarray
FloatArray = np.ndarray

NO_WARRANTY_END = 10**6  # days: a unit with no warranty end stays at risk
MAX_WEEKS = 520  # the model cells' weekly series look back at most ten years
RECENT_WEEKS = 13  # the window whose rate ratio a cell's projection carries forward
LIFE_CAP_DAYS = 3 * 365  # a unit with no warranty end is watched for this long when setting thresholds


@dataclass(frozen=True)
class Settings:
    budget_per_year: float = 4.0  # false alarms a year over all cells
    lag_weeks: int = 3  # the most recent weeks are left out of the baseline fit (reports still coming in)
    min_observed: int = 3  # a cell with fewer confirmed failures never alarms


@dataclass
class Fleet:
    """The installed base and its confirmed failures, grouped.

    Cohorts: devices of the same model, lot, firmware, shipping day and warranty length, and how
    many. Failures: the first confirmed failure of a component on a unit, grouped the same way plus
    the component, the day it was reported and the day it was known (diagnosed). Lot and firmware
    indices are -1 where the device has none.
    """

    models: list[str]
    lots: list[str]
    firmwares: list[str]
    components: list[str]
    c_model: IntArray
    c_lot: IntArray
    c_fw: IntArray
    c_ship: IntArray
    c_warranty: IntArray  # days from shipping to the warranty's end
    c_count: IntArray
    f_model: IntArray
    f_lot: IntArray
    f_fw: IntArray
    f_comp: IntArray
    f_ship: IntArray
    f_warranty: IntArray
    f_report: IntArray
    f_known: IntArray
    f_count: IntArray

    @classmethod
    def empty(cls) -> Fleet:
        nothing = np.zeros(0, dtype=np.int64)
        return cls([], [], [], [], *([nothing] * 15))

    def known_on(self, day: int) -> Fleet:
        """What was known on ``day``: devices shipped by then, failures reported and diagnosed by then."""
        c = self.c_ship <= day
        f = (self.f_report <= day) & (self.f_known <= day)
        return Fleet(
            self.models,
            self.lots,
            self.firmwares,
            self.components,
            self.c_model[c],
            self.c_lot[c],
            self.c_fw[c],
            self.c_ship[c],
            self.c_warranty[c],
            self.c_count[c],
            self.f_model[f],
            self.f_lot[f],
            self.f_fw[f],
            self.f_comp[f],
            self.f_ship[f],
            self.f_warranty[f],
            self.f_report[f],
            self.f_known[f],
            self.f_count[f],
        )


# (kind, model, lot, firmware, component), names; lot and firmware None unless the cell has them
CellKey = tuple[str, str, str | None, str | None, str]


@dataclass
class Cell:
    kind: str  # "model", "lot" or "firmware"
    model: str
    lot: str | None
    firmware: str | None
    component: str
    observed: int
    expected: float
    units_in_service: int
    statistic: float
    threshold: float
    baseline: str = ""
    # failures the baseline expects from the cell's units between now and their warranties' ends
    expected_remaining: float = 0.0
    # the recent window (13 weeks ending where reports are complete): how the excess runs now
    recent_observed: int = 0
    recent_expected: float = 0.0

    @property
    def key(self) -> CellKey:
        return (self.kind, self.model, self.lot, self.firmware, self.component)

    @property
    def alarm(self) -> bool:
        return self.statistic >= self.threshold

    @property
    def rate_ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float("inf")


@dataclass
class Result:
    as_of: date
    cells: list[Cell] = field(default_factory=list)
    thresholds: statistics.Thresholds | None = None
    baselines: dict[tuple[str, str], Hazard] = field(default_factory=dict)

    @property
    def alarms(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.alarm]


def _weeks(days: IntArray | int) -> FloatArray:
    return np.asarray(days, dtype=np.float64) / 7.0


def _flagged_rows(
    fleet: Fleet, model: int, comp: str, flagged: set[CellKey], lots: IntArray, fws: IntArray
) -> tuple[NDArray, NDArray]:
    """Which rows (of cohorts or failures) lie in a flagged lot cell, and which in a flagged firmware cell."""
    name = fleet.models[model]
    mine = [k for k in flagged if k[1] == name and k[4] == comp]
    flagged_lots = [fleet.lots.index(k[2]) for k in mine if k[0] == "lot" and k[2] in fleet.lots]
    flagged_fws = [fleet.firmwares.index(k[3]) for k in mine if k[0] == "firmware" and k[3] in fleet.firmwares]
    in_lot = np.isin(lots, flagged_lots) if flagged_lots else np.zeros(len(lots), dtype=bool)
    in_fw = np.isin(fws, flagged_fws) if flagged_fws else np.zeros(len(fws), dtype=bool)
    return in_lot, in_fw


def detect(
    fleet: Fleet, *, as_of: date, settings: Settings | None = None, flagged: set[CellKey] | None = None
) -> Result:
    """Every cell of the fleet as known on ``as_of``, with its observed and expected failures and its test."""
    settings = settings or Settings()
    flagged = flagged or set()
    today = as_of.toordinal()
    fleet = fleet.known_on(today)
    result = Result(as_of=as_of)
    if len(fleet.c_count) == 0:
        return result

    # Failures that count: reported after shipping and within the warranty.
    age_days = fleet.f_report - fleet.f_ship
    valid = (age_days >= 0) & (age_days <= fleet.f_warranty)
    f_model, f_lot, f_fw, f_comp = fleet.f_model[valid], fleet.f_lot[valid], fleet.f_fw[valid], fleet.f_comp[valid]
    f_ship, f_warranty, f_report, f_count = (
        fleet.f_ship[valid],
        fleet.f_warranty[valid],
        fleet.f_report[valid],
        fleet.f_count[valid].astype(np.float64),
    )

    # The cells: components seen failing on a model, crossed with the model's lots and firmware versions.
    fit_end = today - 7 * settings.lag_weeks
    first_ship = int(fleet.c_ship.min())
    years = max((today - first_ship) / 365.25, 0.25)
    pairs = sorted({(int(m), int(c)) for m, c in zip(f_model, f_comp, strict=True)})
    components_of: dict[int, list[int]] = {}
    for m, c in pairs:
        components_of.setdefault(m, []).append(c)
    lot_cells = fw_cells = 0
    for m, comps in components_of.items():
        in_model = fleet.c_model == m
        lot_cells += len(np.unique(fleet.c_lot[in_model & (fleet.c_lot >= 0)])) * len(comps)
        fw_cells += len(np.unique(fleet.c_fw[in_model & (fleet.c_fw >= 0)])) * len(comps)
    limits = statistics.thresholds(
        budget_per_year=settings.budget_per_year,
        lot_cells_per_year=lot_cells / years,
        firmware_cells_per_year=fw_cells / years,
        model_cells=len(pairs),
    )
    result.thresholds = limits

    # (model, component, observed a week, expected a week, units)
    model_rows: list[tuple[int, int, FloatArray, FloatArray, int, float]] = []
    for m, comps in components_of.items():
        in_model = fleet.c_model == m
        c_lot, c_fw = fleet.c_lot[in_model], fleet.c_fw[in_model]
        c_ship, c_warranty = fleet.c_ship[in_model], fleet.c_warranty[in_model]
        c_count = fleet.c_count[in_model].astype(np.float64)
        exit_now = _weeks(np.minimum(today - c_ship, c_warranty))
        # weekly grid for the model cells, ending today
        day_keys, day_index = np.unique(np.stack([c_ship, c_warranty]), axis=1, return_inverse=True)
        by_day_ship = day_keys[0]
        by_day_exit = _weeks(np.minimum(today - day_keys[0], day_keys[1]))
        day_index = day_index.ravel()
        n_weeks = int(min(MAX_WEEKS, max(1, -(-(today - int(c_ship.min())) // 7))))
        bounds = today - 7 * np.arange(n_weeks, -1, -1)
        for c in comps:
            name, comp = fleet.models[m], fleet.components[c]
            mine = (f_model == m) & (f_comp == c)
            t_fail = _weeks(f_report[mine] - f_ship[mine])
            fl_lot, fl_fw, fl_count = f_lot[mine], f_fw[mine], f_count[mine]
            fl_ship, fl_warranty, fl_report = f_ship[mine], f_warranty[mine], f_report[mine]

            # Flagged cells: their units leave the baseline, and the cells that overlap them (a lot's
            # firmware, its model) allow for them, so one fault is not counted again where it is known.
            c_flag_lot, c_flag_fw = _flagged_rows(fleet, m, comp, flagged, c_lot, c_fw)
            f_flag_lot, f_flag_fw = _flagged_rows(fleet, m, comp, flagged, fl_lot, fl_fw)
            model_flagged = ("model", name, None, None, comp) in flagged

            # the baseline, from what was known up to the reporting-lag window, without flagged cells
            keep_c = (c_ship <= fit_end) & ~c_flag_lot & ~c_flag_fw
            keep_f = (fl_report <= fit_end) & ~f_flag_lot & ~f_flag_fw
            censor_c = _weeks(np.minimum(fit_end - c_ship[keep_c], c_warranty[keep_c]))
            censor_f = _weeks(np.minimum(fit_end - fl_ship[keep_f], fl_warranty[keep_f]))
            exit_ages = np.concatenate([censor_c, t_fail[keep_f], censor_f])
            exit_weights = np.concatenate([c_count[keep_c], fl_count[keep_f], -fl_count[keep_f]])
            hazard = baseline_fit(exit_ages, exit_weights, t_fail[keep_f], fl_count[keep_f])
            result.baselines[(name, comp)] = hazard
            described = hazard.describe()

            # expected failures to date: every unit from shipping until now or its warranty's end,
            # less what failed units would have added after they failed
            exit_f = _weeks(np.minimum(today - fl_ship, fl_warranty))
            expected_rows = c_count * hazard.cumulative(exit_now)
            # what each unit is expected to contribute over its whole watch (until its warranty ends)
            life_rows = c_count * hazard.cumulative(_weeks(np.minimum(c_warranty, LIFE_CAP_DAYS)))
            lost = fl_count * (hazard.cumulative(exit_f) - hazard.cumulative(t_fail))
            # the recent window, ending where reports are complete (the lag): [window_start, fit_end]
            window_start = fit_end - 7 * RECENT_WEEKS
            recent_rows = c_count * (
                hazard.cumulative(_weeks(np.clip(np.minimum(fit_end - c_ship, c_warranty), 0, None)))
                - hazard.cumulative(_weeks(np.clip(np.minimum(window_start - c_ship, c_warranty), 0, None)))
            )
            f_recent = (fl_report > window_start) & (fl_report <= fit_end)
            # what is still to come: from now until each running unit's warranty ends (failed units are out)
            remaining_rows = np.maximum(life_rows - expected_rows, 0.0)
            remaining_lost = fl_count * np.maximum(
                hazard.cumulative(_weeks(np.minimum(fl_warranty, LIFE_CAP_DAYS))) - hazard.cumulative(exit_f), 0.0
            )
            # Firmware cells first: one leaves out the units of flagged lots (unless flagged itself), as their
            # failures are explained. Then lot cells, judged against their firmware's own rate where that
            # firmware is flagged, so a lot of a faulty release alarms only if it is worse still.
            fw_ratio = np.ones(len(fleet.firmwares))
            for kind, c_key, f_key, names, alpha in (
                ("firmware", c_fw, fl_fw, fleet.firmwares, limits.alpha_firmware),
                ("lot", c_lot, fl_lot, fleet.lots, limits.alpha_lot),
            ):
                if kind == "firmware":
                    has = (c_key >= 0) & (~c_flag_lot | c_flag_fw)
                    f_has = (f_key >= 0) & (~f_flag_lot | f_flag_fw)
                    rows_expected, rows_lost = expected_rows, lost
                    rows_remaining, rows_remaining_lost = remaining_rows, remaining_lost
                    rows_recent = recent_rows
                else:
                    has, f_has = c_key >= 0, f_key >= 0
                    rows_expected = expected_rows * np.where(c_fw >= 0, fw_ratio[np.maximum(c_fw, 0)], 1.0)
                    rows_lost = lost * np.where(fl_fw >= 0, fw_ratio[np.maximum(fl_fw, 0)], 1.0)
                    rows_remaining = remaining_rows * np.where(c_fw >= 0, fw_ratio[np.maximum(c_fw, 0)], 1.0)
                    rows_remaining_lost = remaining_lost * np.where(fl_fw >= 0, fw_ratio[np.maximum(fl_fw, 0)], 1.0)
                    rows_recent = recent_rows * np.where(c_fw >= 0, fw_ratio[np.maximum(c_fw, 0)], 1.0)
                units_of = np.bincount(c_key[has], weights=c_count[has], minlength=len(names))
                expected = np.bincount(c_key[has], weights=rows_expected[has], minlength=len(names))
                expected -= np.bincount(f_key[f_has], weights=rows_lost[f_has], minlength=len(names))
                observed = np.bincount(f_key[f_has], weights=fl_count[f_has], minlength=len(names))
                remaining = np.bincount(c_key[has], weights=rows_remaining[has], minlength=len(names))
                remaining -= np.bincount(f_key[f_has], weights=rows_remaining_lost[f_has], minlength=len(names))
                recent_e = np.bincount(c_key[has], weights=rows_recent[has], minlength=len(names))
                in_window = f_has & f_recent
                recent_o = np.bincount(f_key[in_window], weights=fl_count[in_window], minlength=len(names))
                if kind == "firmware" and c_flag_fw.any():
                    # the flagged release's own rate, without its flagged lots (whose excess it would echo)
                    flagged_fws = np.unique(c_fw[c_flag_fw])
                    rest, f_rest = has & ~c_flag_lot, f_has & ~f_flag_lot
                    rest_expected = np.bincount(c_key[rest], weights=rows_expected[rest], minlength=len(names))
                    rest_expected -= np.bincount(f_key[f_rest], weights=rows_lost[f_rest], minlength=len(names))
                    rest_observed = np.bincount(f_key[f_rest], weights=fl_count[f_rest], minlength=len(names))
                    fw_ratio[flagged_fws] = np.maximum(
                        1.0, rest_observed[flagged_fws] / np.maximum(rest_expected[flagged_fws], 1e-9)
                    )
                present = np.flatnonzero(np.bincount(c_key[has], minlength=len(names)) > 0)
                stat = statistics.mixture_log_lr(observed[present], np.maximum(expected[present], 0.0))
                life = np.bincount(c_key[has], weights=life_rows[has], minlength=len(names))
                limit = (
                    statistics.cohort_thresholds(alpha, life[present])
                    if settings.min_observed >= statistics.COHORT_MIN_OBSERVED
                    else np.full(len(present), -np.log(alpha))  # the table assumes the minimum count: Ville
                )
                for i, index in enumerate(present):
                    result.cells.append(
                        Cell(
                            kind=kind,
                            model=name,
                            lot=names[index] if kind == "lot" else None,
                            firmware=names[index] if kind == "firmware" else None,
                            component=comp,
                            observed=int(observed[index]),
                            expected=float(max(expected[index], 0.0)),
                            units_in_service=int(units_of[index]),
                            statistic=float(stat[i]) if observed[index] >= settings.min_observed else 0.0,
                            threshold=float(limit[i]),
                            baseline=described,
                            expected_remaining=float(max(remaining[index], 0.0)),
                            recent_observed=int(recent_o[index]),
                            recent_expected=float(max(recent_e[index], 0.0)),
                        )
                    )

            # the model cell's weekly series (units shipped on the same day with the same warranty together),
            # without the units of flagged lot and firmware cells unless the model cell is flagged itself
            c_use = np.ones(len(c_count), dtype=bool) if model_flagged else ~c_flag_lot & ~c_flag_fw
            f_use = np.ones(len(fl_count), dtype=bool) if model_flagged else ~f_flag_lot & ~f_flag_fw
            day_count = np.bincount(day_index[c_use], weights=c_count[c_use], minlength=len(by_day_ship))
            ages = np.clip(_weeks(bounds[None, :] - by_day_ship[:, None]), 0.0, by_day_exit[:, None])
            weekly = np.diff(hazard.cumulative(ages), axis=1).T @ day_count
            f_ages = np.clip(_weeks(bounds[None, :] - fl_ship[:, None]), t_fail[:, None], exit_f[:, None])
            weekly -= np.diff(hazard.cumulative(f_ages), axis=1).T @ (fl_count * f_use)
            model_units = int(c_count[c_use].sum())
            model_remaining = float(remaining_rows[c_use].sum() - remaining_lost[f_use].sum())
            week_of = n_weeks - 1 - (today - fl_report) // 7
            inside = (week_of >= 0) & f_use
            observed_weekly = np.bincount(week_of[inside], weights=fl_count[inside], minlength=n_weeks)
            model_rows.append((m, c, observed_weekly, np.maximum(weekly, 0.0), model_units, max(model_remaining, 0.0)))

    # model cells: Shiryaev–Roberts over their weekly series (padded at the start to a common length)
    if model_rows:
        width = max(len(row[2]) for row in model_rows)
        observed_all = np.zeros((len(model_rows), width))
        expected_all = np.zeros((len(model_rows), width))
        for i, (_m, _c, o, e, _u, _r) in enumerate(model_rows):
            observed_all[i, width - len(o) :] = o
            expected_all[i, width - len(e) :] = e
        path = statistics.shiryaev_roberts_log(observed_all, expected_all)
        window_o, window_e, _ = statistics.change_window(observed_all, expected_all)
        total_o = observed_all.sum(axis=1)
        for i, (m, c, _o, _e, units, remaining_model) in enumerate(model_rows):
            name, comp = fleet.models[m], fleet.components[c]
            result.cells.append(
                Cell(
                    kind="model",
                    model=name,
                    lot=None,
                    firmware=None,
                    component=comp,
                    observed=int(window_o[i]),
                    expected=float(window_e[i]),
                    units_in_service=units,
                    statistic=float(path[i, -1]) if total_o[i] >= settings.min_observed else 0.0,
                    threshold=limits.model,
                    baseline=result.baselines[(name, comp)].describe(),
                    expected_remaining=remaining_model,
                )
            )
    return result
