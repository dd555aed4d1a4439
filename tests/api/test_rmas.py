"""Returns through the API: the same services as the admin, errors as {"code", "message"}."""

from __future__ import annotations

import pytest

from diagnostics.models import RootCauseCase
from rma.models import RMA, RMAEvent

pytestmark = pytest.mark.django_db

S = RMA.Status


def post(client, rma_number: str, step: str, data=None):
    return client.post(f"/api/v1/rmas/{rma_number}/{step}/", data or {}, format="json")


def test_a_return_goes_from_creation_to_closed_through_the_api(api, technician, make_device, battery):
    # given
    device = make_device(serial_number="SN-API-1")
    client = api(technician)

    # when
    created = client.post(
        "/api/v1/rmas/",
        {
            "serial_number": " sn-api-1 ",
            "customer_email": "Owner@Example.com",
            "customer_name": "Owner",
            "fault_description": "Does not charge.",
        },
        format="json",
    )
    number = created.json()["number"]
    steps = [
        ("authorize", {}),
        ("receive", {"inbound_tracking": "IN-1"}),
        ("diagnose", {"component": "battery", "outcome": "confirmed", "pattern": None, "symptoms": "no charge"}),
        ("repair", {}),
        ("ship", {"tracking_number": "OUT-1"}),
        ("close", {"resolution": "repaired"}),
    ]
    answers = [post(client, number, step, data) for step, data in steps]

    # then
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == S.SUBMITTED
    assert created.json()["in_warranty"] is True
    assert created.json()["customer_email"] == "owner@example.com"
    assert [answer.status_code for answer in answers] == [200] * len(steps), [a.json() for a in answers]
    assert [answer.json()["status"] for answer in answers] == [
        S.AUTHORIZED,
        S.RECEIVED,
        S.DIAGNOSING,
        S.REPAIRING,
        S.SHIPPED,
        S.CLOSED,
    ]
    final = answers[-1].json()
    assert final["resolution"] == "repaired"
    assert final["outbound_tracking"] == "OUT-1"
    assert [event["action"] for event in final["events"]] == [
        "create",
        "authorize",
        "receive",
        "start_diagnosis",
        "record_diagnosis",
        "repair",
        "ship",
        "close",
    ]
    rma = RMA.objects.get(number=number)
    assert rma.device == device
    assert set(RMAEvent.objects.filter(rma=rma).exclude(action="create").values_list("source", flat=True)) == {"api"}
    assert set(RMAEvent.objects.filter(rma=rma).exclude(action="create").values_list("actor", flat=True)) == {
        technician.pk
    }


def test_a_move_the_lifecycle_refuses_is_409_with_its_code(api, technician, build):
    rma = build(S.SUBMITTED)

    answer = post(api(technician), rma.number, "ship", {"tracking_number": "T-1"})

    assert answer.status_code == 409
    assert answer.json()["code"] == "transition_not_allowed"
    assert rma.number in answer.json()["message"]
    rma.refresh_from_db()
    assert rma.status == S.SUBMITTED


def test_bad_input_is_400_with_the_field_errors(api, technician, build):
    rma = build(S.DIAGNOSING)

    answer = post(api(technician), rma.number, "ship", {})

    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert "tracking_number" in body["errors"]
    assert body["message"].startswith("tracking_number")


def test_a_domain_error_on_a_field_is_400_and_names_the_field(api, technician, build):
    rma = build(S.DIAGNOSING)

    answer = post(api(technician), rma.number, "reject", {"reason": "x"})  # technicians cannot reject
    assert answer.status_code == 403

    answer = post(api(technician), rma.number, "diagnose", {"component": "no-such-part", "outcome": "confirmed"})
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "unknown_component",
        "message": "Unknown component “no-such-part”.",
        "field": "component",
    }


def test_an_unknown_number_is_404(api, technician):
    answer = api(technician).get("/api/v1/rmas/RMA-NOPE/")
    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_rma"
    answer = post(api(technician), "RMA-NOPE", "authorize")
    assert answer.status_code == 404


def test_no_credentials_is_401_with_www_authenticate(api):
    answer = api().get("/api/v1/rmas/")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json()["code"] == "not_authenticated"

    answer = api().get("/api/v1/rmas/", HTTP_AUTHORIZATION="Token not-a-token")
    assert answer.status_code == 401
    assert answer.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_the_token_is_taken_after_bearer_or_token(api, technician, scheme):
    from tests.api.conftest import token_key_for

    key = token_key_for(technician)

    answer = api().get("/api/v1/rmas/", HTTP_AUTHORIZATION=f"{scheme} {key}")

    assert answer.status_code == 200


