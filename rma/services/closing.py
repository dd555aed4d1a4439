"""How a return ends: closed after a shipment, or refunded while the unit is still here (SPEC §4).

The resolution is derived from the return's path (``rma.resolutions``); one that contradicts the
path is refused with ``resolution_mismatch``, whoever asks (admin, API, task).
"""

from __future__ import annotations

from decimal import Decimal

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from rma import public, resolutions
from rma.models import RMA, Refund, RMAEvent
from rma.money import amount_parse, currency_parse
from rma.services.compensation import compensation_assess
from rma.services.transitions import Actor, Change, rma_transition, staff_actor

S = RMA.Status
D = RMA.Disposition


def _latest_outcome(rma: RMA) -> str | None:
    """The outcome of the return's latest diagnosis, as its timeline recorded it."""
    latest = (
        RMAEvent.objects.filter(rma=rma, action="record_diagnosis", data__has_key="outcome")
        .order_by("-created_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return latest.get("outcome") if latest else None


def rma_path(rma: RMA) -> resolutions.ReturnPath:
    """The facts of what happened on ``rma`` that decide its resolution."""
    return resolutions.ReturnPath(
        replacement_shipped=rma.replacement_device_id is not None and rma.shipped_at is not None,
        own_unit_returned=rma.disposition == D.RETURNED_TO_CUSTOMER,
        repaired=rma.events.filter(to_status=S.REPAIRING).exists(),
        latest_outcome=_latest_outcome(rma),
        refunded=Refund.objects.filter(rma=rma).exists(),
    )


def _resolution_check(locked: RMA, asked: str) -> str:
    """The resolution the path decides; refused when ``asked`` contradicts it."""
    derived = resolutions.resolution_derive(rma_path(locked))
    if not derived.resolution:
        raise TransitionRefused(
            f"{locked.number} cannot be closed yet: {derived.reason}. Ship a unit back, or record a refund.",
            code="unit_not_shipped",
        )
    if asked and asked != derived.resolution:
        raise TransitionRefused(
            f"{locked.number} cannot be closed as “{RMA.Resolution(asked).label.lower()}”: "
            f"{derived.reason}, so it is “{RMA.Resolution(derived.resolution).label.lower()}”.",
            code="resolution_mismatch",
            field="resolution",
        )
    return derived.resolution


def rma_close(*, rma: RMA, actor: Actor, source: str, resolution: str = "") -> RMA:
    """Close a shipped return; its resolution follows from what happened (a contradicting one is refused)."""
    if resolution and resolution not in RMA.Resolution.values:
        raise InvalidInput(
            f"Unknown resolution “{resolution}”; expected one of {', '.join(RMA.Resolution.values)}.",
            code="invalid_resolution",
            field="resolution",
        )

    def apply(locked: RMA, change: Change) -> None:
        chosen = _resolution_check(locked, resolution)
        change.set(locked, resolution=chosen, due_at=None)
        compensation_assess(rma=locked)
        change.customer_message = public.resolution_sentence(locked)
        change.data["resolution"] = chosen

    return rma_transition(rma=rma, action="close", actor=actor, source=source, apply=apply)


def rma_refund(
    *,
    rma: RMA,
    actor: Actor,
    source: str,
    amount: Decimal | str | float,
    currency: str,
    method: str,
    reason: str,
) -> RMA:
    """Refund the customer and close the return (supervisors); the failed unit stays with the repair centre.

    The refund is recorded (``rma.refund``: amount, ISO 4217 currency, method, approver, reason).
    """
    value = amount_parse(amount, what="refund amount")
    code = currency_parse(currency)
    if method not in Refund.Method.values:
        raise InvalidInput(
            f"Unknown refund method “{method}”; expected one of {', '.join(Refund.Method.values)}.",
            code="invalid_refund_method",
            field="method",
        )
    if not reason.strip():
        raise InvalidInput("A refund needs the approver's reason.", code="reason_required", field="reason")

    def apply(locked: RMA, change: Change) -> None:
        approver = staff_actor(actor)
        if approver is None:
            raise ActionNotPermitted("A refund needs a supervisor's approval.", code="refund_not_approver")
        if locked.replacement_device_id is not None:
            raise TransitionRefused(
                f"{locked.number} already has a replacement unit: it cannot be refunded as well.",
                code="refund_after_replacement",
            )
        if locked.disposition not in (D.IN_REPAIR_CENTRE, D.RETAINED_FOR_RCA):
            raise TransitionRefused(
                f"The unit of {locked.number} is not in the repair centre ({locked.get_disposition_display()}).",
                code="unit_not_in_custody",
            )
        Refund.objects.create(
            rma=locked, amount=value, currency=code, method=method, approved_by=approver, reason=reason.strip()
        )
        chosen = _resolution_check(locked, RMA.Resolution.REFUNDED)
        change.set(locked, resolution=chosen, due_at=None)
        compensation_assess(rma=locked)
        change.customer_message = public.resolution_sentence(locked)
        change.internal_note = f"Refund approved by {approver.get_username()}: {reason.strip()}"
        change.data.update({"resolution": chosen, "amount": str(value), "currency": code, "method": method})

    return rma_transition(rma=rma, action="refund", actor=actor, source=source, apply=apply)
