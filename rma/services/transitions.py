"""The one door for RMA status: ``rma_transition`` locks, checks, changes, records and defers effects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.actions import Action, registry
from core.actors import Actor, staff_actor
from core.exceptions import TransitionRefused
from core.phrases import Said
from rma import lifecycle, service_levels
from rma.models import RMA, CustodyChange, RMAEvent, Source
from rma.notifications import event_notify
from rma.webhook_events import rma_event_emit

HOLDERS: dict[str, str] = {
    RMA.Disposition.WITH_CUSTOMER: "Customer",
    RMA.Disposition.IN_REPAIR_CENTRE: "Repair centre",
    RMA.Disposition.RETURNED_TO_CUSTOMER: "Customer",
    RMA.Disposition.RETAINED_FOR_RCA: "Engineering (root-cause analysis)",
    RMA.Disposition.SCRAPPED: "Scrapped",
    RMA.Disposition.REFURBISHED_STOCK: "Refurbishment stock",
}


@dataclass
class Change:
    """What an action's ``apply`` step changed, and what the timeline should say about it."""

    fields: set[str] = field(default_factory=set)
    customer_message: Said = field(default_factory=Said)
    internal_note: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def set(self, rma: RMA, **values: Any) -> None:
        for name, value in values.items():
            setattr(rma, name, value)
            self.fields.add(name)


def rma_action(name: str) -> Action:
    """The declaration of the return's action ``name`` (``rma.actions``, ``diagnostics.actions``)."""
    return registry.get("rma", name)


def actor_may(actor: Actor, action_name: str) -> bool:
    return rma_action(action_name).may(actor)


def record_event(
    *,
    rma: RMA,
    action: str,
    actor: Actor,
    source: str,
    from_status: str = "",
    to_status: str = "",
    customer_message: Said | str = "",
    internal_note: str = "",
    data: dict[str, Any] | None = None,
) -> RMAEvent:
    """Append a row to the RMA's timeline.

    The customer's message is kept as the product's sentences and their facts (``data["say"]``, read
    in each customer's language) and in English (``customer_message``, what staff read); a text
    typed by staff is kept as typed. It is written to the e-mail outbox, and the webhook events the
    change makes to the webhook outbox, in the same transaction, and delivered after commit (imports
    of history tell nobody).
    """
    said = Said.of(customer_message)
    data = dict(data or {})
    if any(not isinstance(part, str) for part in said.parts):
        data["say"] = said.as_json()
    customer_message = said.english()
    event = RMAEvent.objects.create(
        rma=rma,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=staff_actor(actor),
        source=source,
        customer_message=customer_message,
        internal_note=internal_note,
        data=data,
    )
    if customer_message and rma.customer_id and source != Source.IMPORT:
        event_notify(event=event, rma=rma)
    if source != Source.IMPORT:
        rma_event_emit(event=event, rma=rma)
    return event


def custody_move(
    *, rma: RMA, change: Change, to: str, actor: Actor, source: str, note: str = ""
) -> CustodyChange | None:
    """Move the failed unit to ``to`` and record who holds it now."""
    if rma.disposition == to:
        return None
    record = CustodyChange.objects.create(
        rma=rma,
        device_id=rma.device_id,
        from_disposition=rma.disposition,
        to_disposition=to,
        holder=HOLDERS.get(to, ""),
        actor=staff_actor(actor),
        source=source,
        note=note,
    )
    change.set(rma, disposition=to)
    change.data.setdefault("custody", []).append({"from": record.from_disposition, "to": to})
    return record


def rma_lock(rma: RMA | int) -> RMA:
    """The RMA's row, locked until the end of the transaction."""
    pk = rma.pk if isinstance(rma, RMA) else rma
    return (
        RMA.objects.select_for_update(of=("self",))
        .select_related("device__product_model", "customer", "replacement_device")
        .get(pk=pk)
    )


@transaction.atomic
def rma_transition(
    *,
    rma: RMA | int,
    action: str,
    actor: Actor,
    source: str,
    apply: Callable[[RMA, Change], None] | None = None,
    customer_message: Said | str | None = None,
    internal_note: str = "",
    data: dict[str, Any] | None = None,
) -> RMA:
    """Apply ``action`` to the RMA: the only function that changes an RMA's status.

    Locks the row, checks the actor's permission and the status table, runs the action's own
    checks and changes (``apply``, which raises a DomainError to refuse), saves the changed fields,
    appends the timeline event and queues the customer notification for after the commit.
    """
    spec = rma_action(action)
    spec.check_permission(actor, source)
    locked = rma_lock(rma)
    from_status = locked.status
    if not spec.allowed_from(from_status):
        raise TransitionRefused(
            f"{locked.number} is {locked.get_status_display().lower()}: it cannot be moved by “{spec.label}”.",
            code="transition_not_allowed",
        )
    change = Change(
        customer_message=spec.customer_message if customer_message is None else Said.of(customer_message),
        internal_note=internal_note,
        data=dict(data or {}),
    )
    if apply is not None:
        apply(locked, change)

    now = timezone.now()
    if spec.to_status and spec.to_status != from_status:
        change.set(locked, status=spec.to_status, status_changed_at=now, due_at=status_deadline(spec.to_status, now))
        if spec.to_status in lifecycle.FINAL_STATUSES:
            change.set(locked, closed_at=now)
    change.set(locked, updated_at=now)
    locked.save(update_fields=sorted(change.fields))
    record_event(
        rma=locked,
        action=action,
        actor=actor,
        source=source,
        from_status=from_status,
        to_status=locked.status if spec.to_status else "",
        customer_message=change.customer_message,
        internal_note=change.internal_note,
        data=change.data,
    )
    return locked


def status_deadline(status: str, start):
    if status in lifecycle.FINAL_STATUSES:
        return None
    # Business days are the repair centre's: count them from its local date, not the UTC one.
    return service_levels.deadline(timezone.localtime(start), settings.RMA_SERVICE_LEVELS.get(status))
