"""Every API error is JSON: a day out of range is 400, an unexpected fault 500 ``server_error``."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from diagnostics.api import reports as report_api
from rma.api.views import DeviceViewSet
from tests.factories import ProductModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(db):
    return ProductModelFactory(sku="PHN-9").sku


@pytest.mark.parametrize("field", ["manufactured_on", "shipped_on", "purchased_on"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1969-12-31", "2101-01-01"])
def test_a_device_with_a_day_out_of_range_is_400_json(api, supervisor, sku, field, day):
    answer = api(supervisor).post(
        "/api/v1/devices/", {"serial_number": "SN-DAY-1", "model_sku": sku, field: day}, format="json"
    )
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["code"] == "invalid" and field in body["errors"]
    assert "outside 01 Jan 1970 to 31 Dec 2100" in body["message"]


def test_the_edges_of_the_range_are_accepted(api, supervisor, sku):
    answer = api(supervisor).post(
        "/api/v1/devices/",
        {"serial_number": "SN-DAY-2", "model_sku": sku, "manufactured_on": "1970-01-01", "shipped_on": "2100-12-31"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()


DATE_FILTERS = [
    ("/api/v1/devices/", "shipped_after"),
    ("/api/v1/devices/", "shipped_before"),
    ("/api/v1/rmas/", "reported_after"),
    ("/api/v1/rmas/", "reported_before"),
    ("/api/v1/rmas/", "created_after"),
    ("/api/v1/rmas/", "created_before"),
    ("/api/v1/diagnoses/", "created_after"),
    ("/api/v1/failure-patterns/", "updated_after"),
    ("/api/v1/rca-cases/", "opened_after"),
    ("/api/v1/fault-signals/", "since"),
    *[(f"/api/v1/reports/{name}/", field) for name in report_api.REPORT_VIEWS for field in ("date_from", "date_to")],
]


@pytest.mark.parametrize("url, name", DATE_FILTERS)
def test_every_date_filter_refuses_year_9999_with_400_json(api, supervisor, url, name):
    value = "9999-12-31T00:00:00Z" if name.endswith(("created_after", "created_before", "updated_after")) else None
    value = value or ("9999-12-31T00:00:00Z" if name == "opened_after" else "9999-12-31")
    answer = api(supervisor).get(url, {name: value})
    assert answer.status_code == 400, (url, name, answer.content[:300])
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "invalid"
    assert name in answer.json()["errors"]


def test_an_unexpected_exception_in_an_api_view_is_500_json(api, supervisor, monkeypatch, caplog):
    def explode(self, *args, **kwargs):
        raise RuntimeError("boom-7f3a internal detail")

    monkeypatch.setattr(DeviceViewSet, "get_queryset", explode)
    client = api(supervisor)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        answer = client.get("/api/v1/devices/")
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "server_error"
    assert "boom" not in answer.content.decode()
    assert any("boom-7f3a" in str(record.exc_info) for record in caplog.records)  # logged for us


def test_an_exception_outside_the_view_under_api_is_500_json(api, supervisor, monkeypatch):
    """A fault while rendering (after the view returned) reaches Django's 500 handler: JSON under /api/."""

    def explode(self, *args, **kwargs):
        raise RuntimeError("boom while rendering")

    monkeypatch.setattr(report_api.CSVRenderer, "render", explode)
    client = api(supervisor)
    client.raise_request_exception = False
    answer = client.get("/api/v1/reports/trend/", {"format": "csv"})
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"code": "server_error", "message": answer.json()["message"]}


def test_outside_the_api_a_fault_still_gets_the_plain_page(client, monkeypatch):
    from rma import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.forms, "ReturnLookupForm", explode)
    client.raise_request_exception = False
    answer = client.get("/")
    assert answer.status_code == 500
    assert "Something went wrong on our side" in answer.content.decode()


def test_a_request_without_credentials_is_still_401_json():
    answer = APIClient().get("/api/v1/devices/")
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"
