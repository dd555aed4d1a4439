"""The report pages in a browser: every chart draws from the vendored Chart.js, with no request leaving
the site. Screenshots go to ``tests/e2e/screenshots/reports-*.png``."""

from __future__ import annotations

import datetime as dt

import pytest

from diagnostics.models import Component, FaultSignal
from rma.models import Device, ProductModel
from tests.e2e.conftest import SCREENSHOTS, WIDTHS
from tests.report_fleet import build_chart_fleet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PAGES = [
    ("pareto", "?by=pattern"),
    ("failure-rates", "?by=lot"),
    ("trend", ""),
    ("life", "?by=component"),
    ("no-fault-found", ""),
    ("repeats", ""),
    ("goodwill", ""),
    ("fault-signals", ""),
]


def raise_signals() -> None:
    """Signals on the fleet's bad lots, as the detection scan would leave them (the scan has its own tests)."""
    today = dt.date.today()
    for sku, lot, observed, expected, statistic in [
        ("PHN-1", "L116", 47, 9.1, 38.2),
        ("TAB-1", "L116", 60, 12.4, 44.0),
        ("PHN-2", "L204", 17, 7.9, 7.4),
    ]:
        FaultSignal.objects.create(
            cell="lot",
            product_model=ProductModel.objects.get(sku=sku),
            component=Component.objects.get(code="battery"),
            lot=lot,
            observed=observed,
            expected=expected,
            units_in_service=Device.objects.filter(product_model__sku=sku, lot=lot).count(),
            rate_ratio=observed / expected,
            statistic=statistic,
            threshold=6.5,
            first_detected_on=today - dt.timedelta(days=40),
            evidence_as_of=today,
        )


def shoot(page, name: str) -> None:
    """Phone and desktop screenshots, once the chart has been redrawn at each width; the page itself
    never scrolls sideways (a wide table scrolls inside its own box)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # Chart.js resizes on the next animation frames
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)


def test_report_pages_draw_their_charts(page, live_server, engineer):
    build_chart_fleet()
    raise_signals()
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(live_server.url + "/reports/")
    page.get_by_label("Username").fill(engineer.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/reports/")
    shoot(page, "reports-index")

    for name, query in PAGES:
        page.goto(f"{live_server.url}/reports/{name}/{query}")
        page.wait_for_selector("#chart[data-ready]")
        # Chart.js has drawn something: the canvas is not blank.
        drawn = page.evaluate(
            """() => {
                const canvas = document.getElementById("chart");
                const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
                let inked = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
                return inked;
            }"""
        )
        assert drawn > 2000, f"{name}: the chart looks empty ({drawn} pixels)"
        assert page.get_by_role("link", name="Download the table (CSV)").count() == 1
        shoot(page, f"reports-{name}")

    # A filter from the form narrows the chart.
    page.goto(f"{live_server.url}/reports/failure-rates/")
    page.get_by_label("Model").select_option("TAB-1")
    page.get_by_label("By").select_option("firmware")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#chart[data-ready]")
    assert "model=TAB-1" in page.url
    assert page.locator("tbody tr").count() == 2  # TAB-1 on firmware 2.0 and 2.1
    shoot(page, "reports-failure-rates-filtered")

    assert errors == []
    assert outside == []
