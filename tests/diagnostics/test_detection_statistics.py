"""The detection statistics against hand-computed cases, without a database (SPEC §7)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from diagnostics.detection import statistics
from diagnostics.detection.baseline import Hazard, baseline_fit, piecewise_fit, weibull_fit
from diagnostics.detection.engine import Fleet, Settings, detect

DAY0 = date(2024, 1, 1).toordinal()


def ints(values):
    return np.asarray(values, dtype=np.int64)


def fleet(cohorts, failures, *, lots=("A", "B"), firmwares=("1.0",), components=("battery",)) -> Fleet:
    """cohorts: (lot, fw, ship_day, warranty_days, count);
    failures: (lot, fw, comp, ship_day, warranty_days, report_day, count)."""
    c = list(zip(*cohorts, strict=True)) if cohorts else [[]] * 5
    f = list(zip(*failures, strict=True)) if failures else [[]] * 7
    return Fleet(
        models=["PHN-1"],
        lots=list(lots),
        firmwares=list(firmwares),
        components=list(components),
        c_model=ints([0] * len(cohorts)),
        c_lot=ints(c[0]),
        c_fw=ints(c[1]),
        c_ship=ints(c[2]),
        c_warranty=ints(c[3]),
        c_count=ints(c[4]),
        f_model=ints([0] * len(failures)),
        f_lot=ints(f[0]),
        f_fw=ints(f[1]),
        f_comp=ints(f[2]),
        f_ship=ints(f[3]),
        f_warranty=ints(f[4]),
        f_report=ints(f[5]),
        f_known=ints(f[5]),
        f_count=ints(f[6]),
    )


def cell(result, kind, key=None):
    for item in result.cells:
        if item.kind == kind and (key is None or key in (item.lot, item.firmware)):
            return item
    raise AssertionError(f"no {kind} cell {key}")


# The tests' statistics ---------------------------------------------------------------------------------------


def test_mixture_ratio_by_hand():
    # 3 failures where 1 was expected: the average over the ratios of k^3 e^{-(k-1)}
    by_hand = (
        sum(k**3 * math.exp(-(k - 1) * 1.0) for k in (1.5, 2.0, 3.0, 5.0, 8.0)) / 5
    )  # 2.047 + 2.943 + 3.654 + 2.290 + 0.467 = 11.40, over 5
    assert by_hand == pytest.approx(2.2803, abs=1e-3)
    assert statistics.mixture_log_lr(3, 1.0) == pytest.approx(math.log(by_hand))
    # nothing observed, nothing expected: no evidence either way
    assert statistics.mixture_log_lr(0, 0.0) == pytest.approx(0.0, abs=1e-12)
    # failures as expected are evidence against a fault
    assert statistics.mixture_log_lr(10, 10.0) < 0


def test_shiryaev_roberts_counts_weeks_when_nothing_happens():
    # with nothing expected and nothing observed every step multiplies by one: R_t = t
    path = statistics.shiryaev_roberts_log(np.zeros((1, 4)), np.zeros((1, 4)))
    assert np.exp(path[0]) == pytest.approx([1, 2, 3, 4])


def test_shiryaev_roberts_by_hand():
    observed, expected = np.array([[2.0, 0.0]]), np.array([[0.5, 0.5]])
    by_hand = 0.0
    for k in statistics.RATIOS:
        step1 = k**2 * math.exp(-(k - 1) * 0.5)
        step2 = math.exp(-(k - 1) * 0.5)
        by_hand += 0.2 * (1 + step1) * step2
    assert math.exp(statistics.shiryaev_roberts_log(observed, expected)[0, -1]) == pytest.approx(by_hand)


def test_change_window_finds_the_excess():
    observed = np.array([[1.0, 1.0, 1.0, 6.0, 7.0]])
    expected = np.array([[1.0, 1.0, 1.0, 1.0, 1.0]])
    o, e, weeks = statistics.change_window(observed, expected)
    assert (o[0], e[0], weeks[0]) == (13.0, 2.0, 2)


def test_thresholds_share_the_budget():
    limits = statistics.thresholds(
        budget_per_year=4.0, lot_cells_per_year=1000, firmware_cells_per_year=40, model_cells=20
    )
    shares = statistics.BUDGET_SHARES
    assert sum(shares.values()) == pytest.approx(1.0)
    assert limits.alpha_lot == pytest.approx(shares["lot"] * 4 / 1000)
    assert limits.lot == pytest.approx(-math.log(shares["lot"] * 4 / 1000))
    assert limits.alpha_firmware == pytest.approx(shares["firmware"] * 4 / 40)
    assert limits.model_arl_weeks == pytest.approx(20 * 365.25 / 7 / (shares["model"] * 4))
    # a tighter budget raises every threshold
    tighter = statistics.thresholds(
        budget_per_year=1.0, lot_cells_per_year=1000, firmware_cells_per_year=40, model_cells=20
    )
    assert tighter.lot > limits.lot and tighter.firmware > limits.firmware and tighter.model > limits.model
    with pytest.raises(ValueError):
        statistics.thresholds(budget_per_year=0, lot_cells_per_year=1, firmware_cells_per_year=1, model_cells=1)


def test_the_false_alarm_bound_holds_for_a_cohort_cell():
    # Ville: under the baseline a cell reaches log(1/α) with probability at most α, however long it is watched
    rng = np.random.default_rng(7)
    alpha = 0.05
    weekly = rng.poisson(0.4, size=(20_000, 80)).cumsum(axis=1)
    expected = 0.4 * np.arange(1, 81)
    ever = (statistics.mixture_log_lr(weekly, expected[None, :]) >= -math.log(alpha)).any(axis=1)
    assert ever.mean() <= alpha


def test_cohort_thresholds_are_calibrated_by_simulation():
    # a cell expecting 5 failures over its life, alpha 1 %: baseline paths cross its threshold about 1 % of the time
    alpha, expected = 0.01, 5.0
    threshold = statistics.cohort_thresholds(alpha, expected)
    highest = statistics.cohort_crossing_maxima(expected, paths=40_000, rng=np.random.default_rng(99))
    assert 0.006 <= (highest >= threshold).mean() <= 0.015
    # never above Ville's bound, and higher for cells expecting more failures (longer or bigger watches)
    values = statistics.cohort_thresholds(alpha, np.array([0.5, 5.0, 50.0, 500.0, 5000.0]))
    assert np.all(np.diff(values) >= 0)
    assert values.max() <= -math.log(alpha) + 1e-9
    assert values[-1] == pytest.approx(-math.log(alpha))
    # a tighter alpha, a higher threshold
    assert statistics.cohort_thresholds(0.001, expected) > threshold


# Baseline hazards --------------------------------------------------------------------------------------------


def test_weibull_cumulative_hazard():
    hazard = Hazard("weibull", shape=2.0, scale=50.0)
    assert hazard.cumulative(50.0) == pytest.approx(1.0)
    assert hazard.cumulative(np.array([0.0, 25.0])) == pytest.approx([0.0, 0.25])


def test_piecewise_fit_by_hand():
    # ten units: four fail at ages 1, 1, 3, 3 weeks; six are censored at 4 weeks; bins of 2 weeks, 2 failures each
    exits = np.array([1.0, 3.0, 4.0])
    exit_weights = np.array([2.0, 2.0, 6.0])
    hazard = piecewise_fit(exits, exit_weights, np.array([1.0, 3.0]), np.array([2.0, 2.0]), min_events=2, step=2.0)
    assert hazard.edges == (0.0, 2.0)
    # unit-weeks in [0, 2): 2 units × 1 + 8 units × 2 = 18; in [2, ∞): 2 × 1 + 6 × 2 = 14
    assert hazard.rates == pytest.approx((2.5 / 18, 2.5 / 14))
    # H at the bin edges is exact; between them it is a monotone interpolation; past them, the last rate
    at_2, at_4 = 2 * 2.5 / 18, 2 * 2.5 / 18 + 2 * 2.5 / 14
    assert hazard.cumulative(np.array([0.0, 2.0, 4.0, 10.0])) == pytest.approx([0.0, at_2, at_4, at_4 + 6 * 2.5 / 14])
    assert at_2 < hazard.cumulative(3.0) < at_4


def _weibull_sample(rng, shape, scale, n, censor_at):
    life = scale * rng.weibull(shape, size=n)
    censor = rng.uniform(0, censor_at, size=n)
    return np.minimum(life, censor), life <= censor


def test_weibull_fit_handles_right_censoring_like_scipy():
    rng = np.random.default_rng(3)
    ages, failed = _weibull_sample(rng, 2.0, 60.0, 4000, 80.0)
    ours = weibull_fit(ages, np.ones_like(ages), ages[failed], np.ones(failed.sum()))
    assert ours is not None
    data = stats.CensoredData(uncensored=ages[failed], right=ages[~failed])
    shape, _loc, scale = stats.weibull_min.fit(data, floc=0)
    assert ours.shape == pytest.approx(shape, rel=0.01)
    assert ours.scale == pytest.approx(scale, rel=0.01)
    assert ours.shape == pytest.approx(2.0, rel=0.1)
    assert ours.scale == pytest.approx(60.0, rel=0.1)
    # ignoring the censored units (treating the survivors as never seen) gets it badly wrong
    naive = weibull_fit(ages[failed], np.ones(failed.sum()), ages[failed], np.ones(failed.sum()))
    assert naive is not None and naive.scale < 0.8 * 60.0


def test_baseline_falls_back_when_weibull_does_not_fit():
    # a hazard that steps up at 20 weeks (two populations): no single Weibull describes it
    rng = np.random.default_rng(5)
    early = rng.exponential(400.0, size=60_000)
    late = 20.0 + rng.exponential(15.0, size=60_000)
    life = np.minimum(early, late)
    censor = rng.uniform(0, 40, size=60_000)
    ages, failed = np.minimum(life, censor), life <= censor
    hazard = baseline_fit(ages, np.ones_like(ages), ages[failed], np.ones(failed.sum()))
    assert hazard.kind == "piecewise"
    # it follows the step: the hazard after 20 weeks is many times the one before
    before = hazard.cumulative(18.0) - hazard.cumulative(8.0)
    after = hazard.cumulative(32.0) - hazard.cumulative(22.0)
    assert after > 5 * before


def test_few_failures_give_a_constant_hazard():
    hazard = baseline_fit(np.array([10.0]), np.array([100.0]), np.array([5.0]), np.array([2.0]))
    assert hazard.kind == "constant"
    assert hazard.rates[0] == pytest.approx(2.5 / 1000)


# One pass of the engine --------------------------------------------------------------------------------------


def test_expected_counts_follow_units_in_service_and_their_age():
    # lot A: 100 units, lot B: 10 units, all shipped on day 0; four of A's fail at 2 weeks; ten weeks on
    data = fleet(
        [(0, 0, DAY0, 365, 100), (1, 0, DAY0, 365, 10)],
        [(0, 0, 0, DAY0, 365, DAY0 + 14, 4)],
    )
    result = detect(data, as_of=date.fromordinal(DAY0 + 70), settings=Settings(lag_weeks=0))
    # four failures: a constant hazard of 4.5 over the unit-weeks at risk, the failed units leaving at 2 weeks
    unit_weeks = 110 * 10 - 4 * 8
    assert result.baselines[("PHN-1", "battery")].kind == "constant"
    lot_a, lot_b = cell(result, "lot", "A"), cell(result, "lot", "B")
    assert lot_a.expected == pytest.approx(4.5 * (1000 - 32) / unit_weeks)
    assert lot_b.expected == pytest.approx(4.5 * 100 / unit_weeks)
    assert (lot_a.observed, lot_a.units_in_service, lot_b.units_in_service) == (4, 100, 10)
    firmware = cell(result, "firmware", "1.0")
    assert firmware.expected == pytest.approx(lot_a.expected + lot_b.expected)
    model = cell(result, "model")
    assert model.units_in_service == 110


def test_warranty_end_censors_units_and_failures():
    # 100 units with a 4-week warranty, watched for 10 weeks: they are at risk for 4 weeks only
    data = fleet(
        [(0, 0, DAY0, 28, 100)],
        [(0, 0, 0, DAY0, 28, DAY0 + 14, 2), (0, 0, 0, DAY0, 28, DAY0 + 50, 3)],
    )
    result = detect(data, as_of=date.fromordinal(DAY0 + 70), settings=Settings(lag_weeks=0))
    lot = cell(result, "lot", "A")
    assert lot.observed == 2  # the three after the warranty ended do not count
    unit_weeks = 100 * 4 - 2 * 2
    assert lot.expected == pytest.approx(2.5 * (400 - 4) / unit_weeks)


def test_a_pass_sees_only_what_was_known_on_its_day():
    shipped = [(0, 0, DAY0, 365, 500), (1, 0, DAY0 + 30, 365, 500)]
    failures = [(0, 0, 0, DAY0, 365, DAY0 + 20 + i, 1) for i in range(8)]
    as_of = date.fromordinal(DAY0 + 60)
    before = detect(fleet(shipped, failures), as_of=as_of)
    later = [
        (0, 0, 0, DAY0, 365, DAY0 + 61, 40),  # reported the day after
        (1, 0, 0, DAY0 + 30, 365, DAY0 + 90, 40),
    ]
    shipped_later = [(1, 0, DAY0 + 61, 365, 5000)]
    after = detect(fleet(shipped + shipped_later, failures + later), as_of=as_of)
    assert [(c.key, c.observed, c.expected, c.statistic) for c in before.cells] == [
        (c.key, c.observed, c.expected, c.statistic) for c in after.cells
    ]


def test_a_faulty_lot_alarms_and_a_normal_one_does_not():
    rng = np.random.default_rng(11)
    cohorts, failures = [], []
    lots = [f"L{i:02d}" for i in range(30)]
    for i in range(30):
        ship = DAY0 + 7 * i
        cohorts.append((i, 0, ship, 365, 1000))
        rate = 0.0004 * (6 if i == 20 else 1)  # per unit-week
        for week in range(0, 60 - i):
            count = rng.poisson(1000 * rate)
            if count:
                failures.append((i, 0, 0, ship, 365, ship + 7 * week + 3, count))
    data = fleet(cohorts, failures, lots=lots)
    # thirty lot cells in eight months: a budget of one false alarm a year allows each a chance of ~2 %
    result = detect(data, as_of=date.fromordinal(DAY0 + 7 * 34), settings=Settings(budget_per_year=1.0))
    alarms = {(c.kind, c.lot) for c in result.alarms}
    assert alarms == {("lot", "L20")}
    faulty = cell(result, "lot", "L20")
    assert faulty.rate_ratio > 3
    assert faulty.statistic >= faulty.threshold


def test_flagged_cells_leave_the_baseline():
    cohorts = [(0, 0, DAY0, 365, 1000), (1, 0, DAY0, 365, 1000)]
    failures = [(0, 0, 0, DAY0, 365, DAY0 + 10 + i, 5) for i in range(10)] + [(1, 0, 0, DAY0, 365, DAY0 + 20, 5)]
    data = fleet(cohorts, failures)
    as_of = date.fromordinal(DAY0 + 100)
    plain = detect(data, as_of=as_of)
    excluded = detect(data, as_of=as_of, flagged={("lot", "PHN-1", "A", None, "battery")})
    # without lot A's failures the baseline is lower, so lot B's expectation drops
    assert cell(excluded, "lot", "B").expected < 0.5 * cell(plain, "lot", "B").expected


def test_an_empty_fleet_has_no_cells():
    assert detect(Fleet.empty(), as_of=date(2025, 1, 1)).cells == []


def test_no_failures_means_no_cells_but_no_error():
    data = fleet([(0, 0, DAY0, 365, 100)], [])
    result = detect(data, as_of=date.fromordinal(DAY0) + timedelta(days=30))
    assert result.alarms == []


def test_a_tiny_young_cell_without_failures_never_alarms():
    # a generous budget and a lot of five units expecting almost nothing: the threshold stays above a quiet cell's 0
    assert statistics.cohort_thresholds(0.1, 0.01) >= statistics.COHORT_FLOOR > 0
    cohorts = [(0, 0, DAY0, 365, 2000), (1, 0, DAY0 + 60, 365, 5)]
    failures = [(0, 0, 0, DAY0, 365, DAY0 + 20 + i, 1) for i in range(30)]
    result = detect(fleet(cohorts, failures), as_of=date.fromordinal(DAY0 + 63), settings=Settings(budget_per_year=50))
    tiny = cell(result, "lot", "B")
    assert tiny.observed == 0 and not tiny.alarm


def test_a_late_starting_weibull_still_expects_the_odd_early_report():
    # reports start about six weeks after shipping, but a few come earlier
    rng = np.random.default_rng(8)
    life = 6.0 + 80.0 * rng.weibull(1.5, size=50_000)
    early = rng.random(50_000) < 0.003
    life[early] = rng.uniform(0.0, 6.0, size=early.sum())
    censor = rng.uniform(0, 60, size=50_000)
    ages, failed = np.minimum(life, censor), life <= censor
    hazard = weibull_fit(ages, np.ones_like(ages), ages[failed], np.ones(failed.sum()), shifts=(0.0, 2.0, 4.0, 6.0))
    assert hazard is not None and hazard.shift > 0
    assert hazard.cumulative(hazard.shift) > 0  # not zero before the Weibull starts
    # it expects about as many early failures as there were
    seen_early = float((ages[failed] < hazard.shift).sum())
    expected_early = float(hazard.cumulative(np.minimum(ages, hazard.shift)).sum())
    assert expected_early == pytest.approx(seen_early, rel=0.2)


def test_a_lot_of_a_flagged_firmware_is_judged_against_that_firmware():
    # firmware 2.0 fails three times as often as 1.0; one of its lots, C, ten times
    rng = np.random.default_rng(21)
    cohorts, failures = [], []
    lots = ["A", "B", "C", "D"]
    for index, (firmware, ratio) in enumerate([(0, 1), (1, 3), (1, 10), (1, 3)]):
        ship = DAY0 + 7 * index
        cohorts.append((index, firmware, ship, 365, 3000))
        for week in range(40):
            count = rng.poisson(3000 * 0.0003 * ratio)
            if count:
                failures.append((index, firmware, 0, ship, 365, ship + 7 * week + 3, count))
    data = fleet(cohorts, failures, lots=lots, firmwares=("1.0", "2.0"))
    as_of = date.fromordinal(DAY0 + 7 * 44)
    flagged = {("firmware", "PHN-1", None, "2.0", "battery")}
    result = detect(data, as_of=as_of, flagged=flagged)
    assert cell(result, "lot", "C").alarm  # worse than its firmware
    assert not cell(result, "lot", "B").alarm and not cell(result, "lot", "D").alarm  # its firmware explains them
