"""Customer e-mails through a transactional outbox.

1. ``outbox_enqueue`` writes an ``OutboxMessage`` row in the caller's transaction: a change that
   rolls back leaves no e-mail behind. The row's unique ``key`` makes enqueueing idempotent.
2. After commit, a Celery task is queued: for customer mail, one delivery task for the row, on the
   customer-mail queue; for bulk mail (``BULK_TEMPLATES``, ``programme_*``), one drain per
   transaction on the bulk-mail queue. If the broker is down, the row just stays pending (the request
   never fails because of it).
3. ``outbox_deliver`` claims the row with one conditional UPDATE (pending → sending), renders and
   sends it, then marks it sent. Whoever loses the claim sends nothing, so a task that runs twice,
   a redelivered message or a sweep racing a task sends the e-mail once. ``outbox_drain`` claims a
   queue's due rows in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so parallel drains never
   take the same row) and sends each batch over one SMTP connection.
4. ``outbox_sweep`` (Celery beat, every minute) fails rows whose last allowed attempt died, then
   starts drains for what is due (rows whose task never ran, rows that failed and are due again,
   rows claimed by a worker that died mid-send, after a lease): customer mail first, one drain per
   batch of backlog up to ``RMA_OUTBOX_DRAINS``, each on its queue's own Celery queue. With the
   broker down it drains in its own process, customer mail first.

The e-mail's Message-ID is derived from the key, so in the one case the claim cannot cover (the
mail server accepted the message and the worker died before recording it) the copy the sweep
sends after the lease carries the same Message-ID.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from core.phrases import said_json, said_render
from core.tasks import enqueue
from rma import lifecycle, public
from rma.languages import customer_language
from rma.models import RMA, Customer, OutboxMessage, OutboxQueue, RMAEvent, is_erased_email
from rma.status_links import status_link_issue, status_url

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
Queue = OutboxQueue

# Bulk mail: sent to many customers at once, never in the way of the mail one customer is waiting for.
BULK_TEMPLATES = frozenset({"rma_follow_up", "advisory_notice"})
BULK_TEMPLATE_PREFIXES = ("programme_",)
# The Celery task that drains each queue (config.settings routes each to its own Celery queue).
DRAIN_TASKS: dict[str, str] = {
    Queue.CUSTOMER: "rma.tasks.outbox_drain_customer",
    Queue.BULK: "rma.tasks.outbox_drain_bulk",
}


def outbox_queue_for(template: str) -> str:
    """The queue of an e-mail written from ``template``: bulk for follow-ups, advisories and programme notices."""
    if template in BULK_TEMPLATES or template.startswith(BULK_TEMPLATE_PREFIXES):
        return Queue.BULK
    return Queue.CUSTOMER


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
    queue = outbox_queue_for(template)
    if is_erased_email(customer.email):
        return OutboxMessage(
            customer=customer, to_email=customer.email, rma=rma, template=template, key=key, queue=queue
        )
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "customer": customer,
            "to_email": customer.email,
            "rma": rma,
            "template": template,
            "context": said_json(context),
            "queue": queue,
        },
    )
    if created and queue == Queue.BULK:
        drain_after_commit(Queue.BULK)
    elif created:
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


def drain_after_commit(queue: str) -> None:
    """Start one drain of ``queue`` when the current transaction commits, however many rows it wrote."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(entry[1], "outbox_drain", None) == queue for entry in connection.run_on_commit
    ):
        return

    def start() -> None:
        drain_dispatch(queue)

    start.outbox_drain = queue  # type: ignore[attr-defined]
    transaction.on_commit(start)


