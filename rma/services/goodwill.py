"""Goodwill replacements: a free replacement outside warranty, because the failed unit is kept for analysis.

What the diagnosis says about the failure (condition 3) is passed in as ``policy.Analysis`` by the
caller that owns diagnoses; everything else is read here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import ActionNotPermitted, GoodwillNotAllowed
from rma import policy
from rma.models import RMA, Customer, GoodwillGrant
from rma.services.devices import replacement_device_take
from rma.services.transitions import Actor, Change, actor_may, custody_move, rma_transition, staff_actor

S = RMA.Status
CUSTODY_STATUSES = (S.RECEIVED, S.DIAGNOSING, S.AWAITING_CUSTOMER)


def _last_goodwill_on(customer_id: int | None, exclude_rma_id: int) -> date | None:
    if customer_id is None:
        return None
    last = (
        GoodwillGrant.objects.filter(customer_id=customer_id)
        .exclude(rma_id=exclude_rma_id)
        .order_by("-granted_at")
        .values_list("granted_at", flat=True)
        .first()
    )
    return timezone.localdate(last) if last else None


# Where the failed unit is still in the repair centre's hands: on the bench, or already kept for analysis.
CUSTODY_DISPOSITIONS = (RMA.Disposition.IN_REPAIR_CENTRE, RMA.Disposition.RETAINED_FOR_RCA)


def _in_custody(rma: RMA) -> bool:
    return rma.status in CUSTODY_STATUSES and rma.disposition in CUSTODY_DISPOSITIONS


def goodwill_eligibility(*, rma: RMA, analysis: policy.Analysis, today: date | None = None) -> policy.Decision:
    """Whether the RMA is eligible for goodwill (conditions 1 to 4), for suggesting it to staff."""
    if rma.coverage == RMA.Coverage.GOODWILL:
        return policy.Decision(False, "goodwill_already_granted", "Goodwill has already been granted on this return.")
    if rma.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.PROGRAMME, RMA.Coverage.PAID):
        return policy.Decision(
            False, "goodwill_in_warranty", f"The return is already covered: {rma.coverage_reason or rma.coverage}."
        )
    return policy.goodwill_eligibility(
        reported_on=rma.reported_on,
        warranty_ends_on=rma.device.warranty_ends_on,
        goodwill_window_months=rma.device.product_model.goodwill_window_months,
        in_custody=_in_custody(rma),
        analysis=analysis,
        last_goodwill_on=_last_goodwill_on(rma.customer_id, rma.pk),
        lookback_months=settings.GOODWILL_LOOKBACK_MONTHS,
        today=today or timezone.localdate(),
    )


@transaction.atomic
def goodwill_grant(
    *,
    rma: RMA,
    actor: Actor,
    source: str,
    reason: str,
    replacement_serial: str,
    analysis: policy.Analysis,
    on_retained: Callable[[RMA], object],
) -> RMA:
    """Grant a goodwill replacement when all five conditions hold.

    The failed unit is retained for root-cause analysis, the replacement is recorded (its warranty
    starts when it ships) and the grant row makes a second grant on the same RMA impossible.
    ``on_retained(rma)`` runs in the same transaction once the unit is kept, to open its case.
    """
    if not actor_may(actor, "grant_goodwill"):
        raise ActionNotPermitted("Only a supervisor can approve a goodwill replacement.", code="goodwill_not_approver")

    def apply(locked: RMA, change: Change) -> None:
        if locked.customer_id is not None:
            Customer.objects.select_for_update().filter(pk=locked.customer_id).first()
        if GoodwillGrant.objects.filter(rma=locked).exists() or locked.coverage == RMA.Coverage.GOODWILL:
            raise GoodwillNotAllowed(
                f"Goodwill has already been granted on {locked.number}.", code="goodwill_already_granted"
            )
        if locked.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.PROGRAMME, RMA.Coverage.PAID):
            raise GoodwillNotAllowed(
                f"{locked.number} is already covered ({locked.coverage_reason}).", code="goodwill_in_warranty"
            )
        decision = policy.goodwill_decide(
            reported_on=locked.reported_on,
            warranty_ends_on=locked.device.warranty_ends_on,
            goodwill_window_months=locked.device.product_model.goodwill_window_months,
            in_custody=_in_custody(locked),
            analysis=analysis,
            last_goodwill_on=_last_goodwill_on(locked.customer_id, locked.pk),
            lookback_months=settings.GOODWILL_LOOKBACK_MONTHS,
            today=timezone.localdate(),
            approver_may_approve=actor_may(actor, "grant_goodwill"),
            reason=reason,
        )
        if not decision:
            raise GoodwillNotAllowed(decision.reason, code=decision.code)
        replacement = replacement_device_take(failed=locked.device, serial_number=replacement_serial)
        custody_move(
            rma=locked,
            change=change,
            to=RMA.Disposition.RETAINED_FOR_RCA,
            actor=actor,
            source=source,
            note=decision.reason,
        )
        change.set(
            locked,
            coverage=RMA.Coverage.GOODWILL,
            coverage_reason=f"Goodwill replacement: {decision.reason}",
            replacement_device=replacement,
        )
        approver = staff_actor(actor)
        if locked.customer is None or approver is None:
            raise GoodwillNotAllowed("A goodwill grant needs a customer and an approver.", code="goodwill_not_allowed")
        GoodwillGrant.objects.create(
            rma=locked,
            customer=locked.customer,
            approved_by=approver,
            reason=reason.strip(),
            eligibility_reason=decision.reason,
            replacement_device=replacement,
        )
        on_retained(locked)
        change.internal_note = f"{decision.reason} Approver's reason: {reason.strip()}"
        change.data.update(
            {"decision_code": decision.code, "reason": reason.strip(), "replacement_serial": replacement.serial_number}
        )

    return rma_transition(rma=rma, action="grant_goodwill", actor=actor, source=source, apply=apply)
