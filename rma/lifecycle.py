"""The RMA status table (SPEC §4): which status may follow which, and what each action needs.

This module only describes the lifecycle; ``rma.services.rma_transition`` is the one place that
applies it.
"""

from __future__ import annotations

from dataclasses import dataclass

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

# What the customer reads for each status: plain words, saying what happens next.
CUSTOMER_SENTENCES: dict[str, str] = {
    S.SUBMITTED: "We have your request and are checking it. You will hear from us within one working day.",
    S.AUTHORIZED: "Your return is approved. Please send the device to us using the instructions we e-mailed you.",
    S.RECEIVED: "Your device has arrived at our repair centre and is waiting for a technician.",
    S.DIAGNOSING: "A technician is examining your device to find out what went wrong.",
    S.AWAITING_CUSTOMER: "We need your answer: please look at the repair quote we sent you.",
    S.REPAIRING: "Your device is being repaired.",
    S.REPLACING: "A replacement device is being prepared for you.",
    S.SHIPPED: "Your device is on its way back to you.",
    S.CLOSED: "Your return is complete. Thank you for your patience.",
    S.REJECTED: "We could not accept this return. Our message below explains why.",
    S.CANCELLED: "This return was cancelled.",
}

PROCESS = "rma.process_rma"
REJECT = "rma.reject_rma"
APPROVE_GOODWILL = "rma.approve_goodwill"
APPROVE_COMPENSATION = "rma.approve_compensation"


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    to_status: str | None  # None: the action records something without moving the RMA
    permission: str
    # Sources that may act without a staff user (the customer on the public pages, a task, an import).
    anonymous_sources: frozenset[str] = frozenset()
    customer_message: str = ""
    # Where the action may start. Empty: every status the table lets move to ``to_status``.
    only_from: frozenset[str] = frozenset()

    @property
    def from_statuses(self) -> frozenset[str]:
        if self.only_from:
            return self.only_from
        return frozenset(status for status, nexts in TRANSITIONS.items() if self.to_status in nexts)


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "authorize",
            "Authorize return",
            S.AUTHORIZED,
            PROCESS,
            customer_message="Your return is approved. Please pack the device and send it to our repair centre.",
        ),
        Action("reject", "Reject", S.REJECTED, REJECT),
        # Ownership (SPEC §8): a return started by someone other than the unit's registered owner.
        Action(
            "confirm_ownership",
            "Confirm ownership",
            None,
            PROCESS,
            only_from=frozenset({S.SUBMITTED}),
            customer_message=(
                "Thank you: we have checked your proof of purchase and confirmed that the device is yours. "
                "We will now look at your return."
            ),
        ),
        Action(
            "refuse_ownership",
            "Refuse ownership",
            S.REJECTED,
            REJECT,
            only_from=frozenset({S.SUBMITTED}),
            customer_message=(
                "We are sorry, we could not confirm that this device is yours, so we cannot accept this return. "
                "If you think this is a mistake, please reply to this e-mail."
            ),
        ),
        Action(
            "supersede",
            "Superseded by the owner's return",
            S.CANCELLED,
            PROCESS,
            anonymous_sources=frozenset({"page"}),
            only_from=frozenset({S.SUBMITTED}),
            customer_message=(
                "This return has been closed: the registered owner of the device has started a return for it. "
                "If you think this is a mistake, please reply to this e-mail."
            ),
        ),
        Action(
            "cancel",
            "Cancel",
            S.CANCELLED,
            PROCESS,
            anonymous_sources=frozenset({"page", "task"}),
            customer_message="Your return has been cancelled.",
        ),
        Action(
            "receive",
            "Mark received",
            S.RECEIVED,
            PROCESS,
            customer_message="Your device has arrived at our repair centre. Thank you for sending it.",
        ),
        Action(
            "start_diagnosis",
            "Start diagnosis",
            S.DIAGNOSING,
            PROCESS,
            customer_message="A technician has started examining your device.",
        ),
        Action(
            "record_diagnosis",
            "Record diagnosis",
            None,
            PROCESS,
            only_from=frozenset({S.DIAGNOSING, S.AWAITING_CUSTOMER}),
        ),
        Action("quote", "Send repair quote", S.AWAITING_CUSTOMER, PROCESS),
        Action(
            "accept_quote",
            "Quote accepted",
            S.REPAIRING,
            PROCESS,
            anonymous_sources=frozenset({"page"}),
            customer_message="Thank you: you accepted the quote and the repair has started.",
            only_from=frozenset({S.AWAITING_CUSTOMER}),
        ),
        Action(
            "decline_quote",
            "Quote declined",
            None,
            PROCESS,
            anonymous_sources=frozenset({"page"}),
            customer_message="You declined the repair quote. We will return your device unrepaired, free of charge.",
            only_from=frozenset({S.AWAITING_CUSTOMER}),
        ),
        Action(
            "repair",
            "Start repair",
            S.REPAIRING,
            PROCESS,
            customer_message="Your device is being repaired at no charge.",
            only_from=frozenset({S.DIAGNOSING}),
        ),
        Action(
            "replace",
            "Replace unit",
            S.REPLACING,
            PROCESS,
            customer_message="We are replacing your device at no charge. The replacement is being prepared.",
        ),
        Action(
            "grant_goodwill",
            "Grant goodwill replacement",
            S.REPLACING,
            APPROVE_GOODWILL,
            only_from=frozenset({S.DIAGNOSING, S.AWAITING_CUSTOMER}),
            customer_message=(
                "Your device is outside its warranty, but we would like to keep it to find out why it failed. "
                "A replacement is on its way to you, free of charge. Thank you for helping us improve."
            ),
        ),
        Action("ship", "Ship", S.SHIPPED, PROCESS),
        Action(
            "close",
            "Close",
            S.CLOSED,
            PROCESS,
            anonymous_sources=frozenset({"task"}),
            customer_message="Your return is complete. Thank you for your patience, and for choosing us.",
        ),
        Action(
            "retain_unit",
            "Retain unit for analysis",
            None,
            PROCESS,
            only_from=frozenset(
                {S.RECEIVED, S.DIAGNOSING, S.AWAITING_CUSTOMER, S.REPAIRING, S.REPLACING, S.SHIPPED, S.CLOSED}
            ),
        ),
        Action(
            "dispose_unit",
            "Scrap or refurbish unit",
            None,
            PROCESS,
            only_from=frozenset({S.DIAGNOSING, S.AWAITING_CUSTOMER, S.REPLACING, S.SHIPPED, S.CLOSED}),
        ),
        Action("note", "Add note", None, PROCESS, only_from=frozenset(TRANSITIONS)),
        Action(
            "approve_compensation",
            "Decide compensation",
            None,
            APPROVE_COMPENSATION,
            only_from=frozenset(
                {S.RECEIVED, S.DIAGNOSING, S.AWAITING_CUSTOMER, S.REPAIRING, S.REPLACING, S.SHIPPED, S.CLOSED}
            ),
        ),
    ]
}


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def action_allowed_from(action: Action, status: str) -> bool:
    if status not in action.from_statuses:
        return False
    return action.to_status is None or can_move(status, action.to_status)


def available_actions(status: str) -> list[Action]:
    """The actions the table allows from ``status`` (preconditions are checked by the services)."""
    return [action for action in ACTIONS.values() if action_allowed_from(action, status)]
