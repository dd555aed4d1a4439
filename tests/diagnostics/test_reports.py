"""Report figures against a small fleet worked out by hand.

The fleet (as of 30 Jun 2025):

- PHN-A: 10 units, lot L1, firmware 1.0, shipped 1 Jan 2025 (units A00..A09);
- PHN-B: 5 units, lot L2, firmware 2.0, shipped 1 Mar 2025 (units B00..B04).

Field failures (imported as closed returns with their diagnoses):

| unit | reported    | component | pattern | outcome          | age (days) |
|------|-------------|-----------|---------|------------------|------------|
| A00  | Sat 1 Feb   | battery   | FP-0001 | confirmed        | 31         |
| A01  | Sat 1 Mar   | battery   | FP-0001 | confirmed        | 59         |
| A02  | Mon 3 Mar   | display   | —       | cause_unknown    | 61         |
| A03  | Wed 5 Mar   | battery   | —       | no_fault_found   | (no failure) |
| B00  | Tue 11 Mar  | battery   | FP-0001 | confirmed        | 10         |
| B01  | Tue 1 Apr   | display   | —       | customer_damage  | (no failure) |
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.utils import timezone
from scipy.optimize import minimize

from diagnostics import reports
from diagnostics.reliability import kaplan_meier, weibull_fit
from diagnostics.reports import ReportFilters
from diagnostics.services import goodwill_grant
from tests.factories import FailurePatternFactory
from tests.report_fleet import AS_OF, build_report_fleet


@pytest.fixture
def fleet(db):
    build_report_fleet()


def upto(**kwargs) -> ReportFilters:
    return ReportFilters(date_to=AS_OF, **kwargs)


def test_pareto_by_pattern_and_by_component(fleet):
    by_pattern = reports.pareto(upto(), by="pattern")
    by_component = reports.pareto(upto(), by="component")

    assert [(row["key"], row["failures"], row["share"], row["cumulative_share"]) for row in by_pattern.rows] == [
        ("FP-0001", 3, 0.75, 0.75),
        ("(no pattern)", 1, 0.25, 1.0),
    ]
    assert [(row["key"], row["failures"]) for row in by_component.rows] == [("battery", 3), ("display", 1)]
    assert by_component.extra["total_failures"] == 4


def test_failure_rate_per_thousand_units_in_service(fleet):
    by_model = reports.failure_rates(upto(), by="model")
    by_lot = reports.failure_rates(upto(), by="lot")
    from_march = reports.failure_rates(upto(date_from=dt.date(2025, 3, 1)), by="firmware")
    before_b_shipped = reports.failure_rates(ReportFilters(date_to=dt.date(2025, 2, 28)), by="model")

    assert [
        (row["model"], row["units_in_service"], row["failures"], row["rate_per_1000"]) for row in by_model.rows
    ] == [
        ("PHN-A", 10, 3, 300.0),
        ("PHN-B", 5, 1, 200.0),
    ]
    assert by_model.extra["rate_per_1000"] == round(1000 * 4 / 15, 4)
    assert [(row["lot"], row["rate_per_1000"]) for row in by_lot.rows] == [("L1", 300.0), ("L2", 200.0)]
    # From March: A01 and A02 for PHN-A, B00 for PHN-B.
    assert [(row["firmware"], row["failures"], row["rate_per_1000"]) for row in from_march.rows] == [
        ("1.0", 2, 200.0),  # a tie: by model, then firmware
        ("2.0", 1, 200.0),
    ]
    # Before PHN-B shipped, only PHN-A is in service: one failure (A00) in ten units.
    assert [(row["model"], row["units_in_service"], row["failures"]) for row in before_b_shipped.rows] == [
        ("PHN-A", 10, 1)
    ]


def test_filters_narrow_every_report(fleet):
    only_b = upto(model="PHN-B")
    assert [row["key"] for row in reports.pareto(only_b).rows] == ["FP-0001"]
    assert reports.failure_rates(upto(lot="L1")).extra["units_in_service"] == 10
    assert reports.failure_rates(upto(firmware="9.9")).rows == []
    assert [row["model"] for row in reports.no_fault_found(only_b).rows] == ["PHN-B"]


def test_weekly_trend_per_pattern(fleet):
    trend = reports.trend(upto())

    assert trend.rows == [
        {"week": "2025-01-27", "pattern": "FP-0001", "failures": 1},
        {"week": "2025-02-24", "pattern": "FP-0001", "failures": 1},
        {"week": "2025-03-03", "pattern": "(no pattern)", "failures": 1},
        {"week": "2025-03-10", "pattern": "FP-0001", "failures": 1},
    ]


def test_no_fault_found_rate(fleet):
    nff = reports.no_fault_found(upto())

    assert nff.rows == [
        {"model": "PHN-A", "diagnosed": 4, "no_fault_found": 1, "rate": 0.25},
        {"model": "PHN-B", "diagnosed": 2, "no_fault_found": 0, "rate": 0.0},
    ]
    assert nff.extra["rate"] == round(1 / 6, 6)


def test_life_by_model_censors_the_survivors(fleet, settings):
    settings.RELIABILITY_MIN_FAILURES = 1  # the hand-worked fleet has three failures
    life = reports.life(upto(), by="model")
    row_a, row_b = life.rows

    # PHN-A: failures at 31, 59 and 61 days; seven units still running at 180 days.
    expected = weibull_fit([(31, 1), (59, 1), (61, 1)], [(180, 7)])
    assert (row_a["key"], row_a["units"], row_a["failures"], row_a["censored"]) == ("PHN-A", 10, 3, 7)
    assert row_a["beta"] == pytest.approx(expected.beta, abs=1e-4)
    assert row_a["eta_days"] == pytest.approx(expected.eta, abs=1e-3)
    assert row_a["b10_days"] == pytest.approx(expected.b10, abs=1e-3)
    # PHN-B: one failure at 10 days, four running at 121 days.
    assert (row_b["failures"], row_b["censored"]) == (1, 4)
    points_a = [
        (p["age_days"], p["at_risk"], round(p["unreliability"], 6)) for p in life.extra["points"] if p["key"] == "PHN-A"
    ]
    assert points_a == [(31.0, 10, 0.1), (59.0, 9, 0.2), (61.0, 8, 0.3)]


def test_life_by_component_counts_each_units_first_failure_of_that_component(fleet, settings):
    settings.RELIABILITY_MIN_FAILURES = 1
    life = reports.life(upto(), by="component")

    battery = next(row for row in life.rows if row["key"] == "battery")
    display = next(row for row in life.rows if row["key"] == "display")
    # Battery: A00 (31), A01 (59), B00 (10) failed; 8 PHN-A units censored at 180, 4 PHN-B at 121.
    expected = weibull_fit([(10, 1), (31, 1), (59, 1)], [(121, 4), (180, 8)])
    assert (battery["units"], battery["failures"], battery["censored"]) == (15, 3, 12)
    assert battery["beta"] == pytest.approx(expected.beta, abs=1e-4)
    assert (display["failures"], display["censored"]) == (1, 14)


def test_repeat_rate(build, flow):
    first = build("closed")
    repeat = flow.create(first.device)  # back within the repeat window of its shipping
    assert repeat.is_repeat

    result = reports.repeats(ReportFilters())

    assert result.rows == [{"model": "PHN-1", "returns": 2, "repeats": 1, "rate": 0.5}]


def test_goodwill_by_pattern(build, supervisor, battery):
    pattern = FailurePatternFactory(code="FP-0042", component=battery, samples_wanted=3)
    rma = build("diagnosing", in_warranty=False, pattern=pattern)
    goodwill_grant(rma=rma, actor=supervisor, source="admin", reason="Engineers want it.", replacement_serial="GW-42")

    result = reports.goodwill(ReportFilters())

    assert result.rows == [{"pattern": "FP-0042", "grants": 1}]
    assert result.extra["grants"] == 1
    assert result.extra["compensation"] == {"approved": 0, "service_credit": "0.00", "warranty_months": 0}
    today = timezone.localdate()
    assert reports.goodwill(ReportFilters(date_from=today, date_to=today)).extra["grants"] == 1
    assert reports.goodwill(ReportFilters(date_to=today - dt.timedelta(days=1))).extra["grants"] == 0


# The Weibull fit itself ----------------------------------------------------------------------------------


def log_likelihood(beta: float, eta: float, failures: list[float], censored: list[float]) -> float:
    f = np.asarray(failures)
    c = np.asarray(censored)
    return float(
        np.sum(np.log(beta / eta) + (beta - 1) * np.log(f / eta) - (f / eta) ** beta) - np.sum((c / eta) ** beta)
    )


def test_weibull_fit_matches_a_direct_maximisation_with_censoring():
    # Ten units on test, stopped at 1,000 hours: six failures and four survivors (a classic
    # Type I censored test; the answer is where the censored log-likelihood peaks).
    failures = [150.0, 340.0, 560.0, 800.0, 130.0, 720.0]
    survivors = [1000.0] * 4

    fit = weibull_fit([(t, 1) for t in failures], [(t, 1) for t in survivors])
    direct = minimize(
        lambda p: -log_likelihood(math.exp(p[0]), math.exp(p[1]), failures, survivors),
        x0=[0.0, math.log(1000)],
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 20000},
    )

    assert fit is not None
    assert fit.beta == pytest.approx(math.exp(direct.x[0]), rel=1e-6)
    assert fit.eta == pytest.approx(math.exp(direct.x[1]), rel=1e-6)
    # The score equations hold at the answer: η^β = Σ tᵢ^β / r.
    everyone = failures + survivors
    assert fit.eta**fit.beta == pytest.approx(sum(t**fit.beta for t in everyone) / len(failures), rel=1e-9)
    assert fit.b10 == pytest.approx(fit.eta * (-math.log(0.9)) ** (1 / fit.beta))
    assert fit.mean_life == pytest.approx(fit.eta * math.gamma(1 + 1 / fit.beta))
    assert fit.unreliability(fit.eta) == pytest.approx(1 - math.exp(-1))


def test_weibull_fit_recovers_a_known_shape_and_scale_from_a_censored_sample():
    rng = np.random.default_rng(7)
    lifetimes = 1000.0 * rng.weibull(2.5, 20000)
    stop = 900.0  # about 60 % fail before the test stops
    failed = [(round(t, 1), 1) for t in lifetimes if t <= stop]
    running = [(stop, int((lifetimes > stop).sum()))]

    fit = weibull_fit(failed, running)

    assert fit is not None
    assert fit.beta == pytest.approx(2.5, rel=0.03)
    assert fit.eta == pytest.approx(1000.0, rel=0.02)
    assert fit.censored == running[0][1]


def test_grouped_data_gives_the_same_fit_as_unit_by_unit():
    one_by_one = weibull_fit([(10, 1), (10, 1), (20, 1)], [(50, 1), (50, 1)])
    grouped = weibull_fit([(10, 2), (20, 1)], [(50, 2)])
    assert one_by_one == grouped


def test_no_fit_without_failures_or_spread():
    assert weibull_fit([], [(100, 5)]) is None
    assert weibull_fit([(30, 3)], []) is None  # all at one age, no survivor: no maximum


def test_kaplan_meier_counts_units_censored_at_a_failure_age_as_at_risk():
    points = kaplan_meier([(10, 1), (20, 2)], [(20, 1), (30, 1)])
    # n = 5; at 10: S = 4/5; at 20: 4 at risk, 2 fail → S = 4/5 · 2/4 = 0.4.
    assert [(p.age, p.at_risk, round(p.unreliability, 9)) for p in points] == [(10.0, 5, 0.2), (20.0, 4, 0.6)]
