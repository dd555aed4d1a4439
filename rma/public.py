"""What the customer is told about a return, in plain words: progress, outcome, dates and cover.

Used by the public status pages and by the e-mails. Reads only the RMA and what hangs off it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from rma import lifecycle, policy, resolutions
from rma.models import RMA, Compensation, Device, Refund

S = RMA.Status
C = RMA.Coverage


def day(value: date | None) -> str:
    """``Tuesday 3 June 2025``: the way dates are written to customers."""
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current" or "todo"


STEPS = [
    "Request received",
    "Return approved",
    "Arrived with us",
    "Being examined",
    "Repair or replacement",
    "On its way back",
    "Complete",
]
STEP_OF_STATUS: dict[str, int] = {
    S.SUBMITTED: 0,
    S.AUTHORIZED: 1,
    S.RECEIVED: 2,
    S.DIAGNOSING: 3,
    S.AWAITING_CUSTOMER: 3,
    S.REPAIRING: 4,
    S.REPLACING: 4,
    S.SHIPPED: 5,
    S.CLOSED: 6,
}


def progress_steps(rma: RMA) -> list[Step]:
    """The step indicator; empty for a return that was rejected or cancelled."""
    current = STEP_OF_STATUS.get(rma.status)
    if current is None:
        return []
    steps = []
    for index, label in enumerate(STEPS):
        if index < current or (index == current == len(STEPS) - 1):
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "todo"
        steps.append(Step(label, state))
    return steps


def status_sentence(rma: RMA) -> str:
    return lifecycle.CUSTOMER_SENTENCES[rma.status]


def replacement_sent(rma: RMA) -> Device | None:
    """The replacement unit once it has been shipped to the customer (None before, or without one)."""
    if rma.replacement_device_id is None or rma.shipped_at is None:
        return None
    return rma.replacement_device


def unit_phrase(device: Device) -> str:
    return f"{device.product_model.name} ({device.serial_number})"


def _goodwill_still_possible(rma: RMA) -> bool:
    """Whether a goodwill replacement can still come into question: out of warranty but inside the
    model's goodwill window, and nothing decided yet (not diagnosed, no quote, nothing shipped)."""
    ends_on = rma.device.warranty_ends_on
    if ends_on is None or rma.reported_on <= ends_on:
        return False
    window_ends_on = policy.period_end(ends_on + timedelta(days=1), rma.device.product_model.goodwill_window_months)
    if rma.reported_on > window_ends_on:
        return False
    if rma.status not in (S.SUBMITTED, S.AUTHORIZED, S.RECEIVED, S.DIAGNOSING) or rma.quote_status:
        return False
    return not rma.events.filter(action="record_diagnosis").exists()


def device_name(rma: RMA) -> str:
    """The unit as the customer reads it: its model and serial, or only the serial they typed while
    ownership is in question (SPEC §8 "Ownership")."""
    if not rma.shows_unit_details:
        return f"device ({rma.device.serial_number})"
    return unit_phrase(rma.device)


def warranty_position(rma: RMA) -> str:
    """Whether the customer pays, and why, in plain words: for the unit they have or will have."""
    if not rma.shows_unit_details:  # nothing of the unit's warranty to someone who may not own it
        return (
            "Once we have confirmed that the device is yours, we will tell you what the return costs you, if anything."
        )
    replacement = replacement_sent(rma)
    if replacement is not None:
        ends_on = replacement.warranty_ends_on
        free = "free of charge, " if rma.coverage in (C.GOODWILL, C.PROGRAMME) else ""
        until = f" Its own warranty runs until {day(ends_on)}." if ends_on else ""
        return f"We replaced your device {free}with {unit_phrase(replacement)}.{until}"
    ends_on = rma.device.warranty_ends_on
    if rma.coverage == C.GOODWILL:
        return (
            "Your device is outside its warranty, but we would like to keep it to find out why it failed. "
            "A replacement is on its way to you, free of charge. Thank you for helping us improve."
        )
    if rma.coverage == C.PROGRAMME:
        return gettext(
            "Your device is covered by our service programme %(code)s for this fault, "
            "so the repair or replacement costs you nothing, whatever its warranty says."
        ) % {"code": rma.programme_code}
    if rma.coverage == C.PAID:
        return f"Your device is outside its warranty. You accepted our repair quote of {rma.quote_amount}."
    if rma.coverage == C.WARRANTY and rma.is_repeat:
        return (
            f"This device came back to us within {settings.REPEAT_FAILURE_DAYS} days of our last repair, "
            "so we cover it free of charge, whatever its warranty says."
        )
    if rma.coverage == C.WARRANTY:
        if ends_on is None:
            return "Your device is covered by its warranty: the repair or replacement costs you nothing."
        return f"Your device is under warranty until {day(ends_on)}, so the repair or replacement costs you nothing."
    if rma.quote_status == RMA.QuoteStatus.PENDING:
        return (
            f"Your device's warranty ended on {day(ends_on)}. A repair costs {rma.quote_amount}, if you accept our "
            "quote; if not, we send your device back unrepaired at no cost."
            if ends_on
            else f"A repair costs {rma.quote_amount}, if you accept our quote; if not, we send your device back "
            "unrepaired at no cost."
        )
    if rma.quote_status == RMA.QuoteStatus.DECLINED:
        return "You declined our repair quote, so this return costs you nothing: we send your device back unrepaired."
    if ends_on is not None:
        goodwill = (
            " When a failure is one we want to learn from, we sometimes replace the device free of charge."
            if _goodwill_still_possible(rma)
            else ""
        )
        return (
            f"Your device's warranty ended on {day(ends_on)}. We will examine it and tell you your options "
            f"before anything costs you money.{goodwill}"
        )
    return "We will examine your device and tell you your options before anything costs you money."


