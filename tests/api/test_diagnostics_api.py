"""Components, failure patterns with their lifecycle, diagnoses and root-cause cases through the API."""

from __future__ import annotations

import pytest

from diagnostics.models import FailurePattern, PatternEvent, RootCauseCase
from rma.models import RMA
from tests.factories import ComponentFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

S = RMA.Status


def test_engineers_create_and_rename_components_technicians_only_read_them(api, engineer, technician):
    created = api(engineer).post("/api/v1/components/", {"code": "Radio", "name": "Radio"}, format="json")
    renamed = api(engineer).patch("/api/v1/components/radio/", {"name": "Radio module"}, format="json")
    by_technician = api(technician).post("/api/v1/components/", {"code": "fan", "name": "Fan"}, format="json")
    duplicate = api(engineer).post("/api/v1/components/", {"code": "radio", "name": "Again"}, format="json")
    bad_code = api(engineer).post("/api/v1/components/", {"code": "no spaces", "name": "X"}, format="json")

    assert created.status_code == 201
    assert created.json() == {"code": "radio", "name": "Radio"}
    assert renamed.json() == {"code": "radio", "name": "Radio module"}
    assert by_technician.status_code == 403
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "component_exists"
    assert bad_code.json()["code"] == "invalid_code"
    assert api(technician).get("/api/v1/components/radio/").json()["name"] == "Radio module"
    assert api(technician).get("/api/v1/components/nothing/").status_code == 404


