"""The returns' lifecycle actions (SPEC §4), each declared once.

The status table is ``rma.lifecycle.TRANSITIONS``; ``rma.services.transitions.rma_transition`` is the one
door that applies a declaration. The diagnostics app declares the steps that need its facts (diagnosis,
goodwill, retention and disposal of the failed unit) on the same kind in ``diagnostics.actions``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from core.actions import Action, Kind, declare
from core.admin import ConfirmForm
from core.phrases import say
from rma import forms, lifecycle, selectors, services
from rma.api import serializers as s
from rma.models import RMA, Compensation

S = RMA.Status
PROCESS = lifecycle.PROCESS

RETURN = Kind("rma", argument="rma", label="return", transitions=lifecycle.TRANSITIONS)


def _compensation_terms(rma: RMA, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": data["kind"],
        "months": data.get("months") or 0,
        "amount": data.get("amount"),
        "reason": data["reason"],
    }


def _compensation_undecided(rma: RMA) -> bool:
    return not Compensation.objects.filter(rma=rma).exclude(status=Compensation.Status.SUGGESTED).exists()


def _ownership_in_question(rma: RMA) -> bool:
    return rma.ownership == RMA.Ownership.TO_CONFIRM


def _always(rma: RMA) -> bool:
    return True


# What the page leads with and what it offers (SPEC §13 "the next step first"): the facts of the return's path.
NO_FAULT = "no_fault_found"


def _found_a_fault(rma: RMA) -> bool:
    """Diagnosed, and something is wrong with the unit: the repair or replacement comes next."""
    return selectors.diagnosis_outcome(rma) not in (None, NO_FAULT)


def _unit_here(rma: RMA) -> bool:
    return rma.disposition == RMA.Disposition.IN_REPAIR_CENTRE


def _repair_possible(rma: RMA) -> bool:
    """A free repair (warranty or service programme) needs the customer's own unit on the bench (not one kept)."""
    return (
        rma.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.PROGRAMME)
        and _unit_here(rma)
        and rma.replacement_device_id is None
    )


def _shippable(rma: RMA) -> bool:
    return rma.replacement_device_id is not None or _unit_here(rma)


def _ship_leads(rma: RMA) -> bool:
    """Repaired or replaced; or nothing to fix; or the customer declined the quote."""
    if rma.status in (S.REPAIRING, S.REPLACING):
        return True
    return rma.quote_status == RMA.QuoteStatus.DECLINED or selectors.diagnosis_outcome(rma) == NO_FAULT


