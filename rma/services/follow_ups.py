"""After a return closes: ask whether the fix held, and open a linked return when it did not."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidInput, TransitionRefused
from rma import public, selectors
from rma.models import RMA, FollowUp, Source
from rma.notifications import outbox_enqueue
from rma.services.returns import rma_create
from rma.services.transitions import record_event, rma_lock

A = FollowUp.Answer


def follow_ups_queue_due(*, now: datetime | None = None, limit: int = 500) -> list[FollowUp]:
    """Queue the follow-up e-mail of every return closed ``RMA_FOLLOW_UP_DAYS`` ago; once per RMA."""
    now = now or timezone.now()
    queued = []
    for rma in selectors.rma_follow_up_due(now)[:limit]:
        unit = public.follow_up_unit(rma)
        if rma.customer is None or unit is None:
            continue
        with transaction.atomic():
            follow_up, created = FollowUp.objects.get_or_create(rma=rma, defaults={"sent_at": now})
            if not created:
                continue
            record_event(
                rma=rma,
                action="follow_up",
                actor=None,
                source=Source.TASK,
                internal_note=f"Follow-up e-mail sent: is {unit.serial_number} still working?",
            )
            outbox_enqueue(
                customer=rma.customer,
                template="rma_follow_up",
                context={
                    "device": public.unit_phrase(unit),
                    "replacement": unit.pk != rma.device_id,
                    "closed_on": timezone.localdate(rma.closed_at),
                },
                key=f"rma-follow-up:{rma.pk}",
                rma=rma,
            )
            queued.append(follow_up)
    return queued


@transaction.atomic
def follow_up_answer(*, rma: RMA, answer: str, description: str = "") -> FollowUp:
    """The customer's answer from the status page. "Still failing" opens a linked return marked repeat."""
    if answer not in (A.WORKING, A.STILL_FAILING):
        raise InvalidInput("Tell us whether your device is working.", code="invalid_answer", field="answer")
    locked = rma_lock(rma)
    if locked.status != RMA.Status.CLOSED:
        raise TransitionRefused(f"{locked.number} is not closed yet.", code="not_closed")
    follow_up, _ = FollowUp.objects.select_for_update().get_or_create(rma=locked)
    if follow_up.answer:
        raise TransitionRefused("Thank you, you have already answered.", code="follow_up_answered")
    follow_up.answer = answer
    follow_up.answered_at = timezone.now()
    data = {"answer": answer}
    if answer == A.STILL_FAILING:
        unit = locked.replacement_device or locked.device
        follow_up.repeat_rma = rma_create(
            serial_number=unit.serial_number,
            customer_email=locked.customer.email if locked.customer else "",
            customer_name=locked.customer.name if locked.customer else "",
            fault_description=description.strip() or f"Still failing after return {locked.number}.",
            channel=RMA.Channel.WEB,
            actor=None,
            source=Source.PAGE,
            repeat_of=locked,
        )
        data["repeat_rma"] = follow_up.repeat_rma.number
    follow_up.save()
    record_event(
        rma=locked,
        action="follow_up_answer",
        actor=None,
        source=Source.PAGE,
        internal_note=(
            "The customer says the device is working."
            if answer == A.WORKING
            else f"The customer says the device is still failing: opened {data['repeat_rma']}."
        ),
        data=data,
    )
    return follow_up
