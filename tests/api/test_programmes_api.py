"""The programmes API (SPEC §11): create, edit while draft, activate, close, eligibility, progress."""

from __future__ import annotations

import datetime as dt

import pytest

from diagnostics.models import FailurePattern, Programme
from rma.models import RMA, Source
from tests.factories import DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db
P = FailurePattern.Status


@pytest.fixture
def pattern(battery):
    ProductModelFactory(sku="PHN-1")
    return FailurePatternFactory(code="FP-0001", component=battery, status=P.ROOT_CAUSED, root_cause="Thin separator.")


CREATE = {
    "title": "Battery programme",
    "summary": "Some batteries can swell after a year.",
    "pattern": "FP-0001",
    "models": ["PHN-1"],
    "lots": ["L-BAD"],
    "remedy": "replace",
    "coverage_years": 3,
}


def test_engineers_create_edit_activate_and_close(api, engineer, pattern):
    client = api(engineer)
    created = client.post("/api/v1/programmes/", CREATE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["code"], body["status"], body["models"], body["pattern"], body["owner"]) == (
        "SP-0001",
        "draft",
        ["PHN-1"],
        "FP-0001",
        engineer.username,
    )
    edited = client.patch("/api/v1/programmes/SP-0001/", {"firmware_versions": ["1.0.0"]}, format="json")
    assert edited.status_code == 200 and edited.json()["firmware_versions"] == ["1.0.0"]
    refused = client.patch("/api/v1/programmes/SP-0001/", {"status": "active"}, format="json")
    assert refused.status_code == 400
    active = client.post("/api/v1/programmes/SP-0001/activate/", {}, format="json")
    assert active.status_code == 200 and active.json()["status"] == "active"
    again = client.patch("/api/v1/programmes/SP-0001/", {"title": "New"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "programme_not_draft")
    closed = client.post("/api/v1/programmes/SP-0001/close/", {"reason": "Done."}, format="json")
    assert closed.json()["status"] == "closed"


def test_bad_input_is_a_json_error_with_a_code(api, engineer, pattern):
    client = api(engineer)
    both = client.post("/api/v1/programmes/", {**CREATE, "covered_until": "2030-01-01"}, format="json")
    assert (both.status_code, both.json()["code"]) == (400, "one_coverage_period")
    unknown = client.post("/api/v1/programmes/", {**CREATE, "models": ["NOPE"]}, format="json")
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["field"]) == (400, "unknown_model", "models")
    assert client.get("/api/v1/programmes/SP-9999/").status_code == 404
    assert not Programme.objects.exists()


def test_technicians_and_supervisors_read_but_do_not_create_or_activate(api, engineer, technician, supervisor, pattern):
    api(engineer).post("/api/v1/programmes/", CREATE, format="json")
    for user in (technician, supervisor):
        client = api(user)
        assert client.get("/api/v1/programmes/").status_code == 200
        assert client.post("/api/v1/programmes/", CREATE, format="json").status_code == 403
        assert client.post("/api/v1/programmes/SP-0001/activate/", {}, format="json").status_code == 403
    assert Programme.objects.get().status == "draft"


def test_eligibility_by_serial(api, engineer, technician, pattern, today):
    api(engineer).post(
        "/api/v1/programmes/", {**CREATE, "coverage_years": None, "covered_until": "2031-01-31"}, format="json"
    )
    api(engineer).post("/api/v1/programmes/SP-0001/activate/", {}, format="json")
    DeviceFactory(
        serial_number="SN-BAD",
        product_model=pattern.affected_models.first() or ProductModelFactory(sku="PHN-1"),
        lot="L-BAD",
        shipped_on=today,
    )
    client = api(technician)
    answer = client.get("/api/v1/programmes/eligibility/?serial=sn-bad")
    assert answer.json() == {
        "serial_number": "SN-BAD",
        "programmes": [
            {"code": "SP-0001", "title": "Battery programme", "covered_until": "2031-01-31", "remedy": "replace"}
        ],
    }
    assert client.get("/api/v1/programmes/eligibility/?serial=SN-UNKNOWN").json()["programmes"] == []
    missing = client.get("/api/v1/programmes/eligibility/")
    assert (missing.status_code, missing.json()["code"]) == (400, "serial_required")


def test_rma_shows_programme_cover_and_progress_counts_it(api, engineer, technician, pattern, flow, battery, today):
    api(engineer).post("/api/v1/programmes/", CREATE, format="json")
    api(engineer).post("/api/v1/programmes/SP-0001/activate/", {}, format="json")
    device = DeviceFactory(
        product_model=ProductModelFactory(sku="PHN-1"), lot="L-BAD", shipped_on=today - dt.timedelta(days=500)
    )
    rma = flow.to(flow.create(device), RMA.Status.DIAGNOSING)
    client = api(technician)
    diagnosed = client.post(
        f"/api/v1/rmas/{rma.number}/diagnose/",
        {"component": "battery", "outcome": "confirmed", "pattern": "FP-0001", "symptoms": "Swollen."},
        format="json",
    )
    assert diagnosed.status_code == 200, diagnosed.json()
    assert (diagnosed.json()["coverage"], diagnosed.json()["programme"]) == ("programme", "SP-0001")
    listed = client.get("/api/v1/rmas/").json()["results"][0]
    assert (listed["coverage"], listed["programme"]) == ("programme", "SP-0001")
    progress = client.get("/api/v1/programmes/SP-0001/progress/").json()
    assert (progress["eligible_in_service"], progress["returns_opened"], progress["covered_returns"]) == (1, 1, 1)
    assert Source.API  # the diagnosis came through the API