def drain_dispatch(queue: str, **kwargs: Any) -> bool:
    """Queue one drain of ``queue``; never raises. False when the broker would not take it (the sweep will)."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        enqueue(DRAIN_TASKS[queue], publish_retry=False, **kwargs)
    except BrokerError as error:
        _broker_down_until = time.monotonic() + settings.RMA_OUTBOX_BROKER_PAUSE_SECONDS
        logger.warning("Broker unavailable; the %s outbox is left for the sweep: %s", queue, error)
        return False
    except Exception:
        logger.exception("Queueing a drain of the %s outbox failed; left for the sweep", queue)
        return False
    return True


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


def _send(message: OutboxMessage, now: datetime, connection: BaseEmailBackend | None = None) -> None:
    """Send a message this process has claimed (at ``now``) and record the outcome on its row.

    Raises ``DeliveryFailed`` when sending fails; the row is then pending again with its error and
    next attempt time, or ``failed`` after ``RMA_OUTBOX_MAX_ATTEMPTS`` attempts.
    """
    try:
        email = outbox_render(message)
        if connection is not None:
            email.connection = connection
        email.send()
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


@contextlib.contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, this connection's commits return before their WAL reaches the disk, for a drain.

    A drain commits one "sent" mark per e-mail; waiting for a disk flush on each would bound it at one
    flush per e-mail. Should the database server itself crash within a fraction of a second of a mark,
    that row is pending again after the restart and its e-mail goes out once more with the same
    Message-ID (the same case as a worker dying between the mail server's answer and the mark). A worker
    that dies loses no mark: the server has it.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(Exception), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox e-mail if nobody else has: True if this call sent it.

    Raises ``DeliveryFailed`` when sending fails; the row is then pending again with its error and
    next attempt time, or ``failed`` after ``RMA_OUTBOX_MAX_ATTEMPTS`` attempts.
    """
    now = now or timezone.now()
    if not _claim(message_id, now):
        return False
    _send(OutboxMessage.objects.select_related("customer", "rma").get(pk=message_id), now)
    return True


def _due(queue: str, now: datetime, grace_seconds: int) -> Q:
    """Rows of ``queue`` to deliver now: pending and due (after ``grace_seconds`` for their own task), or
    claimed by a process whose lease ran out; never one past its last allowed attempt."""
    return (
        Q(queue=queue)
        & (
            Q(status=Status.PENDING, next_attempt_at__lte=now - timedelta(seconds=grace_seconds))
            | Q(status=Status.SENDING, claimed_at__lt=now - _lease())
        )
        & Q(attempts__lt=settings.RMA_OUTBOX_MAX_ATTEMPTS)
    )


def _claim_batch(queue: str, now: datetime, grace_seconds: int, size: int) -> list[int]:
    """Claim up to ``size`` due rows of ``queue`` for this process (sending, ``claimed_at=now``): their ids.

    On PostgreSQL the rows are locked with ``SKIP LOCKED`` while claimed, so drains running at the same
    moment each take different rows without waiting on one another; the UPDATE repeats the condition,
    so on a database without row locks (SQLite, whose writes are serial) a row is still claimed once.
    """
    due = _due(queue, now, grace_seconds)
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        OutboxMessage.objects.filter(due, pk__in=ids).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(
        OutboxMessage.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now).values_list("pk", flat=True)
    )


def _open(connection: BaseEmailBackend) -> None:
    """Open the mail-server connection for a batch (else each send would open and close its own)."""
    with contextlib.suppress(Exception):  # a server that is down: each send then says so on its row
        connection.open()


def _close(connection: BaseEmailBackend) -> None:
    with contextlib.suppress(Exception):  # closing a connection the server already dropped
        connection.close()


def _drain_batch(queue: str, claimed_at: datetime, grace_seconds: int, size: int, connection: BaseEmailBackend):
    """Claim and send one batch of ``queue``: (rows claimed, e-mails sent)."""
    ids = _claim_batch(queue, claimed_at, grace_seconds, size)
    sent = 0
    for message in OutboxMessage.objects.select_related("customer", "rma").filter(pk__in=ids).order_by("id"):
        try:
            _send(message, claimed_at, connection)
            sent += 1
        except DeliveryFailed:
            _close(connection)  # the connection may be what broke: a fresh one for the next send
            _open(connection)
    return len(ids), sent


