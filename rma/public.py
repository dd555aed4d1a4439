"""What the customer is told about a return, in plain words: progress, outcome, dates and cover.

Used by the public status pages and by the e-mails. Reads only the RMA and what hangs off it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from core.phrases import Said, say, say_plural
from rma import lifecycle, policy, resolutions
from rma.models import RMA, Compensation, Device, Refund, RMAEvent

S = RMA.Status
C = RMA.Coverage


@dataclass(frozen=True)
class Step:
    label: Said
    state: str  # "done", "current" or "todo"


STEPS = [
    say("Request received"),
    say("Return approved"),
    say("Arrived with us"),
    say("Being examined"),
    say("Repair or replacement"),
    say("On its way back"),
    say("Complete"),
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


def status_sentence(rma: RMA) -> Said:
    return lifecycle.CUSTOMER_SENTENCES[rma.status]


def event_message(event: RMAEvent) -> Said:
    """What a timeline entry says to the customer: in their language when it was written by the
    product (``data["say"]``), as typed when staff wrote it."""
    said = event.data.get("say") if isinstance(event.data, dict) else None
    return Said.from_json(said) if said else Said.of(event.customer_message)


def replacement_sent(rma: RMA) -> Device | None:
    """The replacement unit once it has been shipped to the customer (None before, or without one)."""
    if rma.replacement_device_id is None or rma.shipped_at is None:
        return None
    return rma.replacement_device


def unit_phrase(device: Device) -> Said:
    return say("%(model)s (%(serial)s)", model=device.product_model.name, serial=device.serial_number)


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


def device_name(rma: RMA) -> Said:
    """The unit as the customer reads it: its model and serial, or only the serial they typed while
    ownership is in question (SPEC §8 "Ownership")."""
    if not rma.shows_unit_details:
        return say("device (%(serial)s)", serial=rma.device.serial_number)
    return unit_phrase(rma.device)


def warranty_position(rma: RMA) -> Said:
    """Whether the customer pays, and why, in plain words: for the unit they have or will have."""
    if not rma.shows_unit_details:  # nothing of the unit's warranty to someone who may not own it
        return say(
            "Once we have confirmed that the device is yours, we will tell you what the return costs you, if anything."
        )
    replacement = replacement_sent(rma)
    if replacement is not None:
        ends_on = replacement.warranty_ends_on
        unit = unit_phrase(replacement)
        if rma.coverage in (C.GOODWILL, C.PROGRAMME):
            replaced = say("We replaced your device free of charge, with %(unit)s.", unit=unit)
        else:
            replaced = say("We replaced your device with %(unit)s.", unit=unit)
        if ends_on:
            replaced += say("Its own warranty runs until %(date)s.", date=ends_on)
        return replaced
    ends_on = rma.device.warranty_ends_on
    if rma.coverage == C.GOODWILL:
        return say(
            "Your device is outside its warranty, but we would like to keep it to find out why it failed. "
            "A replacement is on its way to you, free of charge. Thank you for helping us improve."
        )
    if rma.coverage == C.PROGRAMME:
        return say(
            "Your device is covered by our service programme %(code)s for this fault, "
            "so the repair or replacement costs you nothing, whatever its warranty says.",
            code=rma.programme_code,
        )
    if rma.coverage == C.PAID:
        return say(
            "Your device is outside its warranty. You accepted our repair quote of %(amount)s.",
            amount=rma.quote_amount,
        )
    if rma.coverage == C.WARRANTY and rma.is_repeat:
        return say_plural(
            "This device came back to us within %(count)s day of our last repair, "
            "so we cover it free of charge, whatever its warranty says.",
            "This device came back to us within %(count)s days of our last repair, "
            "so we cover it free of charge, whatever its warranty says.",
            settings.REPEAT_FAILURE_DAYS,
        )
    if rma.coverage == C.WARRANTY:
        if ends_on is None:
            return say("Your device is covered by its warranty: the repair or replacement costs you nothing.")
        return say(
            "Your device is under warranty until %(date)s, so the repair or replacement costs you nothing.",
            date=ends_on,
        )
    if rma.quote_status == RMA.QuoteStatus.PENDING:
        if ends_on:
            return say(
                "Your device's warranty ended on %(date)s. A repair costs %(amount)s, if you accept our quote; "
                "if not, we send your device back unrepaired at no cost.",
                date=ends_on,
                amount=rma.quote_amount,
            )
        return say(
            "A repair costs %(amount)s, if you accept our quote; if not, we send your device back unrepaired at no "
            "cost.",
            amount=rma.quote_amount,
        )
    if rma.quote_status == RMA.QuoteStatus.DECLINED:
        return say(
            "You declined our repair quote, so this return costs you nothing: we send your device back unrepaired."
        )
    if ends_on is not None:
        position = say(
            "Your device's warranty ended on %(date)s. We will examine it and tell you your options "
            "before anything costs you money.",
            date=ends_on,
        )
        if _goodwill_still_possible(rma):
            position += say(
                "When a failure is one we want to learn from, we sometimes replace the device free of charge."
            )
        return position
    return say("We will examine your device and tell you your options before anything costs you money.")


@dataclass(frozen=True)
class Outcome:
    text: Said
    by: date | None = None
    late: bool = False


def _goal(rma: RMA) -> Said:
    if rma.coverage == C.GOODWILL or rma.status == S.REPLACING:
        return say("A replacement device on its way to you.")
    if rma.status == S.REPAIRING:
        return say("Your repaired device on its way back to you.")
    if rma.coverage in (C.WARRANTY, C.PAID):
        return say("Your device repaired or replaced, and on its way back to you.")
    return say("Your options explained, and your device on its way back to you.")


def expected_outcome(rma: RMA, today: date | None = None) -> Outcome:
    """What we are working toward, and by when."""
    today = today or timezone.localdate()
    if rma.status == S.SUBMITTED:
        by = timezone.localdate(rma.due_at) if rma.due_at else None
        return Outcome(say("We will check your request and tell you how to send your device to us."), by)
    if rma.status == S.AUTHORIZED:
        return Outcome(
            say_plural(
                "Please send your device to us. Once it arrives, we aim to have it on its way back within "
                "%(count)s working day.",
                "Please send your device to us. Once it arrives, we aim to have it on its way back within "
                "%(count)s working days.",
                settings.RMA_TURNAROUND_BUSINESS_DAYS,
            )
        )
    if rma.status == S.AWAITING_CUSTOMER and rma.quote_status == RMA.QuoteStatus.PENDING:
        return Outcome(
            say(
                "We are waiting for your answer to our repair quote of %(amount)s: "
                "a paid repair, or your device back unrepaired at no cost.",
                amount=rma.quote_amount,
            )
        )
    if rma.status in (S.RECEIVED, S.DIAGNOSING, S.AWAITING_CUSTOMER, S.REPAIRING, S.REPLACING):
        promised = rma.promised_on
        late = promised is not None and today > promised
        return Outcome(_goal(rma), promised, late)
    if rma.status == S.SHIPPED:
        if rma.replacement_device_id:
            back = say("Your replacement back in your hands, working.")
        else:
            back = say("Your device back in your hands, working.")
        if rma.outbound_tracking:
            back += say("Tracking number: %(tracking)s.", tracking=rma.outbound_tracking)
        return Outcome(back)
    if rma.status == S.CLOSED:
        return Outcome(resolution_sentence(rma))
    if rma.status == S.REJECTED:
        reason = rejection_reason(rma)
        if reason:
            return Outcome(say("We could not accept this return: %(reason)s", reason=reason))
        return Outcome(say("We could not accept this return."))
    return Outcome(say("This return was cancelled. If your device still needs attention, you can start a new return."))


def rejection_reason(rma: RMA) -> str:
    """The reason the customer was given when the return was rejected, as staff typed it ("" if none)."""
    event = rma.events.filter(action="reject").order_by("-created_at", "-id").first()
    return str(event.data.get("reason", "")) if event is not None else ""


def refund_sentence(refund: Refund) -> Said:
    amount, currency = refund.amount, refund.currency
    if refund.method == Refund.Method.BANK_TRANSFER:
        return say("We have refunded you %(amount)s %(currency)s by bank transfer.", amount=amount, currency=currency)
    if refund.method == Refund.Method.STORE_CREDIT:
        return say("We have refunded you %(amount)s %(currency)s as store credit.", amount=amount, currency=currency)
    return say(
        "We have refunded you %(amount)s %(currency)s to your original payment method.",
        amount=amount,
        currency=currency,
    )


def resolution_sentence(rma: RMA) -> Said:
    """How the return ended, from what happened on it (never from a label typed by staff)."""
    resolution = rma.resolution
    if resolution == resolutions.REFUNDED:
        refund = Refund.objects.filter(rma=rma).first()
        if refund is not None:
            return refund_sentence(refund) + say("Your old device stays with us.")
    replacement = replacement_sent(rma)
    if resolution == resolutions.REPLACED and replacement is not None:
        ends_on = replacement.warranty_ends_on
        replaced = say(
            "We replaced your device: your replacement, %(unit)s, was sent to you.", unit=unit_phrase(replacement)
        )
        if ends_on:
            replaced += say("Its warranty runs until %(date)s.", date=ends_on)
        return replaced
    if resolution == resolutions.REPAIRED:
        repaired = say("We repaired your device and sent it back to you.")
        if rma.coverage == C.PAID:
            repaired += say("You paid %(amount)s for the repair, as agreed.", amount=rma.quote_amount)
        return repaired
    if resolution == resolutions.NO_FAULT_FOUND:
        return say("We tested your device thoroughly, found no fault and sent it back to you.")
    if resolution == resolutions.RETURNED_UNREPAIRED:
        if rma.quote_status == RMA.QuoteStatus.DECLINED:
            return say("As you asked, we sent your device back to you unrepaired, at no cost.")
        return say("We sent your device back to you unrepaired, at no cost.")
    return say("Your return is complete.")


def follow_up_unit(rma: RMA) -> Device | None:
    """The unit the follow-up asks about: the replacement the customer now has, or their own repaired unit.

    None when there is nothing to ask about (a refund, or a unit returned without a repair)."""
    if rma.resolution not in resolutions.FOLLOWED_UP:
        return None
    return replacement_sent(rma) or rma.device


def compensation_sentence(compensation: Compensation | None) -> Said:
    """What the customer was given to make up for a late return or a repeat failure (empty if nothing)."""
    if compensation is None or not compensation.is_granted:
        return Said()
    late, again = bool(compensation.days_late), compensation.repeat_failure
    if compensation.kind == Compensation.Kind.EXTENDED_WARRANTY:
        months = compensation.months or 0
        if late and again:
            given = say_plural(
                "Because we took longer than we said and your device failed again, we have extended your warranty "
                "by %(count)s month.",
                "Because we took longer than we said and your device failed again, we have extended your warranty "
                "by %(count)s months.",
                months,
            )
        elif late:
            given = say_plural(
                "Because we took longer than we said, we have extended your warranty by %(count)s month.",
                "Because we took longer than we said, we have extended your warranty by %(count)s months.",
                months,
            )
        elif again:
            given = say_plural(
                "Because your device failed again, we have extended your warranty by %(count)s month.",
                "Because your device failed again, we have extended your warranty by %(count)s months.",
                months,
            )
        else:
            given = say_plural(
                "We have extended your warranty by %(count)s month.",
                "We have extended your warranty by %(count)s months.",
                months,
            )
        if compensation.device is not None and compensation.device.warranty_ends_on:
            given += say("It now runs until %(date)s.", date=compensation.device.warranty_ends_on)
        return given
    amount = compensation.amount
    if late and again:
        return say(
            "Because we took longer than we said and your device failed again, we have given you a service credit "
            "of %(amount)s.",
            amount=amount,
        )
    if late:
        return say(
            "Because we took longer than we said, we have given you a service credit of %(amount)s.", amount=amount
        )
    if again:
        return say("Because your device failed again, we have given you a service credit of %(amount)s.", amount=amount)
    return say("We have given you a service credit of %(amount)s.", amount=amount)
