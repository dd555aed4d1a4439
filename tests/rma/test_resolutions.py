"""Resolutions follow the path (SPEC §4): derived on closing, contradictions refused, refunds recorded and approved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from diagnostics import services as diagnostics_services
from rma import resolutions, services
from rma.models import RMA, OutboxMessage, Refund, Source
from rma.notifications import outbox_render
from tests.factories import UserFactory
from tests.helpers import last_event, reload

pytestmark = pytest.mark.django_db

S = RMA.Status
D = RMA.Disposition
ADMIN = Source.ADMIN


def last_email(rma):
    """The latest e-mail written for ``rma``, as it will be sent."""
    return outbox_render(OutboxMessage.objects.filter(rma=rma).order_by("-id").first())


def goodwill_shipped(build, supervisor, technician):
    rma = build(S.DIAGNOSING, in_warranty=False)
    rma = diagnostics_services.goodwill_grant(
        rma=rma, actor=supervisor, source=ADMIN, reason="Unknown failure.", replacement_serial="GW-NEW-1"
    )
    return services.rma_ship(rma=rma, actor=technician, source=ADMIN, tracking_number="TRK-GW")


def paid_repair_shipped(build, supervisor, technician, battery):
    rma = build(S.DIAGNOSING, in_warranty=False, diagnosed=False)
    diagnostics_services.diagnosis_record(
        rma=rma, actor=technician, source=ADMIN, component=battery, outcome="confirmed", symptoms="dead"
    )
    rma = services.rma_quote(rma=reload(rma), actor=technician, source=ADMIN, amount="79.00")
    rma = services.rma_accept_quote(rma=rma, actor=None, source=Source.PAGE)
    return services.rma_ship(rma=rma, actor=technician, source=ADMIN, tracking_number="TRK-PAID")


# The pure rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "resolution"),
    [
        (resolutions.ReturnPath(refunded=True), "refunded"),
        (resolutions.ReturnPath(replacement_shipped=True, latest_outcome="confirmed"), "replaced"),
        (resolutions.ReturnPath(own_unit_returned=True, repaired=True, latest_outcome="confirmed"), "repaired"),
        (resolutions.ReturnPath(own_unit_returned=True, repaired=True, latest_outcome="no_fault_found"), "repaired"),
        (resolutions.ReturnPath(own_unit_returned=True, latest_outcome="no_fault_found"), "no_fault_found"),
        (resolutions.ReturnPath(own_unit_returned=True, latest_outcome="confirmed"), "returned_unrepaired"),
        (resolutions.ReturnPath(own_unit_returned=True), "returned_unrepaired"),
        (resolutions.ReturnPath(latest_outcome="confirmed"), ""),
    ],
)
def test_the_path_decides_the_resolution(path, resolution):
    assert resolutions.resolution_derive(path).resolution == resolution


# Findings: a resolution that contradicts the path -------------------------------------------------


def test_a_shipped_goodwill_replacement_cannot_be_closed_as_refunded(build, supervisor, technician):
    rma = goodwill_shipped(build, supervisor, technician)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_close(rma=rma, actor=technician, source=ADMIN, resolution="refunded")
    assert refused.value.code == "resolution_mismatch"
    assert refused.value.http_status == 409
    assert reload(rma).status == S.SHIPPED

    rma = services.rma_close(rma=rma, actor=technician, source=ADMIN)
    assert rma.resolution == RMA.Resolution.REPLACED
    closing = last_email(rma)
    assert "replaced" in closing.subject
    assert "GW-NEW-1" in closing.body
    assert "refund" not in (closing.subject + closing.body).lower()


def test_a_paid_repair_of_a_confirmed_fault_cannot_be_closed_as_no_fault_found(build, supervisor, technician, battery):
    rma = paid_repair_shipped(build, supervisor, technician, battery)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_close(rma=rma, actor=technician, source=ADMIN, resolution="no_fault_found")
    assert refused.value.code == "resolution_mismatch"

    rma = services.rma_close(rma=rma, actor=technician, source=ADMIN)
    assert rma.resolution == RMA.Resolution.REPAIRED
    closing = last_email(rma)
    assert "repaired" in closing.subject
    assert "We repaired your device" in closing.body
    assert "You paid 79.00 for the repair" in closing.body
    assert "no fault" not in closing.body.lower()


def test_no_fault_found_needs_the_latest_diagnosis_to_have_found_none(build, technician, battery):
    # given a unit first thought fault-free, then found to have a failed battery, and shipped back
    rma = build(S.DIAGNOSING, outcome="no_fault_found")
    diagnostics_services.diagnosis_record(
        rma=rma, actor=technician, source=ADMIN, component=battery, outcome="customer_damage"
    )
    rma = services.rma_ship(rma=reload(rma), actor=technician, source=ADMIN, tracking_number="T")
    with pytest.raises(TransitionRefused) as refused:
        services.rma_close(rma=rma, actor=technician, source=ADMIN, resolution="no_fault_found")
    assert refused.value.code == "resolution_mismatch"
    assert services.rma_close(rma=rma, actor=technician, source=ADMIN).resolution == "returned_unrepaired"


def test_the_task_closing_a_return_gets_the_same_check(build, technician):
    rma = build(S.SHIPPED)  # repaired under warranty
    with pytest.raises(TransitionRefused) as refused:
        services.rma_close(rma=rma, actor=None, source=Source.TASK, resolution="replaced")
    assert refused.value.code == "resolution_mismatch"


# Findings: a refund by a technician alone, and the customer's own unit into stock ----------------


def test_a_technician_cannot_close_as_refunded_nor_refund(build, technician):
    rma = build(S.DIAGNOSING, in_warranty=False)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_close(rma=rma, actor=technician, source=ADMIN, resolution="refunded")
    assert refused.value.code == "transition_not_allowed"
    with pytest.raises(ActionNotPermitted) as denied:
        services.rma_refund(
            rma=rma, actor=technician, source=ADMIN, amount="1.00", currency="EUR", method="bank_transfer", reason="x"
        )
    assert denied.value.http_status == 403
    assert not Refund.objects.exists()
    assert (reload(rma).status, reload(rma).resolution) == (S.DIAGNOSING, "")


def test_the_customers_own_unit_cannot_go_to_refurbished_stock_without_a_refund(build, technician):
    rma = build(S.DIAGNOSING, in_warranty=False)
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(rma=rma, actor=technician, source=ADMIN, disposition=D.REFURBISHED_STOCK)
    assert refused.value.code == "unit_owed_to_customer"
    assert reload(rma).disposition == D.IN_REPAIR_CENTRE


def test_a_supervisor_refund_is_recorded_closes_the_return_and_keeps_the_unit(build, supervisor, technician):
    rma = build(S.DIAGNOSING, in_warranty=False)
    rma = services.rma_refund(
        rma=rma,
        actor=supervisor,
        source=ADMIN,
        amount="129.5",
        currency="eur",
        method="original_payment",
        reason="No parts to repair it.",
    )
    refund = rma.refund
    assert (refund.amount, refund.currency, refund.method) == (Decimal("129.50"), "EUR", "original_payment")
    assert (refund.approved_by, refund.reason) == (supervisor, "No parts to repair it.")
    rma = reload(rma)
    assert (rma.status, rma.resolution, rma.disposition) == (S.CLOSED, "refunded", D.IN_REPAIR_CENTRE)
    event = last_event(rma)
    assert (event.action, event.actor) == ("refund", supervisor)
    assert event.data["amount"] == "129.50" and event.data["currency"] == "EUR"
    email = last_email(rma)
    assert "refunded" in email.subject
    assert "We have refunded you 129.50 EUR to your original payment method" in email.body
    assert "still working" not in email.body  # nothing to follow up
    # the unit now belongs to the repair centre
    rma = diagnostics_services.unit_dispose(rma=rma, actor=technician, source=ADMIN, disposition=D.REFURBISHED_STOCK)
    assert rma.disposition == D.REFURBISHED_STOCK


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"currency": "XYZ"}, "invalid_currency"),
        ({"currency": "euro"}, "invalid_currency"),
        ({"method": "cash_in_envelope"}, "invalid_refund_method"),
        ({"amount": "0"}, "invalid_amount"),
        ({"reason": "  "}, "reason_required"),
    ],
)
def test_a_refund_needs_an_amount_an_iso_currency_a_method_and_a_reason(change, code, build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False)
    fields = {"amount": "10.00", "currency": "EUR", "method": "bank_transfer", "reason": "Why not."} | change
    with pytest.raises(InvalidInput) as invalid:
        services.rma_refund(rma=rma, actor=supervisor, source=ADMIN, **fields)
    assert invalid.value.code == code
    assert reload(rma).status == S.DIAGNOSING


def test_a_replaced_return_is_not_refunded_as_well(build, supervisor):
    rma = build(S.REPLACING)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_refund(
            rma=rma, actor=supervisor, source=ADMIN, amount="5", currency="EUR", method="bank_transfer", reason="x"
        )
    assert refused.value.code == "transition_not_allowed"
    rma = build(S.DIAGNOSING, in_warranty=False)
    rma = diagnostics_services.goodwill_grant(
        rma=rma, actor=supervisor, source=ADMIN, reason="Unknown failure.", replacement_serial="GW-X"
    )
    assert rma.status == S.REPLACING  # a goodwill grant moves on too: nothing left to refund


def test_refunds_are_approved_by_the_supervisor_role_only(roles):
    for role, may in [("technician", False), ("supervisor", True), ("engineer", False)]:
        user = UserFactory(role=role)
        assert user.has_perm("rma.approve_refund") is may
        assert user.has_perm("rma.approve_quote") is may


# Findings: a technician quoting 0.01 and recording the customer's acceptance ----------------------


def test_a_quote_below_the_minimum_needs_a_supervisor(build, technician, supervisor, settings):
    settings.RMA_QUOTE_MINIMUM = "10.00"
    rma = build(S.DIAGNOSING, in_warranty=False)
    with pytest.raises(ActionNotPermitted) as denied:
        services.rma_quote(rma=rma, actor=technician, source=ADMIN, amount="0.01")
    assert denied.value.code == "quote_below_minimum"
    assert reload(rma).status == S.DIAGNOSING

    rma = services.rma_quote(rma=rma, actor=supervisor, source=ADMIN, amount="5.00")
    assert (rma.status, rma.quote_amount) == (S.AWAITING_CUSTOMER, Decimal("5.00"))
    assert last_event(rma).data["below_minimum_approved_by"] == supervisor.username


def test_the_quote_minimum_is_a_setting(build, technician, settings):
    settings.RMA_QUOTE_MINIMUM = "50.00"
    rma = build(S.DIAGNOSING, in_warranty=False)
    with pytest.raises(ActionNotPermitted):
        services.rma_quote(rma=rma, actor=technician, source=ADMIN, amount="49.99")
    assert services.rma_quote(rma=rma, actor=technician, source=ADMIN, amount="50.00").status == S.AWAITING_CUSTOMER


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_a_technician_cannot_record_the_customers_answer(answer, build, technician):
    rma = build(S.AWAITING_CUSTOMER)
    call = services.rma_accept_quote if answer == "accept" else services.rma_decline_quote
    with pytest.raises(ActionNotPermitted):
        call(rma=rma, actor=technician, source=ADMIN, answered_via="phone")
    assert reload(rma).quote_status == RMA.QuoteStatus.PENDING


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_a_supervisor_records_the_answer_and_how_it_was_given(answer, build, supervisor):
    rma = build(S.AWAITING_CUSTOMER)
    call = services.rma_accept_quote if answer == "accept" else services.rma_decline_quote
    with pytest.raises(InvalidInput) as invalid:
        call(rma=rma, actor=supervisor, source=ADMIN)
    assert invalid.value.code == "answered_via_required"

    call(rma=rma, actor=supervisor, source=ADMIN, answered_via="phone")
    event = last_event(rma)
    assert event.data["answered_via"] == "phone"
    assert event.actor == supervisor
    assert "by phone" in event.internal_note and supervisor.username in event.internal_note
    assert "by phone" in event.customer_message
    assert "by phone" in last_email(rma).body


def test_the_customer_answers_on_their_page_as_before(build):
    rma = services.rma_accept_quote(rma=build(S.AWAITING_CUSTOMER), actor=None, source=Source.PAGE)
    assert rma.status == S.REPAIRING
    assert last_event(rma).data["answered_via"] == "page"