@dataclass(frozen=True)
class Outcome:
    text: str
    by: date | None = None
    late: bool = False


def _goal(rma: RMA) -> str:
    if rma.coverage == C.GOODWILL or rma.status == S.REPLACING:
        return "A replacement device on its way to you"
    if rma.status == S.REPAIRING:
        return "Your repaired device on its way back to you"
    if rma.coverage in (C.WARRANTY, C.PROGRAMME, C.PAID):
        return "Your device repaired or replaced, and on its way back to you"
    return "Your options explained, and your device on its way back to you"


def expected_outcome(rma: RMA, today: date | None = None) -> Outcome:
    """What we are working toward, and by when."""
    today = today or timezone.localdate()
    if rma.status == S.SUBMITTED:
        by = timezone.localdate(rma.due_at) if rma.due_at else None
        return Outcome("We will check your request and tell you how to send your device to us.", by)
    if rma.status == S.AUTHORIZED:
        return Outcome(
            "Please send your device to us. Once it arrives, we aim to have it on its way back within "
            f"{settings.RMA_TURNAROUND_BUSINESS_DAYS} working days."
        )
    if rma.status == S.AWAITING_CUSTOMER and rma.quote_status == RMA.QuoteStatus.PENDING:
        return Outcome(
            f"We are waiting for your answer to our repair quote of {rma.quote_amount}: "
            "a paid repair, or your device back unrepaired at no cost."
        )
    if rma.status in (S.RECEIVED, S.DIAGNOSING, S.AWAITING_CUSTOMER, S.REPAIRING, S.REPLACING):
        promised = rma.promised_on
        late = promised is not None and today > promised
        return Outcome(f"{_goal(rma)}.", promised, late)
    if rma.status == S.SHIPPED:
        tracking = f" Tracking number: {rma.outbound_tracking}." if rma.outbound_tracking else ""
        what = "replacement" if rma.replacement_device_id else "device"
        return Outcome(f"Your {what} back in your hands, working.{tracking}")
    if rma.status == S.CLOSED:
        return Outcome(resolution_sentence(rma))
    if rma.status == S.REJECTED:
        reason = rejection_reason(rma)
        return Outcome(f"We could not accept this return: {reason}" if reason else "We could not accept this return.")
    return Outcome("This return was cancelled. If your device still needs attention, you can start a new return.")


def rejection_reason(rma: RMA) -> str:
    """The reason the customer was given when the return was rejected ("" if none)."""
    event = rma.events.filter(action="reject").order_by("-created_at", "-id").first()
    return str(event.data.get("reason", "")) if event is not None else ""


REFUND_METHOD_WORDS: dict[str, str] = {
    Refund.Method.ORIGINAL_PAYMENT: "to your original payment method",
    Refund.Method.BANK_TRANSFER: "by bank transfer",
    Refund.Method.STORE_CREDIT: "as store credit",
}


def resolution_sentence(rma: RMA) -> str:
    """How the return ended, from what happened on it (never from a label typed by staff)."""
    resolution = rma.resolution
    if resolution == resolutions.REFUNDED:
        refund = Refund.objects.filter(rma=rma).first()
        if refund is not None:
            return (
                f"We have refunded you {refund.amount} {refund.currency} {REFUND_METHOD_WORDS[refund.method]}. "
                "Your old device stays with us."
            )
    replacement = replacement_sent(rma)
    if resolution == resolutions.REPLACED and replacement is not None:
        ends_on = replacement.warranty_ends_on
        until = f" Its warranty runs until {day(ends_on)}." if ends_on else ""
        return f"We replaced your device: your replacement, {unit_phrase(replacement)}, was sent to you.{until}"
    if resolution == resolutions.REPAIRED:
        paid = f" You paid {rma.quote_amount} for the repair, as agreed." if rma.coverage == C.PAID else ""
        return f"We repaired your device and sent it back to you.{paid}"
    if resolution == resolutions.NO_FAULT_FOUND:
        return "We tested your device thoroughly, found no fault and sent it back to you."
    if resolution == resolutions.RETURNED_UNREPAIRED:
        if rma.quote_status == RMA.QuoteStatus.DECLINED:
            return "As you asked, we sent your device back to you unrepaired, at no cost."
        return "We sent your device back to you unrepaired, at no cost."
    return "Your return is complete."


def follow_up_unit(rma: RMA) -> Device | None:
    """The unit the follow-up asks about: the replacement the customer now has, or their own repaired unit.

    None when there is nothing to ask about (a refund, or a unit returned without a repair)."""
    if rma.resolution not in resolutions.FOLLOWED_UP:
        return None
    return replacement_sent(rma) or rma.device


def compensation_sentence(compensation: Compensation | None) -> str:
    """What the customer was given to make up for a late return or a repeat failure ("" if nothing)."""
    if compensation is None or not compensation.is_granted:
        return ""
    why = []
    if compensation.days_late:
        why.append("we took longer than we said")
    if compensation.repeat_failure:
        why.append("your device failed again")
    because = f"Because {' and '.join(why)}, we" if why else "We"
    if compensation.kind == Compensation.Kind.EXTENDED_WARRANTY:
        months = compensation.months
        until = ""
        if compensation.device is not None and compensation.device.warranty_ends_on:
            until = f" It now runs until {day(compensation.device.warranty_ends_on)}."
        return f"{because} have extended your warranty by {months} month{'s' if months != 1 else ''}.{until}"
    return f"{because} have given you a service credit of {compensation.amount}."
