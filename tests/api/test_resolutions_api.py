"""Resolutions, refunds and quotes through the API: the services' checks answer as JSON with their codes."""

from __future__ import annotations

import pytest

from diagnostics import services as diagnostics_services
from rma import services
from rma.models import RMA, Refund, RMAEvent, Source

pytestmark = pytest.mark.django_db

S = RMA.Status
REFUND = {"amount": "129.00", "currency": "EUR", "method": "bank_transfer", "reason": "Cannot be repaired."}


def post(client, rma_number: str, step: str, data=None):
    return client.post(f"/api/v1/rmas/{rma_number}/{step}/", data or {}, format="json")


def test_closing_with_a_resolution_that_contradicts_the_path_is_409(api, build, supervisor, technician):
    # a goodwill replacement, shipped
    rma = build(S.DIAGNOSING, in_warranty=False)
    rma = diagnostics_services.goodwill_grant(
        rma=rma, actor=supervisor, source=Source.ADMIN, reason="Unknown failure.", replacement_serial="GW-API"
    )
    services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="T-1")

    refused = post(api(technician), rma.number, "close", {"resolution": "refunded"})
    closed = post(api(technician), rma.number, "close", {})

    assert refused.status_code == 409
    assert refused.json()["code"] == "resolution_mismatch"
    assert "replacement" in refused.json()["message"]
    assert closed.status_code == 200, closed.json()
    assert (closed.json()["status"], closed.json()["resolution"]) == (S.CLOSED, "replaced")


def test_a_technician_may_not_refund(api, build, technician):
    rma = build(S.DIAGNOSING, in_warranty=False)
    denied = post(api(technician), rma.number, "refund", REFUND)
    closed_as_refunded = post(api(technician), rma.number, "close", {"resolution": "refunded"})
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert closed_as_refunded.status_code == 409
    assert not Refund.objects.exists()


def test_a_supervisor_refunds_and_the_unit_stays(api, build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False)
    answer = post(api(supervisor), rma.number, "refund", REFUND)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["status"], body["resolution"], body["disposition"]) == (S.CLOSED, "refunded", "in_repair_centre")
    refund = Refund.objects.get(rma__number=rma.number)
    assert (str(refund.amount), refund.currency, refund.method, refund.approved_by) == (
        "129.00",
        "EUR",
        "bank_transfer",
        supervisor,
    )
    # and the return's detail says what was paid back, how, and who approved it
    shown = body["refund"]
    assert (shown["amount"], shown["currency"], shown["method"], shown["approved_by"]) == (
        "129.00",
        "EUR",
        "bank_transfer",
        supervisor.username,
    )


def test_a_return_without_a_refund_shows_none(api, build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False)
    assert api(supervisor).get(f"/api/v1/rmas/{rma.number}/").json()["refund"] is None


def test_a_refund_in_an_unknown_currency_is_400(api, build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False)
    answer = post(api(supervisor), rma.number, "refund", REFUND | {"currency": "ABC"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_currency"


def test_a_quote_below_the_minimum_needs_a_supervisor(api, build, technician, supervisor, settings):
    settings.RMA_QUOTE_MINIMUM = "10.00"
    rma = build(S.DIAGNOSING, in_warranty=False)
    denied = post(api(technician), rma.number, "quote", {"amount": "0.01"})
    assert denied.status_code == 403
    assert denied.json()["code"] == "quote_below_minimum"
    allowed = post(api(supervisor), rma.number, "quote", {"amount": "9.00"})
    assert allowed.status_code == 200, allowed.json()
    assert allowed.json()["quote_amount"] == "9.00"


@pytest.mark.parametrize("step", ["accept-quote", "decline-quote"])
def test_staff_recording_the_customers_answer_needs_a_supervisor_and_the_channel(
    step, api, build, technician, supervisor
):
    rma = build(S.AWAITING_CUSTOMER)
    by_technician = post(api(technician), rma.number, step, {"answered_via": "phone"})
    without_channel = post(api(supervisor), rma.number, step, {})
    recorded = post(api(supervisor), rma.number, step, {"answered_via": "in_person"})

    assert by_technician.status_code == 403
    assert without_channel.status_code == 400
    assert recorded.status_code == 200, recorded.json()
    event = RMAEvent.objects.filter(rma__number=rma.number).order_by("-id").first()
    assert event.action == step.replace("-", "_")
    assert event.data["answered_via"] == "in_person"
    assert "in person" in event.customer_message