def outbox_drain(
    queue: str,
    *,
    now: datetime | None = None,
    grace_seconds: int = 0,
    batch: int | None = None,
    budget_seconds: float | None = None,
) -> int:
    """Send ``queue``'s due e-mails, a batch at a time over one mail-server connection: how many were sent.

    Before each batch of bulk mail, a drain sends any customer mail that is due: on a worker busy with
    a long bulk run, an acknowledgement waits at most one batch, never behind the bulk backlog. Stops
    when nothing is due or after ``budget_seconds`` (``RMA_OUTBOX_DRAIN_SECONDS``); what is left is taken
    by the drains the next sweep starts. Rows are claimed before sending, so any number of drains, tasks
    and sweeps may run at once and each e-mail still goes once. ``now`` is fixed for the whole drain
    when given (tests); otherwise each batch is claimed at the time it starts.
    """
    size = batch or settings.RMA_OUTBOX_BATCH
    budget = settings.RMA_OUTBOX_DRAIN_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    sent = 0
    connection = get_connection()
    _open(connection)
    try:
        with _commits_without_waiting_for_disk():
            while True:
                claimed_at = now or timezone.now()
                if queue != Queue.CUSTOMER:
                    sent += _drain_batch(Queue.CUSTOMER, claimed_at, 0, size, connection)[1]
                claimed, sent_now = _drain_batch(queue, claimed_at, grace_seconds, size, connection)
                sent += sent_now
                if claimed < size or time.monotonic() >= deadline:
                    return sent
    finally:
        _close(connection)


def outbox_backlog(queue: str, now: datetime, grace_seconds: int, cap: int) -> int:
    """How many rows of ``queue`` are due, counted up to ``cap`` (enough to size the drains)."""
    return OutboxMessage.objects.filter(_due(queue, now, grace_seconds))[:cap].count()


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Fail dead last attempts, then drain what is due, customer mail first.

    Starts one drain per ``RMA_OUTBOX_BATCH`` rows of backlog, up to ``RMA_OUTBOX_DRAINS`` per queue
    counting those already sending, on each queue's Celery queue, so the sending scales with the backlog
    across the workers (a drain hands over to a successor while rows are due). When tasks
    run in-process (no broker) or the broker does not take the drains, drains here. Returns how many
    e-mails this process sent (drains started on workers count there).
    """
    now = now or timezone.now()
    # A worker that died during its last allowed attempt leaves a claim nobody may take over.
    OutboxMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - _lease(), attempts__gte=settings.RMA_OUTBOX_MAX_ATTEMPTS
    ).update(status=Status.FAILED, last_error="The last allowed attempt did not finish.")
    grace = {Queue.CUSTOMER: settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS, Queue.BULK: 0}
    sent = 0
    for queue in (Queue.CUSTOMER, Queue.BULK):
        drains = settings.RMA_OUTBOX_DRAINS
        backlog = outbox_backlog(queue, now, grace[queue], cap=settings.RMA_OUTBOX_BATCH * drains)
        if not backlog:
            continue
        if current_app.conf.task_always_eager:
            sent += outbox_drain(queue, now=now, grace_seconds=grace[queue])
            continue
        wanted = min(drains, -(-backlog // settings.RMA_OUTBOX_BATCH)) - outbox_drains_running(queue, now)
        if wanted <= 0:
            continue
        started = sum(drain_dispatch(queue, grace_seconds=grace[queue]) for _ in range(wanted))
        if not started:  # the broker is down: this process sends, customer mail first
            sent += outbox_drain(queue, now=now, grace_seconds=grace[queue])
    return sent


def outbox_drains_running(queue: str, now: datetime) -> int:
    """About how many drains of ``queue`` are sending now: each batch in flight shares one claim time."""
    return (
        OutboxMessage.objects.filter(queue=queue, status=Status.SENDING, claimed_at__gte=now - _lease())
        .values("claimed_at")
        .distinct()
        .count()
    )


def outbox_drain_and_continue(queue: str, *, grace_seconds: int = 0) -> int:
    """A drain task's work: drain, then hand over to a fresh task while rows are still due.

    A drain stops after its time budget so that no task runs for long; its successor picks up at once,
    so the sending never pauses until the next sweep.
    """
    sent = outbox_drain(queue, grace_seconds=grace_seconds)
    if outbox_backlog(queue, timezone.now(), grace_seconds, cap=1):
        drain_dispatch(queue, grace_seconds=grace_seconds)
    return sent
