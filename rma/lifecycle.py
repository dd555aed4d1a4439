"""The RMA status table (SPEC §4): which status may follow which, and what each action needs.

This module only describes the lifecycle; the actions that move a return are declared in
``rma.actions`` (and ``diagnostics.actions``), and ``rma.services.rma_transition`` is the one place that
applies them.
"""

from __future__ import annotations

from core.phrases import Said, say
from rma.models import RMA

S = RMA.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.AUTHORIZED, S.REJECTED, S.CANCELLED}),
    S.AUTHORIZED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.DIAGNOSING}),
    S.DIAGNOSING: frozenset({S.REPAIRING, S.REPLACING, S.AWAITING_CUSTOMER, S.SHIPPED, S.CLOSED}),
    S.AWAITING_CUSTOMER: frozenset({S.REPAIRING, S.REPLACING, S.SHIPPED, S.CLOSED}),
    S.REPAIRING: frozenset({S.SHIPPED}),
    S.REPLACING: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

FINAL_STATUSES = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)
OPEN_STATUSES = frozenset(TRANSITIONS) - FINAL_STATUSES

# What the customer reads for each status: plain words, saying what happens next.
CUSTOMER_SENTENCES: dict[str, Said] = {
    S.SUBMITTED: say("We have your request and are checking it. You will hear from us within one working day."),
    S.AUTHORIZED: say("Your return is approved. Please send the device to us using the instructions we e-mailed you."),
    S.RECEIVED: say("Your device has arrived at our repair centre and is waiting for a technician."),
    S.DIAGNOSING: say("A technician is examining your device to find out what went wrong."),
    S.AWAITING_CUSTOMER: say("We need your answer: please look at the repair quote we sent you."),
    S.REPAIRING: say("Your device is being repaired."),
    S.REPLACING: say("A replacement device is being prepared for you."),
    S.SHIPPED: say("Your device is on its way back to you."),
    S.CLOSED: say("Your return is complete. Thank you for your patience."),
    S.REJECTED: say("We could not accept this return."),
    S.CANCELLED: say("This return was cancelled."),
}

PROCESS = "rma.process_rma"
REJECT = "rma.reject_rma"
APPROVE_GOODWILL = "rma.approve_goodwill"
APPROVE_COMPENSATION = "rma.approve_compensation"
APPROVE_REFUND = "rma.approve_refund"
APPROVE_QUOTE = "rma.approve_quote"
ASSIGN = "rma.assign_rma"


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
