"""Customer e-mails through a transactional outbox.

1. ``outbox_enqueue`` writes an ``OutboxMessage`` row in the caller's transaction: a change that
   rolls back leaves no e-mail behind. The row's unique ``key`` makes enqueueing idempotent.
2. After commit, a Celery task is queued for the row. If the broker is down, the row just stays
   pending (the request never fails because of it).
3. ``outbox_deliver`` claims the row with one conditional UPDATE (pending → sending), renders and
   sends it, then marks it sent. Whoever loses the claim sends nothing, so a task that runs twice,
   a redelivered message or a sweep racing a task sends the e-mail once.
4. ``outbox_sweep`` (Celery beat, every minute) delivers rows whose task never ran, rows that
   failed and are due again, and rows claimed by a worker that died mid-send (after a lease).

The e-mail's Message-ID is derived from the key, so in the one case the claim cannot cover (the
mail server accepted the message and the worker died before recording it) the copy the sweep
sends after the lease carries the same Message-ID.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from core.phrases import said_json, said_render
from core.tasks import enqueue
from rma import lifecycle, public
from rma.languages import customer_language
from rma.models import RMA, Customer, OutboxMessage, RMAEvent, is_erased_email
from rma.status_links import status_link_issue, status_url

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status


class DeliveryFailed(Exception):
    """Sending an outbox e-mail failed; the row is pending again (or given up) with the error kept."""


# Enqueueing ------------------------------------------------------------------------------------


def outbox_enqueue(
    *,
    customer: Customer,
    template: str,
    context: dict[str, Any],
    key: str,
    rma: RMA | None = None,
) -> OutboxMessage:
    """Write an e-mail to ``customer`` into the outbox, to be delivered after the transaction commits.

    ``template`` names ``templates/emails/<template>.txt``, ``.html`` and ``_subject.txt``; they are
    rendered at delivery, in the customer's language, with ``context`` (facts and sayings, made
    JSON-serialisable by ``core.phrases.said_json``) plus ``customer_name`` and, when ``rma``
    is given, ``rma_number`` and a fresh secret ``status_url``. ``key`` is unique: enqueueing the same
    key again returns the existing row and sends nothing more. Nothing is written for an erased customer:
    the message returned is not saved.
    """
    if is_erased_email(customer.email):
        return OutboxMessage(customer=customer, to_email=customer.email, rma=rma, template=template, key=key)
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "customer": customer,
            "to_email": customer.email,
            "rma": rma,
            "template": template,
            "context": said_json(context),
        },
    )
    if created:
        message_id = message.pk
        transaction.on_commit(lambda: outbox_dispatch(message_id))
    return message


# When the broker refused a task, later commits skip it for a while: the sweep delivers their rows.
_broker_down_until = 0.0


def outbox_dispatch(message_id: int) -> None:
    """Queue the delivery task; never raises. A row whose task cannot be queued waits for the sweep."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    try:
        enqueue("rma.tasks.outbox_deliver", message_id, publish_retry=False)
    except BrokerError as error:
        _broker_down_until = time.monotonic() + settings.RMA_OUTBOX_BROKER_PAUSE_SECONDS
        logger.warning("Broker unavailable; outbox message %s left for the sweep: %s", message_id, error)
    except Exception:
        logger.exception("Queueing outbox message %s failed; left for the sweep", message_id)


# Customer-visible timeline events ----------------------------------------------------------------

EVENT_TEMPLATES = {"create": "rma_acknowledgement", "close": "rma_closed", "refund": "rma_closed"}


def event_context(event: RMAEvent, rma: RMA) -> dict[str, Any]:
    """What an event's e-mail says, fixed at the moment of the change: facts and the product's sentences
    as messages (``core.phrases``), said in the customer's language when the e-mail is rendered.

    The subject (``emails/rma_event_subject.txt``) follows the event's ``action``; a return that
    ended (rejected, cancelled) has nothing left to work toward.
    """
    outcome = public.expected_outcome(rma)
    ended = rma.status in lifecycle.FINAL_STATUSES
    return said_json(
        {
            "message": public.event_message(event),
            "action": event.action,
            "status": rma.status,
            "resolution": rma.resolution,
            "replacement": rma.replacement_device_id is not None,
            "status_sentence": lifecycle.CUSTOMER_SENTENCES[rma.status],
            "outcome": "" if ended else outcome.text,
            "outcome_by": outcome.by if outcome.by and not ended else "",
            "warranty_position": public.warranty_position(rma),
            "device": public.device_name(rma),
            "follow_up_coming": rma.status == RMA.Status.CLOSED and public.follow_up_unit(rma) is not None,
        }
    )