def test_pattern_lifecycle_through_the_api(api, engineer, battery):
    ProductModelFactory(sku="PHN-1")
    client = api(engineer)

    created = client.post(
        "/api/v1/failure-patterns/",
        {"title": "Swollen battery", "component": "battery", "affected_models": ["PHN-1"], "symptoms": "Bulging."},
        format="json",
    )
    code = created.json()["code"]
    investigating = client.post(f"/api/v1/failure-patterns/{code}/investigate/", {}, format="json")
    too_early = client.post(f"/api/v1/failure-patterns/{code}/verify/", {}, format="json")
    root_caused = client.post(
        f"/api/v1/failure-patterns/{code}/root-cause/",
        {"root_cause": "Cell supplier defect.", "public_summary": "A batch of cells was faulty."},
        format="json",
    )
    edited = client.patch(f"/api/v1/failure-patterns/{code.lower()}/", {"samples_wanted": 4}, format="json")
    status_edit = client.patch(f"/api/v1/failure-patterns/{code}/", {"status": "closed"}, format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "new"
    assert created.json()["affected_models"] == ["PHN-1"]
    assert investigating.json()["status"] == "investigating"
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "pattern_transition_not_allowed"
    assert root_caused.json()["status"] == "root_caused"
    assert root_caused.json()["root_cause"] == "Cell supplier defect."
    assert edited.json()["samples_wanted"] == 4
    assert [event["action"] for event in edited.json()["events"]] == [
        "create",
        "investigate",
        "edit",
        "root_cause",
        "edit",
    ]
    assert FailurePattern.objects.get(code=code).status == "root_caused"  # a status in a PATCH is not an edit
    assert status_edit.status_code == 400
    assert status_edit.json()["errors"] == {
        "status": ["A pattern's status changes only through its lifecycle actions."]
    }
    assert PatternEvent.objects.filter(pattern__code=code, source="api").count() == 5


def test_technicians_cannot_edit_or_move_patterns(api, technician, battery):
    pattern = FailurePatternFactory(code="FP-0100", component=battery, status="new")

    assert api(technician).get("/api/v1/failure-patterns/FP-0100/").status_code == 200
    assert api(technician).patch("/api/v1/failure-patterns/FP-0100/", {"title": "X"}, format="json").status_code == 403
    assert api(technician).post("/api/v1/failure-patterns/FP-0100/investigate/", {}, format="json").status_code == 403
    assert api(technician).post("/api/v1/failure-patterns/", {"title": "X", "component": "battery"}).status_code == 403
    pattern.refresh_from_db()
    assert pattern.title != "X"


def test_dismiss_needs_a_reason(api, engineer, battery):
    FailurePatternFactory(code="FP-0101", component=battery, status="new")

    without = api(engineer).post("/api/v1/failure-patterns/FP-0101/dismiss/", {}, format="json")
    with_reason = api(engineer).post(
        "/api/v1/failure-patterns/FP-0101/dismiss/", {"reason": "Duplicate."}, format="json"
    )

    assert without.status_code == 400
    assert without.json()["code"] == "reason_required"
    assert with_reason.json()["status"] == "closed"


def test_diagnoses_list_with_filters(api, technician, build, battery):
    display = ComponentFactory(code="display", name="Display")
    pattern = FailurePatternFactory(code="FP-0200", component=battery)
    first = build(S.DIAGNOSING, outcome="confirmed", pattern=pattern)
    second = build(S.DIAGNOSING)
    api(technician).post(
        f"/api/v1/rmas/{second.number}/diagnose/", {"component": "display", "outcome": "no_fault_found"}, format="json"
    )

    by_pattern = api(technician).get("/api/v1/diagnoses/", {"pattern": "FP-0200"}).json()
    by_component = api(technician).get("/api/v1/diagnoses/", {"component": display.code}).json()
    by_rma = api(technician).get("/api/v1/diagnoses/", {"rma": second.number, "ordering": "created_at"}).json()

    assert [row["rma"] for row in by_pattern["results"]] == [first.number]
    assert by_pattern["results"][0]["pattern_match"] == "confirmed"
    assert [row["outcome"] for row in by_component["results"]] == ["no_fault_found"]
    assert [row["component"] for row in by_rma["results"]] == ["battery", "display"]


def test_engineers_work_root_cause_cases(api, engineer, supervisor, build, battery):
    rma = build(S.DIAGNOSING, in_warranty=False)
    api(supervisor).post(
        f"/api/v1/rmas/{rma.number}/grant-goodwill/",
        {"reason": "Unknown.", "replacement_serial": "GW-9"},
        format="json",
    )
    case = RootCauseCase.objects.get(rma=rma)
    client = api(engineer)

    assigned = client.post(f"/api/v1/rca-cases/{case.pk}/assign/", {"engineer": "eng"}, format="json")
    noted = client.post(f"/api/v1/rca-cases/{case.pk}/add-findings/", {"text": "Cell 2 swollen."}, format="json")
    closed = client.post(
        f"/api/v1/rca-cases/{case.pk}/close/",
        {"conclusion": "Supplier defect.", "new_pattern": {"title": "Swollen cell", "component": "battery"}},
        format="json",
    )
    again = client.post(f"/api/v1/rca-cases/{case.pk}/add-findings/", {"text": "More."}, format="json")
    by_supervisor = api(supervisor).post(f"/api/v1/rca-cases/{case.pk}/assign/", {"engineer": None}, format="json")

    assert assigned.json()["engineer"] == "eng"
    assert "Cell 2 swollen." in noted.json()["findings"]
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "closed"
    assert closed.json()["pattern"].startswith("FP-")
    assert again.status_code == 409
    assert again.json()["code"] == "case_closed"
    assert by_supervisor.status_code == 403
    listed = api(supervisor).get("/api/v1/rca-cases/", {"status": "closed"}).json()
    assert [row["rma"] for row in listed["results"]] == [rma.number]


def test_devices_by_serial_with_their_returns(api, technician, supervisor, build):
    rma = build(S.CLOSED)
    ProductModelFactory(sku="TAB-9")

    device = api(technician).get(f"/api/v1/devices/{rma.device.serial_number.lower()}/")
    created = api(supervisor).post(
        "/api/v1/devices/",
        {"serial_number": " new-1 ", "model_sku": "TAB-9", "shipped_on": "2026-01-05", "lot": "L1"},
        format="json",
    )
    unknown_model = api(supervisor).post(
        "/api/v1/devices/", {"serial_number": "N2", "model_sku": "NOPE"}, format="json"
    )
    duplicate = api(supervisor).post(
        "/api/v1/devices/", {"serial_number": "NEW-1", "model_sku": "TAB-9"}, format="json"
    )
    missing = api(technician).get("/api/v1/devices/NOPE/")

    assert device.status_code == 200
    assert device.json()["warranty_ends_on"] == rma.device.warranty_ends_on.isoformat()
    assert [row["number"] for row in device.json()["rmas"]] == [rma.number]
    assert created.status_code == 201, created.json()
    assert created.json()["serial_number"] == "NEW-1"
    assert created.json()["warranty_ends_on"] == "2027-01-04"
    assert unknown_model.json()["code"] == "unknown_model"
    assert duplicate.json()["code"] == "serial_exists"
    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown_serial"
    in_lot = api(technician).get("/api/v1/devices/", {"lot": "L1"}).json()
    assert [row["serial_number"] for row in in_lot["results"]] == ["NEW-1"]


def test_token_for_username_and_password(api, technician):
    answer = api().post("/api/v1/auth/token/", {"username": "tech", "password": "correct-horse-battery"}, format="json")
    wrong = api().post("/api/v1/auth/token/", {"username": "tech", "password": "wrong"}, format="json")

    assert answer.status_code == 200
    token = answer.json()["token"]
    assert api().get("/api/v1/rmas/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_credentials"


def test_session_auth_works_for_staff_signed_in_to_the_admin(client, technician):
    client.force_login(technician)
    assert client.get("/api/v1/rmas/").status_code == 200
