"""Compensation in proportion to the harm (SPEC §5): suggested when a return ships or closes late,
or is a repeat failure; decided by a supervisor with a reason; granted to the customer's unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from core.exceptions import InvalidInput, TransitionRefused
from core.phrases import say
from rma import public, selectors
from rma.models import RMA, Compensation, Device
from rma.services.devices import device_extend_warranty
from rma.services.transitions import Actor, Change, rma_transition, staff_actor

K = Compensation.Kind
GONE = (RMA.Disposition.RETAINED_FOR_RCA, RMA.Disposition.SCRAPPED, RMA.Disposition.REFURBISHED_STOCK)
MAX_MONTHS = 24


def compensation_assess(*, rma: RMA, today: date | None = None) -> Compensation | None:
    """Store the policy's suggestion for ``rma`` (called inside its ship and close transitions).

    A suggestion a supervisor has already decided on is left alone; an RMA that was on time and is
    not a repeat gets no row.
    """
    today = today or timezone.localdate()
    suggestion = selectors.compensation_preview(rma, today)
    existing = Compensation.objects.select_for_update().filter(rma=rma).first()
    if existing is not None and existing.status != Compensation.Status.SUGGESTED:
        return existing
    if not suggestion and existing is None:
        return None
    compensation = existing or Compensation(rma=rma, customer_id=rma.customer_id)
    compensation.days_late = suggestion.days_late
    compensation.repeat_failure = suggestion.repeat_failure
    compensation.suggested_kind = suggestion.kind
    compensation.suggested_months = suggestion.months
    compensation.suggested_amount = suggestion.amount
    compensation.suggested_reason = suggestion.reason
    compensation.suggested_at = timezone.now()
    compensation.save()
    return compensation


def _unit_with_customer(rma: RMA) -> Device | None:
    """The unit the customer has now: the replacement if there is one, else their own if it came back."""
    if rma.replacement_device_id is not None:
        return rma.replacement_device
    if rma.disposition in (
        RMA.Disposition.RETAINED_FOR_RCA,
        RMA.Disposition.SCRAPPED,
        RMA.Disposition.REFURBISHED_STOCK,
    ):
        return None
    return rma.device


def _check_terms(kind: str, months: int, amount: Decimal | str | None) -> tuple[int, Decimal]:
    if kind not in K.values:
        raise InvalidInput(f"Unknown kind of compensation “{kind}”.", code="invalid_compensation_kind", field="kind")
    if kind == K.EXTENDED_WARRANTY:
        if not 1 <= int(months) <= MAX_MONTHS:
            raise InvalidInput(
                f"An extended warranty is between 1 and {MAX_MONTHS} months.",
                code="invalid_compensation_months",
                field="months",
            )
        return int(months), Decimal("0.00")
    if kind == K.SERVICE_CREDIT:
        try:
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidInput(
                "The credit must be an amount.", code="invalid_compensation_amount", field="amount"
            ) from None
        if not Decimal("0") < value < Decimal("100000"):
            raise InvalidInput("The credit must be positive.", code="invalid_compensation_amount", field="amount")
        return 0, value
    return 0, Decimal("0.00")


def compensation_approve(
    *,
    rma: RMA,
    actor: Actor,
    source: str,
    kind: str,
    reason: str,
    months: int = 0,
    amount: Decimal | str | None = None,
) -> Compensation:
    """A supervisor's decision: the suggestion as it is, changed, or none at all (``kind="none"``).

    Needs ``rma.approve_compensation`` and a reason. An extended warranty is added to the unit the
    customer has now; the customer is told on the status page and by e-mail. Decided once per RMA.
    """
    if not reason.strip():
        raise InvalidInput("Give a reason for the decision.", code="reason_required", field="reason")
    months, value = _check_terms(kind, months, amount)

    def apply(locked: RMA, change: Change) -> None:
        compensation = Compensation.objects.select_for_update().filter(rma=locked).first()
        if compensation is None:
            compensation = compensation_assess(rma=locked) or Compensation(rma=locked, customer_id=locked.customer_id)
        if compensation.status != Compensation.Status.SUGGESTED:
            raise TransitionRefused(
                f"Compensation for {locked.number} was already decided ({compensation.get_status_display().lower()}).",
                code="compensation_decided",
            )
        compensation.kind = kind
        compensation.months = months
        compensation.amount = value
        compensation.approved_by = staff_actor(actor)  # type: ignore[assignment]
        compensation.approval_reason = reason.strip()
        compensation.decided_at = timezone.now()
        compensation.status = Compensation.Status.DECLINED if kind == K.NONE else Compensation.Status.APPROVED
        if kind == K.EXTENDED_WARRANTY:
            unit = _unit_with_customer(locked)
            if unit is None:
                raise TransitionRefused(
                    "The customer has no unit from this return to extend: give a service credit instead.",
                    code="no_unit_to_extend",
                )
            compensation.device = device_extend_warranty(
                device=Device.objects.select_for_update().get(pk=unit.pk), months=months
            )
        compensation.save()
        change.internal_note = f"Compensation {compensation.get_status_display().lower()}: {reason.strip()}"
        change.data.update(
            {
                "kind": kind,
                "months": months,
                "amount": str(value),
                "suggested_kind": compensation.suggested_kind,
                "suggested_months": compensation.suggested_months,
                "suggested_amount": str(compensation.suggested_amount),
            }
        )
        if compensation.is_granted:
            change.customer_message = public.compensation_sentence(compensation) + say("We are sorry for the trouble.")

    rma_transition(rma=rma, action="approve_compensation", actor=actor, source=source, apply=apply)
    return Compensation.objects.select_related("device", "approved_by").get(rma_id=rma.pk)