def event_notify(*, event: RMAEvent, rma: RMA) -> OutboxMessage | None:
    """The e-mail for a customer-visible timeline event, written in the event's transaction."""
    if not event.customer_message or rma.customer is None or rma.customer.is_erased:
        return None
    return outbox_enqueue(
        customer=rma.customer,
        template=EVENT_TEMPLATES.get(event.action, "rma_event"),
        context=event_context(event, rma),
        key=f"rma-event:{event.pk}",
        rma=rma,
    )


# Delivery --------------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.RMA_OUTBOX_LEASE_SECONDS)


def _claim(message_id: int, now: datetime) -> bool:
    """pending → sending, or take over a send whose lease ran out. True for exactly one caller."""
    claimable = Q(status=Status.PENDING) | Q(status=Status.SENDING, claimed_at__lt=now - _lease())
    updated = (
        OutboxMessage.objects.filter(claimable, pk=message_id)
        .exclude(attempts__gte=settings.RMA_OUTBOX_MAX_ATTEMPTS)
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return updated == 1


def _message_id_header(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<outbox.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def outbox_render(message: OutboxMessage) -> EmailMultiAlternatives:
    """The e-mail for ``message`` in its customer's language; a message about an RMA gets a fresh secret
    status link."""
    with translation.override(customer_language(message.customer)):
        return _render(message)


def _render(message: OutboxMessage) -> EmailMultiAlternatives:
    context: dict[str, Any] = {**said_render(message.context), "customer_name": message.customer.name}
    if message.rma is not None:
        context["rma_number"] = message.rma.number
        context["status_url"] = status_url(status_link_issue(rma=message.rma))
    # one line, its no-break spaces kept (French puts one before a colon)
    subject = re.sub(r"[ \t\r\n]+", " ", render_to_string(f"emails/{message.template}_subject.txt", context)).strip()
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{message.template}.txt", context),
        to=[message.to_email],
        headers={"Message-ID": _message_id_header(message.key)},
    )
    email.attach_alternative(render_to_string(f"emails/{message.template}.html", context), "text/html")
    return email


def _retry_at(now: datetime, attempts: int) -> datetime:
    """Exponential backoff with jitter for the sweep: 1, 2, 4 ... minutes, at most an hour."""
    delay = min(60 * 2 ** max(attempts - 1, 0), 3600)
    return now + timedelta(seconds=delay * random.uniform(0.8, 1.2))


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox e-mail if nobody else has: True if this call sent it.

    Raises ``DeliveryFailed`` when sending fails; the row is then pending again with its error and
    next attempt time, or ``failed`` after ``RMA_OUTBOX_MAX_ATTEMPTS`` attempts.
    """
    now = now or timezone.now()
    if not _claim(message_id, now):
        return False
    message = OutboxMessage.objects.select_related("customer", "rma").get(pk=message_id)
    try:
        outbox_render(message).send()
    except Exception as error:
        gave_up = message.attempts >= settings.RMA_OUTBOX_MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, claimed_at=now).update(
            status=Status.FAILED if gave_up else Status.PENDING,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=_retry_at(now, message.attempts),
        )
        logger.warning("Outbox message %s attempt %s failed: %s", message.pk, message.attempts, error)
        raise DeliveryFailed(str(error)) from error
    OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, claimed_at=now).update(
        status=Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def outbox_due(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Rows the sweep should try: pending and due (after a grace for their own task), or lease expired."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS)
    return list(
        OutboxMessage.objects.filter(
            Q(status=Status.PENDING, next_attempt_at__lte=now - grace)
            | Q(status=Status.SENDING, claimed_at__lt=now - _lease())
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Deliver what is due; returns how many e-mails this sweep sent."""
    now = now or timezone.now()
    # A worker that died during its last allowed attempt leaves a claim nobody may take over.
    OutboxMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - _lease(), attempts__gte=settings.RMA_OUTBOX_MAX_ATTEMPTS
    ).update(status=Status.FAILED, last_error="The last allowed attempt did not finish.")
    sent = 0
    for message_id in outbox_due(now, limit):
        try:
            sent += outbox_deliver(message_id=message_id, now=now)
        except DeliveryFailed:
            continue
    return sent
