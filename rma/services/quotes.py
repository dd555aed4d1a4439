"""Paid-repair quotes: sending one, and the customer's answer (on their page, or recorded by a supervisor)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from core.phrases import Said, say
from rma import lifecycle
from rma.models import RMA, QuoteAnswerChannel
from rma.money import amount_parse
from rma.services.transitions import Actor, Change, rma_transition, staff_actor, status_deadline

S = RMA.Status


def rma_quote(*, rma: RMA, actor: Actor, source: str, amount: Decimal | str | float) -> RMA:
    """Quote a paid repair. A quote below ``RMA_QUOTE_MINIMUM`` needs a supervisor (``rma.approve_quote``)."""
    value = amount_parse(amount, what="quote amount")
    minimum = Decimal(str(settings.RMA_QUOTE_MINIMUM))
    below_minimum = value < minimum
    approver = staff_actor(actor)
    if below_minimum and (approver is None or not approver.has_perm(lifecycle.APPROVE_QUOTE)):
        raise ActionNotPermitted(
            f"A quote below {minimum} needs a supervisor's approval.", code="quote_below_minimum", field="amount"
        )

    def apply(locked: RMA, change: Change) -> None:
        if locked.coverage != RMA.Coverage.NONE:
            raise TransitionRefused(
                f"{locked.number} is covered ({locked.get_coverage_display().lower()}): there is nothing to quote.",
                code="quote_not_needed",
            )
        change.set(locked, quote_amount=value, quote_status=RMA.QuoteStatus.PENDING)
        change.data["amount"] = str(value)
        if below_minimum and approver is not None:
            change.data["below_minimum_approved_by"] = approver.get_username()
            change.internal_note = f"Quote below the minimum of {minimum}, approved by {approver.get_username()}."

    return rma_transition(
        rma=rma,
        action="quote",
        actor=actor,
        source=source,
        apply=apply,
        customer_message=say(
            "Your device is outside its warranty. We can repair it for %(amount)s. "
            "Please tell us whether you would like us to go ahead, or have it returned unrepaired.",
            amount=value,
        ),
    )


def _require_pending_quote(locked: RMA) -> None:
    if locked.quote_status != RMA.QuoteStatus.PENDING:
        raise TransitionRefused(f"{locked.number} has no quote waiting for an answer.", code="no_pending_quote")


ANSWERED_VIA_WORDS: dict[str, str] = {
    QuoteAnswerChannel.PAGE: "",
    QuoteAnswerChannel.PHONE: " by phone",
    QuoteAnswerChannel.EMAIL: " by e-mail",
    QuoteAnswerChannel.IN_PERSON: " in person",
}


def _quote_accepted(channel: str, amount: Decimal | None) -> Said:
    if channel == QuoteAnswerChannel.PHONE:
        return say(
            "Thank you: you accepted our repair quote of %(amount)s by phone, and the repair has started.",
            amount=amount,
        )
    if channel == QuoteAnswerChannel.EMAIL:
        return say(
            "Thank you: you accepted our repair quote of %(amount)s by e-mail, and the repair has started.",
            amount=amount,
        )
    if channel == QuoteAnswerChannel.IN_PERSON:
        return say(
            "Thank you: you accepted our repair quote of %(amount)s in person, and the repair has started.",
            amount=amount,
        )
    return say("Thank you: you accepted our repair quote of %(amount)s, and the repair has started.", amount=amount)


def _quote_declined(channel: str) -> Said:
    if channel == QuoteAnswerChannel.PHONE:
        return say("You declined our repair quote by phone. We will return your device unrepaired, free of charge.")
    if channel == QuoteAnswerChannel.EMAIL:
        return say("You declined our repair quote by e-mail. We will return your device unrepaired, free of charge.")
    if channel == QuoteAnswerChannel.IN_PERSON:
        return say("You declined our repair quote in person. We will return your device unrepaired, free of charge.")
    return say("You declined our repair quote. We will return your device unrepaired, free of charge.")


def _quote_answer_channel(actor: Actor, answered_via: str) -> str:
    """How the customer answered: on their page, or as the member of staff who records it says."""
    if staff_actor(actor) is None:
        return QuoteAnswerChannel.PAGE
    staff_channels = [value for value in QuoteAnswerChannel.values if value != QuoteAnswerChannel.PAGE]
    if answered_via not in staff_channels:
        raise InvalidInput(
            f"Say how the customer answered: one of {', '.join(staff_channels)}.",
            code="answered_via_required",
            field="answered_via",
        )
    return answered_via


def _quote_answer_note(actor: Actor, channel: str, answer: str) -> str:
    user = staff_actor(actor)
    if user is None:
        return ""
    return f"Recorded by {user.get_username()}: the customer {answer} the quote{ANSWERED_VIA_WORDS[channel]}."


def rma_accept_quote(*, rma: RMA, actor: Actor, source: str, answered_via: str = "") -> RMA:
    """The customer accepts the quote: on their status page, or staff (a supervisor) record how they answered."""

    def apply(locked: RMA, change: Change) -> None:
        channel = _quote_answer_channel(actor, answered_via)
        _require_pending_quote(locked)
        change.set(
            locked,
            quote_status=RMA.QuoteStatus.ACCEPTED,
            coverage=RMA.Coverage.PAID,
            coverage_reason=f"Paid repair: quote of {locked.quote_amount} accepted.",
        )
        change.customer_message = _quote_accepted(channel, locked.quote_amount)
        change.data["answered_via"] = channel
        change.internal_note = _quote_answer_note(actor, channel, "accepted")

    return rma_transition(rma=rma, action="accept_quote", actor=actor, source=source, apply=apply)


def rma_decline_quote(*, rma: RMA, actor: Actor, source: str, answered_via: str = "") -> RMA:
    """The customer declines the quote: the unit goes back unrepaired, free of charge."""

    def apply(locked: RMA, change: Change) -> None:
        channel = _quote_answer_channel(actor, answered_via)
        _require_pending_quote(locked)
        # The customer has answered; what is due now is the unit's return.
        change.set(
            locked,
            quote_status=RMA.QuoteStatus.DECLINED,
            due_at=status_deadline(S.REPLACING, timezone.now(), locked.centre),
        )
        change.customer_message = _quote_declined(channel)
        change.data["answered_via"] = channel
        change.internal_note = _quote_answer_note(actor, channel, "declined")

    return rma_transition(rma=rma, action="decline_quote", actor=actor, source=source, apply=apply)
