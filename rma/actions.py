"""The returns' lifecycle actions (SPEC §4), each declared once.

The status table is ``rma.lifecycle.TRANSITIONS``; ``rma.services.transitions.rma_transition`` is the one
door that applies a declaration. The diagnostics app declares the steps that need its facts (diagnosis,
goodwill, retention and disposal of the failed unit) on the same kind in ``diagnostics.actions``.
"""

from __future__ import annotations

from typing import Any

from core.actions import Action, Kind, declare
from core.admin import ConfirmForm
from rma import forms, lifecycle, services
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


AUTHORIZE = Action(
    RETURN,
    "authorize",
    "Authorize return",
    PROCESS,
    services.rma_authorize,
    to_status=S.AUTHORIZED,
    form=forms.AuthorizeForm,
    serializer=s.AuthorizeSerializer,
    description="Approve the return (submitted → authorized); `instructions` are added to the customer's e-mail.",
    customer_message="Your return is approved. Please pack the device and send it to our repair centre.",
    style="primary",
)
REJECT = Action(
    RETURN,
    "reject",
    "Reject",
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
    "Cancel",
    PROCESS,
    services.rma_cancel,
    to_status=S.CANCELLED,
    form=forms.CancelForm,
    serializer=s.OptionalReasonSerializer,
    description="Cancel a return that has not arrived yet.",
    style="danger",
    anonymous_sources=frozenset({"page", "task"}),
    customer_message="Your return has been cancelled.",
    example=lambda rma: {"reason": "Customer changed their mind."},
)
RECEIVE = Action(
    RETURN,
    "receive",
    "Mark received",
    PROCESS,
    services.rma_receive,
    to_status=S.RECEIVED,
    form=forms.ReceiveForm,
    serializer=s.ReceiveSerializer,
    description="The unit has arrived (authorized → received); the repair centre now holds it.",
    customer_message="Your device has arrived at our repair centre. Thank you for sending it.",
    style="primary",
)
START_DIAGNOSIS = Action(
    RETURN,
    "start_diagnosis",
    "Start diagnosis",
    PROCESS,
    services.rma_start_diagnosis,
    to_status=S.DIAGNOSING,
    form=ConfirmForm,
    api=False,  # the API's diagnose starts the diagnosis of a received return itself
    customer_message="A technician has started examining your device.",
    style="primary",
)
QUOTE = Action(
    RETURN,
    "quote",
    "Send repair quote",
    PROCESS,
    services.rma_quote,
    to_status=S.AWAITING_CUSTOMER,
    form=forms.QuoteForm,
    serializer=s.QuoteSerializer,
    description="Quote a paid repair for a unit out of warranty (→ awaiting_customer).",
    offer=lambda rma: rma.coverage == RMA.Coverage.NONE,
    example=lambda rma: {"amount": "79.00"},
)
ACCEPT_QUOTE = Action(
    RETURN,
    "accept_quote",
    "Quote accepted",
    PROCESS,
    services.rma_accept_quote,
    to_status=S.REPAIRING,
    from_statuses=frozenset({S.AWAITING_CUSTOMER}),
    form=ConfirmForm,
    description="The customer accepted the quote (→ repairing, coverage paid).",
    offer=lambda rma: rma.quote_status == RMA.QuoteStatus.PENDING,
    anonymous_sources=frozenset({"page"}),
    customer_message="Thank you: you accepted the quote and the repair has started.",
)
DECLINE_QUOTE = Action(
    RETURN,
    "decline_quote",
    "Quote declined",
    PROCESS,
    services.rma_decline_quote,
    from_statuses=frozenset({S.AWAITING_CUSTOMER}),
    form=ConfirmForm,
    description="The customer declined the quote: the unit goes back unrepaired.",
    offer=lambda rma: rma.quote_status == RMA.QuoteStatus.PENDING,
    anonymous_sources=frozenset({"page"}),
    customer_message="You declined the repair quote. We will return your device unrepaired, free of charge.",
)
REPAIR = Action(
    RETURN,
    "repair",
    "Start repair",
    PROCESS,
    services.rma_repair,
    to_status=S.REPAIRING,
    from_statuses=frozenset({S.DIAGNOSING}),
    form=ConfirmForm,
    description="Start a repair covered by warranty (diagnosing → repairing).",
    offer=lambda rma: rma.coverage == RMA.Coverage.WARRANTY,
    customer_message="Your device is being repaired at no charge.",
    style="primary",
)
REPLACE = Action(
    RETURN,
    "replace",
    "Replace unit",
    PROCESS,
    services.rma_replace,
    to_status=S.REPLACING,
    form=forms.ReplaceForm,
    serializer=s.ReplaceSerializer,
    description=(
        "Replace the unit (→ replacing) with `replacement_serial` from stock, or a new unit of the same model."
    ),
    offer=lambda rma: rma.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.PAID),
    customer_message="We are replacing your device at no charge. The replacement is being prepared.",
    example=lambda rma: {"replacement_serial": f"REPL-{rma.pk}"},
)
SHIP = Action(
    RETURN,
    "ship",
    "Ship",
    PROCESS,
    services.rma_ship,
    to_status=S.SHIPPED,
    form=forms.ShipForm,
    serializer=s.ShipSerializer,
    description="Ship the repaired, unrepaired or replacement unit with its tracking number (→ shipped).",
    offer=lambda rma: rma.disposition != RMA.Disposition.RETAINED_FOR_RCA or rma.replacement_device_id is not None,
    example=lambda rma: {"tracking_number": "TRK-123"},
    style="primary",
)
CLOSE = Action(
    RETURN,
    "close",
    "Close",
    PROCESS,
    services.rma_close,
    to_status=S.CLOSED,
    form=forms.CloseForm,
    serializer=s.CloseSerializer,
    description="Close the return with its resolution (inferred from what happened when empty).",
    anonymous_sources=frozenset({"task"}),
    customer_message="Your return is complete. Thank you for your patience, and for choosing us.",
)
NOTE = Action(
    RETURN,
    "note",
    "Add note",
    PROCESS,
    services.rma_add_note,
    from_statuses=frozenset(lifecycle.TRANSITIONS),
    form=forms.NoteForm,
    api=False,
    example=lambda rma: {"note": "Customer phoned."},
)
APPROVE_COMPENSATION = Action(
    RETURN,
    "approve_compensation",
    "Decide compensation",
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
    NOTE,
    APPROVE_COMPENSATION,
)
