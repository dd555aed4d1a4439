"""Reports state their uncertainty (SPEC §8): intervals checked against scipy on small cases, the
minimum-failures guard, and the life report's censoring (other components, warranty end, purchase date)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import approx_fprime, minimize

from diagnostics import reports
from diagnostics.imports import failures_import
from diagnostics.reliability import kaplan_meier, poisson_interval, weibull_fit
from diagnostics.reports import ReportFilters
from rma.models import RMA
from rma.services.imports import devices_import
from tests.factories import DeviceFactory, ProductModelFactory
from tests.report_fleet import AS_OF, build_report_fleet

# Pure statistics against scipy ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 3, 29])
def test_exact_poisson_interval_is_where_the_tails_hold_five_percent(count):
    low, high = poisson_interval(count)
    assert stats.poisson.sf(count - 1, low) == pytest.approx(0.05 if count else 1.0, abs=1e-9)  # P(X ≥ k | low)
    assert stats.poisson.cdf(count, high) == pytest.approx(0.05, abs=1e-9)  # P(X ≤ k | high)


def _log_likelihood(params, failures, survivors):
    log_beta, log_eta = params
    beta, eta = math.exp(log_beta), math.exp(log_eta)
    t_f, c_f = np.array([a for a, _ in failures]), np.array([c for _, c in failures])
    t_s, c_s = np.array([a for a, _ in survivors]), np.array([c for _, c in survivors])
    z_f, z_s = (t_f / eta) ** beta, (t_s / eta) ** beta
    return float(np.dot(c_f, np.log(beta) - np.log(eta) + (beta - 1) * np.log(t_f / eta) - z_f) - np.dot(c_s, z_s))


def test_weibull_fit_and_its_likelihood_ratio_bounds_against_scipy():
    failures = [(40.0, 1), (95.0, 2), (130.0, 1), (210.0, 1), (260.0, 1), (300.0, 1)]
    survivors = [(150.0, 3), (365.0, 12)]
    fit = weibull_fit(failures, survivors)

    def negative(params):
        return -_log_likelihood(params, failures, survivors)

    # the maximum, found by scipy from scratch
    options = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000}
    best = minimize(negative, x0=[0.0, math.log(500)], method="Nelder-Mead", options=options)
    assert math.exp(best.x[0]) == pytest.approx(fit.beta, rel=1e-4)
    assert math.exp(best.x[1]) == pytest.approx(fit.eta, rel=1e-4)
    top = -best.fun
    drop = stats.chi2.ppf(0.90, 1) / 2

    # at each bound the profile likelihood (the other parameter maximised by scipy) is χ²₁(0.9)/2 below the top
    def profile_beta(beta):
        return -minimize(lambda a: negative([math.log(beta), a[0]]), x0=[best.x[1]], method="Nelder-Mead").fun

    def profile_eta(eta):
        return -minimize(lambda b: negative([b[0], math.log(eta)]), x0=[best.x[0]], method="Nelder-Mead").fun

    def profile_b10(b10):
        k = -math.log(0.9)
        return -minimize(
            lambda b: negative([b[0], math.log(b10) - math.log(k) / math.exp(b[0])]),
            x0=[best.x[0]],
            method="Nelder-Mead",
        ).fun

    for bounds, profile, estimate in (
        (fit.beta_bounds(), profile_beta, fit.beta),
        (fit.eta_bounds(), profile_eta, fit.eta),
        (fit.life_bounds(), profile_b10, fit.b10),
    ):
        assert bounds.low < estimate < bounds.high
        assert profile(bounds.low) == pytest.approx(top - drop, abs=2e-3)
        assert profile(bounds.high) == pytest.approx(top - drop, abs=2e-3)
    # the Fisher-matrix covariance is the inverse of the observed information (finite differences of scipy's gradient)
    at = np.array([math.log(fit.beta), math.log(fit.eta)])
    step = 1e-5
    hessian = np.array(
        [
            (
                approx_fprime(at + step * np.eye(2)[i], _log_likelihood, 1e-7, failures, survivors)
                - approx_fprime(at - step * np.eye(2)[i], _log_likelihood, 1e-7, failures, survivors)
            )
            / (2 * step)
            for i in range(2)
        ]
    )
    assert np.array(fit.covariance) == pytest.approx(np.linalg.inv(-hessian), rel=2e-2)


def test_kaplan_meier_greenwood_band_by_hand():
    points = kaplan_meier([(10.0, 1), (20.0, 2)], [(15.0, 1), (30.0, 6)])
    first, second = points
    # at 10: 10 at risk, 1 fails; at 20: 8 at risk, 2 fail
    s1, s2 = 0.9, 0.9 * 0.75
    assert (first.unreliability, second.unreliability) == pytest.approx((1 - s1, 1 - s2))
    var = 1 / (10 * 9) + 2 / (8 * 6)
    z = stats.norm.ppf(0.95)
    spread = z * math.sqrt(var) / abs(math.log(s2))
    low = 1 - math.exp(-math.exp(math.log(-math.log(s2)) - spread))
    high = 1 - math.exp(-math.exp(math.log(-math.log(s2)) + spread))
    assert (second.low, second.high) == pytest.approx((low, high))
    assert second.low < second.unreliability < second.high


# Reports -------------------------------------------------------------------------------------------


@pytest.fixture
def fleet(db):
    build_report_fleet()


def test_failure_rates_carry_exact_intervals_and_rank_by_the_low_end_over_the_model(fleet):
    by_lot = reports.failure_rates(ReportFilters(date_to=AS_OF), by="lot")
    for row in by_lot.rows:
        low, high = poisson_interval(row["failures"])
        assert row["rate_low_per_1000"] == pytest.approx(1000 * low / row["units_in_service"])
        assert row["rate_high_per_1000"] == pytest.approx(1000 * high / row["units_in_service"])
        assert row["rate_low_per_1000"] <= row["rate_per_1000"] <= row["rate_high_per_1000"]
        assert row["ratio_to_model_low"] == pytest.approx(low / row["expected_failures"])
    lows = [row["ratio_to_model_low"] for row in by_lot.rows]
    assert lows == sorted(lows, reverse=True)
    # L1 (PHN-A, 10 units since 1 Jan) has all its model's failures: expected = observed
    first = next(row for row in by_lot.rows if row["lot"] == "L1")
    assert first["unit_years"] == pytest.approx(10 * 180 / 365.25)
    assert first["expected_failures"] == pytest.approx(first["failures"])


def test_a_three_unit_lot_does_not_top_the_chart(db):
    shipped = AS_OF - dt.timedelta(days=100)
    lots = {"TINY": 3, "BAD": 160, "OK": 600}
    devices = [
        {
            "serial_number": f"{lot}{number:03d}",
            "model_sku": "PHN-R",
            "lot": lot,
            "manufactured_on": (shipped - dt.timedelta(days=10)).isoformat(),
            "shipped_on": shipped.isoformat(),
            "firmware_version": "1.0",
        }
        for lot, size in lots.items()
        for number in range(size)
    ]
    assert not devices_import(rows=devices, strict=True).errors
    serials = ["TINY000", *[f"BAD{n:03d}" for n in range(29)], *[f"OK{n:03d}" for n in range(0, 600, 100)]]
    rows = [
        {
            "external_id": f"R{i}",
            "serial_number": serial,
            "reported_on": (AS_OF - dt.timedelta(days=5)).isoformat(),
            "component": "mainboard",
            "pattern_code": "",
            "outcome": "confirmed",
        }
        for i, serial in enumerate(serials)
    ]
    assert not failures_import(rows=rows, strict=True).errors
    ranked = reports.failure_rates(ReportFilters(date_to=AS_OF), by="lot").rows
    assert [row["lot"] for row in ranked] == ["BAD", "TINY", "OK"]
    assert ranked[1]["rate_per_1000"] > ranked[0]["rate_per_1000"]  # the tiny lot's raw rate is the highest


def test_no_weibull_fit_below_the_minimum_failures_but_a_reason(fleet, settings):
    settings.RELIABILITY_MIN_FAILURES = 5
    life = reports.life(ReportFilters(date_to=AS_OF), by="model")
    row = life.rows[0]
    assert row["failures"] == 3
    assert row["beta"] is row["eta_days"] is row["b10_days"] is row["beta_low"] is None
    assert row["note"] == "No fit: 3 failures, a Weibull fit needs at least 5."
    assert life.extra["min_failures"] == 5
    assert life.extra["points"] and "unreliability_low" in life.extra["points"][0]  # Kaplan–Meier still shown


# The life report's censoring ----------------------------------------------------------------------------

TWO_MODE_AS_OF = dt.date(2025, 6, 30)  # 180 days after shipping


@pytest.fixture
def two_mode(db):
    """Six units shipped 1 Jan 2025; battery and display failures, some units leaving service.

    | unit | failures (age in days)                     | left service            |
    |------|--------------------------------------------|-------------------------|
    | U0   | battery 31                                 | at 31 (scrapped)        |
    | U1   | battery 59 (repaired), display 100         | no                      |
    | U2   | display 200 (after the as-of date)         | no                      |
    | U3   | display 45 (repaired), battery 90          | at 90 (replaced)        |
    | U4   | —                                          | no                      |
    | U5   | —                                          | no                      |
    """
    phone = ProductModelFactory(sku="TWO")
    shipped = dt.date(2025, 1, 1)
    for number in range(6):
        DeviceFactory(
            serial_number=f"U{number}", product_model=phone, lot="L", manufactured_on=shipped, shipped_on=shipped
        )
    events = [
        ("U0", 31, "battery"),
        ("U1", 59, "battery"),
        ("U1", 100, "display"),
        ("U2", 200, "display"),
        ("U3", 45, "display"),
        ("U3", 90, "battery"),
    ]
    rows = [
        {
            "external_id": f"T{i}",
            "serial_number": serial,
            "reported_on": (shipped + dt.timedelta(days=age)).isoformat(),
            "component": component,
            "pattern_code": "",
            "outcome": "confirmed",
        }
        for i, (serial, age, component) in enumerate(events)
    ]
    assert not failures_import(rows=rows, strict=True).errors
    RMA.objects.filter(device__serial_number="U0").update(disposition=RMA.Disposition.SCRAPPED)
    RMA.objects.filter(device__serial_number="U3", reported_on=shipped + dt.timedelta(days=90)).update(
        resolution=RMA.Resolution.REPLACED
    )


def _points(life, key):
    return [
        (p["age_days"], p["at_risk"], round(p["unreliability"], 6)) for p in life.extra["points"] if p["key"] == key
    ]


def test_a_unit_that_left_service_for_another_component_is_censored_there(two_mode, settings):
    settings.RELIABILITY_MIN_FAILURES = 1
    life = reports.life(ReportFilters(date_to=TWO_MODE_AS_OF), by="component")
    display = next(row for row in life.rows if row["key"] == "display")
    battery = next(row for row in life.rows if row["key"] == "battery")
    # display: U3 at 45 and U1 at 100 fail; U0 left at 31 (censored there, not running to 180); U3's later
    # departure does not censor it again; U2, U4, U5 run to 180
    assert (display["failures"], display["censored"]) == (2, 4)
    assert _points(life, "display") == [(45.0, 5, 0.2), (100.0, 4, 0.4)]
    expected = weibull_fit([(45, 1), (100, 1)], [(31, 1), (180, 3)])
    assert display["beta"] == pytest.approx(expected.beta)
    # battery: U0 at 31, U1 at 59, U3 at 90; no unit left for a display failure
    assert (battery["failures"], battery["censored"]) == (3, 3)
    assert _points(life, "battery") == [(31.0, 6, round(1 / 6, 6)), (59.0, 5, round(1 / 3, 6)), (90.0, 4, 0.5)]


def test_the_warranty_view_censors_at_the_warranty_end_and_ages_count_from_purchase(db, settings):
    settings.RELIABILITY_MIN_FAILURES = 1
    phone = ProductModelFactory(sku="WAR")
    shipped = dt.date(2024, 1, 1)
    late = DeviceFactory(serial_number="W0", product_model=phone, manufactured_on=shipped, shipped_on=shipped)
    bought = DeviceFactory(
        serial_number="W1",
        product_model=phone,
        manufactured_on=shipped,
        shipped_on=shipped,
        purchased_on=shipped + dt.timedelta(days=30),
    )
    DeviceFactory(serial_number="W2", product_model=phone, manufactured_on=shipped, shipped_on=shipped)
    warranty_days = (late.warranty_ends_on - shipped).days
    rows = [
        {
            "external_id": "W-late",
            "serial_number": "W0",
            "reported_on": (shipped + dt.timedelta(days=400)).isoformat(),
            "component": "battery",
            "pattern_code": "",
            "outcome": "confirmed",
        },
        {
            "external_id": "W-bought",
            "serial_number": "W1",
            "reported_on": (bought.purchased_on + dt.timedelta(days=50)).isoformat(),
            "component": "battery",
            "pattern_code": "",
            "outcome": "confirmed",
        },
    ]
    assert not failures_import(rows=rows, strict=True).errors
    as_of = ReportFilters(date_to=dt.date(2025, 6, 30))

    warranty = reports.life(as_of, by="model")
    field = reports.life(as_of, by="model", view="field")

    assert warranty.extra["view"] == "warranty" and field.extra["view"] == "field"
    assert [p["age_days"] for p in warranty.extra["points"]] == [50.0]  # from the purchase date, not shipping
    assert (warranty.rows[0]["failures"], warranty.rows[0]["censored"]) == (1, 2)
    assert [p["age_days"] for p in field.extra["points"]] == [50.0, 400.0]
    # in the warranty view W0's late failure and W2 are censored at the warranty's end
    expected = weibull_fit([(50, 1)], [(float(warranty_days), 2)])
    assert warranty.rows[0]["beta"] == pytest.approx(expected.beta)


@pytest.mark.parametrize(
    ("value", "csv", "page"),
    [
        (0.569444, "0.569", "0.569"),
        (13158.5681, "13159", "13,159"),
        (0.09999999999999998, "0.1", "0.1"),
        (31.0, "31", "31"),
        (2.345678, "2.35", "2.35"),
        (0.000123456, "0.000123", "0.000123"),
        (51.26, "51.3", "51.3"),
        (1172128, "1172128", "1,172,128"),
        (None, None, None),
        ("PB2632", "PB2632", "PB2632"),
    ],
)
def test_figures_for_people(value, csv, page):
    assert reports.for_people(value) == csv
    assert reports.for_people(value, grouping=True) == page