# Ownership (SPEC §8): a return started by someone other than the unit's registered owner.
CONFIRM_OWNERSHIP = Action(
    RETURN,
    "confirm_ownership",
    gettext_noop("Confirm ownership"),
    PROCESS,
    services.rma_confirm_ownership,
    from_statuses=frozenset({S.SUBMITTED}),
    form=forms.OwnershipNoteForm,
    serializer=s.OwnershipNoteSerializer,
    description=(
        "A proof of purchase was checked: the person who started the return owns the unit, and the return may be "
        "authorized (the unit is then registered to them)."
    ),
    intro="Confirm when a proof of purchase shows that the person who started the return owns the unit.",
    offer=_ownership_in_question,
    lead=_ownership_in_question,
    customer_message=say(
        "Thank you: we have checked your proof of purchase and confirmed that the device is yours. "
        "We will now look at your return."
    ),
    style="primary",
    example=lambda rma: {"note": "Receipt checked."},
)
REFUSE_OWNERSHIP = Action(
    RETURN,
    "refuse_ownership",
    gettext_noop("Refuse ownership"),
    lifecycle.REJECT,
    services.rma_refuse_ownership,
    to_status=S.REJECTED,
    from_statuses=frozenset({S.SUBMITTED}),
    form=forms.OwnershipNoteForm,
    serializer=s.OwnershipNoteSerializer,
    description="Ownership could not be confirmed: the return is rejected and the unit keeps its owner (supervisors).",
    intro="Ownership could not be confirmed: the return is rejected and the unit keeps its registered owner.",
    offer=_ownership_in_question,
    customer_message=say(
        "We are sorry, we could not confirm that this device is yours, so we cannot accept this return. "
        "If you think this is a mistake, please reply to this e-mail."
    ),
    style="danger",
    example=lambda rma: {"note": "The registered owner says it was not them."},
)
# Not a button: opening the registered owner's own return cancels a stranger's (``rma_create``).
SUPERSEDE = Action(
    RETURN,
    "supersede",
    gettext_noop("Superseded by the owner's return"),
    PROCESS,
    services.rma_supersede,
    to_status=S.CANCELLED,
    from_statuses=frozenset({S.SUBMITTED}),
    api=False,
    anonymous_sources=frozenset({"page"}),
    customer_message=say(
        "This return has been closed: the registered owner of the device has started a return for it. "
        "If you think this is a mistake, please reply to this e-mail."
    ),
    example=lambda rma: {"by_number": "RMA-OWNER"},
)
AUTHORIZE = Action(
    RETURN,
    "authorize",
    gettext_noop("Authorize return"),
    PROCESS,
    services.rma_authorize,
    to_status=S.AUTHORIZED,
    form=forms.AuthorizeForm,
    serializer=s.AuthorizeSerializer,
    description=(
        "Approve the return (submitted → authorized); `instructions` are added to the customer's e-mail. "
        "Refused with `ownership_unconfirmed` while the unit's ownership is to confirm."
    ),
    offer=lambda rma: not _ownership_in_question(rma),
    lead=_always,
    customer_message=say("Your return is approved. Please pack the device and send it to our repair centre."),
    style="primary",
)
REJECT = Action(
    RETURN,
    "reject",
    gettext_noop("Reject"),
    lifecycle.REJECT,
    services.rma_reject,
    to_status=S.REJECTED,
    form=forms.RejectForm,
    serializer=s.ReasonSerializer,
    description="Refuse the return with a reason the customer reads (supervisors).",
    style="danger",
    example=lambda rma: {"reason": "This is not one of our products."},
)
CANCEL = Action(
    RETURN,
    "cancel",
    gettext_noop("Cancel"),
    PROCESS,
    services.rma_cancel,
    to_status=S.CANCELLED,
    form=forms.CancelForm,
    serializer=s.OptionalReasonSerializer,
    description="Cancel a return that has not arrived yet.",
    style="danger",
    anonymous_sources=frozenset({"page", "task"}),
    customer_message=say("Your return has been cancelled."),
    example=lambda rma: {"reason": "Customer changed their mind."},
)
RECEIVE = Action(
    RETURN,
    "receive",
    gettext_noop("Mark received"),
    PROCESS,
    services.rma_receive,
    to_status=S.RECEIVED,
    form=forms.ReceiveForm,
    serializer=s.ReceiveSerializer,
    description="The unit has arrived (authorized → received); the repair centre now holds it.",
    customer_message=say("Your device has arrived at our repair centre. Thank you for sending it."),
    lead=_always,
    style="primary",
)
START_DIAGNOSIS = Action(
    RETURN,
    "start_diagnosis",
    gettext_noop("Start diagnosis"),
    PROCESS,
    services.rma_start_diagnosis,
    to_status=S.DIAGNOSING,
    form=ConfirmForm,
    api=False,  # the API's diagnose starts the diagnosis of a received return itself
    customer_message=say("A technician has started examining your device."),
    lead=_always,
    style="primary",
)
QUOTE = Action(
    RETURN,
    "quote",
    gettext_noop("Send repair quote"),
    PROCESS,
    services.rma_quote,
    to_status=S.AWAITING_CUSTOMER,
    form=forms.QuoteForm,
    serializer=s.QuoteSerializer,
    description="Quote a paid repair for a unit out of warranty (→ awaiting_customer).",
    offer=lambda rma: rma.coverage == RMA.Coverage.NONE and _unit_here(rma),
    lead=_found_a_fault,
    example=lambda rma: {"amount": "79.00"},
)
# The customer answers on their status page; staff record an answer given another way only with a
# supervisor's permission, and say how it was given.
ACCEPT_QUOTE = Action(
    RETURN,
    "accept_quote",
    gettext_noop("Quote accepted"),
    lifecycle.APPROVE_QUOTE,
    services.rma_accept_quote,
    to_status=S.REPAIRING,
    from_statuses=frozenset({S.AWAITING_CUSTOMER}),
    form=forms.StaffQuoteAnswerForm,
    serializer=s.QuoteAnswerSerializer,
    description=(
        "Record that the customer accepted the quote, and how they said so (→ repairing, coverage paid; "
        "supervisors). The customer's own answer comes from their status page."
    ),
    offer=lambda rma: rma.quote_status == RMA.QuoteStatus.PENDING,
    anonymous_sources=frozenset({"page"}),
    example=lambda rma: {"answered_via": "phone"},
)
DECLINE_QUOTE = Action(
    RETURN,
    "decline_quote",
    gettext_noop("Quote declined"),
    lifecycle.APPROVE_QUOTE,
    services.rma_decline_quote,
    from_statuses=frozenset({S.AWAITING_CUSTOMER}),
    form=forms.StaffQuoteAnswerForm,
    serializer=s.QuoteAnswerSerializer,
    description=(
        "Record that the customer declined the quote, and how they said so: the unit goes back unrepaired "
        "(supervisors)."
    ),
    offer=lambda rma: rma.quote_status == RMA.QuoteStatus.PENDING,
    anonymous_sources=frozenset({"page"}),
    example=lambda rma: {"answered_via": "phone"},
)
REPAIR = Action(
    RETURN,
    "repair",
    gettext_noop("Start repair"),
    PROCESS,
    services.rma_repair,
    to_status=S.REPAIRING,
    # from awaiting_customer once a service programme's cover replaced the quote
    from_statuses=frozenset({S.DIAGNOSING, S.AWAITING_CUSTOMER}),
    form=ConfirmForm,
    description="Start a repair covered by warranty (diagnosing → repairing).",
    offer=_repair_possible,
    lead=_found_a_fault,
    customer_message=say("Your device is being repaired at no charge."),
    style="primary",
)
REPLACE = Action(
    RETURN,
    "replace",
    gettext_noop("Replace unit"),
    PROCESS,
    services.rma_replace,
    to_status=S.REPLACING,
    form=forms.ReplaceForm,
    serializer=s.ReplaceSerializer,
    description=(
        "Replace the unit (→ replacing) with `replacement_serial` from stock, or a new unit of the same model."
    ),
    offer=lambda rma: (
        rma.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.PROGRAMME, RMA.Coverage.PAID)
        and rma.replacement_device_id is None
    ),
    lead=_found_a_fault,
    customer_message=say("We are replacing your device at no charge. The replacement is being prepared."),
    example=lambda rma: {"replacement_serial": f"REPL-{rma.pk}"},
)
SHIP = Action(
    RETURN,
    "ship",
    gettext_noop("Ship"),
    PROCESS,
    services.rma_ship,
    to_status=S.SHIPPED,
    form=forms.ShipForm,
    serializer=s.ShipSerializer,
    description="Ship the repaired, unrepaired or replacement unit with its tracking number (→ shipped).",
    offer=_shippable,
    lead=_ship_leads,
    example=lambda rma: {"tracking_number": "TRK-123"},
    style="primary",
)
# Closing follows a shipment and its resolution follows the path (SPEC §4); a return that ends while the
# unit is still here ends with a refund.
CLOSE = Action(
    RETURN,
    "close",
    gettext_noop("Close"),
    PROCESS,
    services.rma_close,
    to_status=S.CLOSED,
    from_statuses=frozenset({S.SHIPPED}),
    form=forms.CloseForm,
    serializer=s.CloseSerializer,
    description=(
        "Close a shipped return. The resolution follows from what happened; one that contradicts it is "
        "refused (409 `resolution_mismatch`)."
    ),
    anonymous_sources=frozenset({"task"}),
    lead=_always,
    style="primary",
)
REFUND = Action(
    RETURN,
    "refund",
    gettext_noop("Refund and close"),
    lifecycle.APPROVE_REFUND,
    services.rma_refund,
    to_status=S.CLOSED,
    from_statuses=frozenset({S.DIAGNOSING, S.AWAITING_CUSTOMER}),
    form=forms.RefundForm,
    serializer=s.RefundSerializer,
    description=(
        "Refund the customer (amount, ISO 4217 currency, method, reason) and close the return as refunded; "
        "the failed unit stays with the repair centre (supervisors)."
    ),
    intro="Refund the customer and close the return as refunded; the failed unit stays with the repair centre.",
    offer=lambda rma: (
        rma.replacement_device_id is None
        and rma.disposition in (RMA.Disposition.IN_REPAIR_CENTRE, RMA.Disposition.RETAINED_FOR_RCA)
    ),
    style="danger",
    example=lambda rma: {
        "amount": "99.00",
        "currency": "EUR",
        "method": "original_payment",
        "reason": "It cannot be repaired.",
    },
)
NOTE = Action(
    RETURN,
    "note",
    gettext_noop("Add note"),
    PROCESS,
    services.rma_add_note,
    from_statuses=frozenset(lifecycle.TRANSITIONS),
    form=forms.NoteForm,
    api=False,
    example=lambda rma: {"note": "Customer phoned."},
)
# Queues (SPEC §13): supervisors assign a return to someone at its centre; anyone who works on returns takes an
# unassigned one of their own centre.
ASSIGN = Action(
    RETURN,
    "assign",
    "Assign",
    lifecycle.ASSIGN,
    services.rma_assign,
    from_statuses=lifecycle.OPEN_STATUSES,
    form=forms.AssignForm,
    serializer=s.AssignSerializer,
    description=(
        "Give the return to a member of its repair centre's staff by `assignee` (username; empty to unassign) "
        "(supervisors). Refused with `assignee_not_at_centre` for someone from another centre."
    ),
    intro="Give the return to someone on its repair centre's staff, or to nobody.",
    example=lambda rma: {"assignee": ""},
)
TAKE = Action(
    RETURN,
    "take",
    "Take it",
    PROCESS,
    services.rma_take,
    from_statuses=lifecycle.OPEN_STATUSES,
    form=ConfirmForm,
    description="Take an unassigned return of your own repair centre (→ your queue).",
    intro="The return goes to your queue.",
    offer=lambda rma: rma.assignee_id is None,
)
APPROVE_COMPENSATION = Action(
    RETURN,
    "approve_compensation",
    gettext_noop("Decide compensation"),
    lifecycle.APPROVE_COMPENSATION,
    services.compensation_approve,
    from_statuses=frozenset(
        {S.RECEIVED, S.DIAGNOSING, S.AWAITING_CUSTOMER, S.REPAIRING, S.REPLACING, S.SHIPPED, S.CLOSED}
    ),
    form=forms.CompensationForm,
    api=False,
    admin_input=_compensation_terms,
    offer=_compensation_undecided,
    example=lambda rma: {"kind": "service_credit", "amount": "10.00", "reason": "We were late."},
)

declare(
    CONFIRM_OWNERSHIP,
    REFUSE_OWNERSHIP,
    SUPERSEDE,
    AUTHORIZE,
    REJECT,
    CANCEL,
    RECEIVE,
    START_DIAGNOSIS,
    QUOTE,
    ACCEPT_QUOTE,
    DECLINE_QUOTE,
    REPAIR,
    REPLACE,
    SHIP,
    CLOSE,
    REFUND,
    NOTE,
    APPROVE_COMPENSATION,
    ASSIGN,
    TAKE,
)
