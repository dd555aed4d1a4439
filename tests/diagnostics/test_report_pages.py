"""The report pages: staff only, filters checked, the chart's data and the CSV links on the page."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import UserFactory
from tests.report_fleet import build_report_fleet

pytestmark = pytest.mark.django_db

PAGES = ["pareto", "failure-rates", "trend", "life", "no-fault-found", "repeats", "goodwill", "fault-signals"]


@pytest.fixture
def fleet(db):
    build_report_fleet()


def report_data(response) -> dict:
    match = re.search(
        r'<script id="report-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, "no report data on the page"
    return json.loads(match.group(1))


@pytest.mark.parametrize("name", PAGES)
def test_each_page_has_its_chart_and_csv_link(client, engineer, fleet, name):
    client.force_login(engineer)

    response = client.get(f"/reports/{name}/", {"date_to": "2025-06-30"})

    assert response.status_code == 200
    html = response.content.decode()
    assert '<canvas id="chart"' in html
    assert "/static/vendor/chartjs-4.6.1/chart.umd.min.js" in html
    assert report_data(response)["report"] == name
    csv_links = re.findall(r'href="(/api/v1/reports/[^"]+format=csv[^"]*)"', html)
    assert csv_links
    for link in csv_links:
        answer = client.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/csv")


def test_filters_reach_the_report(client, engineer, fleet):
    client.force_login(engineer)

    response = client.get("/reports/failure-rates/", {"model": "PHN-B", "by": "lot", "date_to": "2025-06-30"})

    data = report_data(response)
    assert data["filters"]["model"] == "PHN-B"
    assert [(row["lot"], row["rate_per_1000"]) for row in data["rows"]] == [("L2", 200.0)]
    assert 'value="PHN-B" selected' in response.content.decode()


def test_bad_filters_show_the_error_and_no_chart(client, engineer):
    client.force_login(engineer)

    response = client.get("/reports/pareto/", {"date_from": "2025-05-01", "date_to": "2025-04-01", "by": "colour"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "The range ends before it starts." in html
    assert "Select a valid choice" in html
    assert '<canvas id="chart"' not in html


def test_pages_are_for_staff_with_a_role(client, roles):
    assert client.get("/reports/").status_code == 302
    assert client.get("/reports/life/")["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/reports/life/").status_code == 403