@pytest.mark.parametrize(
    "header, code",
    [("Bearer", "authentication_failed"), ("Bearer a b", "authentication_failed"), ("Basic abc", "not_authenticated")],
)
def test_a_malformed_or_foreign_authorization_is_401(api, header, code):
    answer = api().get("/api/v1/rmas/", HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401
    assert answer.json()["code"] == code


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded"])
def test_bodies_are_json_only(api, technician, build, content_type):
    rma = build(S.SUBMITTED)
    answer = api(technician).post(f"/api/v1/rmas/{rma.number}/authorize/", b"instructions=x", content_type=content_type)

    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"
    rma.refresh_from_db()
    assert rma.status == S.SUBMITTED


def test_an_action_without_input_takes_no_body_at_all(api, technician, build):
    rma = build(S.SUBMITTED)
    answer = api(technician).post(f"/api/v1/rmas/{rma.number}/authorize/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "authorized"


def test_engineers_cannot_move_returns(api, engineer, build):
    rma = build(S.SUBMITTED)

    answer = post(api(engineer), rma.number, "authorize")

    assert answer.status_code == 403
    assert answer.json()["code"] == "permission_denied"
    assert api(engineer).get(f"/api/v1/rmas/{rma.number}/").status_code == 200


def test_technicians_cannot_grant_goodwill_but_supervisors_can(api, technician, supervisor, build):
    rma = build(S.DIAGNOSING, in_warranty=False)
    detail = api(technician).get(f"/api/v1/rmas/{rma.number}/").json()
    assert detail["goodwill_eligible"] is True, detail["goodwill_reason"]
    assert detail["in_warranty"] is False

    refused = post(
        api(technician), rma.number, "grant-goodwill", {"reason": "Unknown cause.", "replacement_serial": "GW-1"}
    )
    granted = post(
        api(supervisor), rma.number, "grant-goodwill", {"reason": "Unknown cause.", "replacement_serial": "GW-1"}
    )

    assert refused.status_code == 403
    assert granted.status_code == 200, granted.json()
    body = granted.json()
    assert body["status"] == S.REPLACING
    assert body["coverage"] == "goodwill"
    assert body["disposition"] == "retained_for_rca"
    assert body["replacement_serial"] == "GW-1"
    assert RootCauseCase.objects.filter(rma__number=rma.number).exists()

    again = post(api(supervisor), rma.number, "grant-goodwill", {"reason": "Again.", "replacement_serial": "GW-2"})
    assert again.status_code == 409


def test_quote_accept_and_replace_steps(api, technician, supervisor, build):
    rma = build(S.DIAGNOSING, in_warranty=False)
    client = api(technician)

    quoted = post(client, rma.number, "quote", {"amount": "79.00"})
    accepted = post(api(supervisor), rma.number, "accept-quote", {"answered_via": "phone"})

    assert quoted.status_code == 200, quoted.json()
    assert quoted.json()["status"] == S.AWAITING_CUSTOMER
    assert quoted.json()["quote_amount"] == "79.00"
    assert accepted.json()["status"] == S.REPAIRING
    assert accepted.json()["coverage"] == "paid"

    other = build(S.DIAGNOSING)
    replaced = post(client, other.number, "replace", {"replacement_serial": "new-unit-1"})
    assert replaced.json()["status"] == S.REPLACING
    assert replaced.json()["replacement_serial"] == "NEW-UNIT-1"


def test_reject_and_cancel(api, supervisor, build):
    first, second = build(S.SUBMITTED), build(S.SUBMITTED)

    rejected = post(api(supervisor), first.number, "reject", {"reason": "Not our product."})
    cancelled = post(api(supervisor), second.number, "cancel", {"reason": "Customer asked."})
    no_reason = post(api(supervisor), build(S.SUBMITTED).number, "reject", {"reason": ""})

    assert rejected.json()["status"] == S.REJECTED
    assert cancelled.json()["status"] == S.CANCELLED
    assert no_reason.status_code == 400


def test_list_filters_and_explicit_ordering(api, technician, build, make_device):
    submitted = build(S.SUBMITTED)
    received = build(S.RECEIVED)
    closed = build(S.CLOSED)
    client = api(technician)

    by_status = client.get("/api/v1/rmas/", {"status": ["submitted", "received"]}).json()
    by_number = client.get("/api/v1/rmas/", {"ordering": "number"}).json()
    unknown_status = client.get("/api/v1/rmas/", {"status": "lost"})
    by_serial = client.get("/api/v1/rmas/", {"serial_number": closed.device.serial_number}).json()

    assert {row["number"] for row in by_status["results"]} == {submitted.number, received.number}
    assert [row["number"] for row in by_number["results"]] == sorted([submitted.number, received.number, closed.number])
    assert unknown_status.status_code == 400
    assert [row["number"] for row in by_serial["results"]] == [closed.number]


def test_create_refuses_a_second_open_return_with_409(api, technician, build):
    rma = build(S.SUBMITTED)

    answer = api(technician).post(
        "/api/v1/rmas/",
        {"serial_number": rma.device.serial_number, "customer_email": "a@example.com", "fault_description": "Dead."},
        format="json",
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "open_rma_exists"


def test_a_method_an_endpoint_does_not_have_is_405(api, technician, build):
    rma = build(S.SUBMITTED)
    assert api(technician).put(f"/api/v1/rmas/{rma.number}/", {}, format="json").status_code == 405
    assert api(technician).get(f"/api/v1/rmas/{rma.number}/authorize/").status_code == 405
    assert api().put(f"/api/v1/rmas/{rma.number}/", {}, format="json").status_code == 401


@pytest.mark.parametrize(
    "params, status",
    [
        ({"created_after": "2026-01-01T00:00:00-18:30"}, 200),  # an offset PostgreSQL would refuse as such
        ({"created_after": "9999-12-31T23:59:59-18:30"}, 400),  # past the end of time once in UTC
        ({"created_after": "yesterday"}, 400),
        ({"lot": "L\x00"}, 400),
    ],
)
def test_odd_filter_values_are_answered_not_crashed_on(api, technician, params, status):
    assert api(technician).get("/api/v1/rmas/", params).status_code == status


@pytest.mark.parametrize(
    "url",
    ["/api/v1/rmas/RMA-%00/", "/api/v1/devices/SN%00/", "/api/v1/failure-patterns/FP%00/", "/api/v1/components/x%00/"],
)
def test_a_nul_character_in_a_path_is_not_found(api, technician, url):
    assert api(technician).get(url).status_code == 404
