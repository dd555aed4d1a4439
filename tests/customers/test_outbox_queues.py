"""Customer mail and bulk mail in separate queues; drains that claim in batches and scale with the backlog."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from config.celery import app as celery_app
from rma import notifications
from rma.models import OutboxMessage
from tests.customers.helpers import open_return
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

S = OutboxMessage.Status
Q = OutboxMessage.Queue


def bulk(count: int, *, prefix: str = "notice") -> list[OutboxMessage]:
    customers = [CustomerFactory(email=f"{prefix}-{n}@example.com") for n in range(count)]
    return [
        notifications.outbox_enqueue(
            customer=customer,
            template="advisory_notice",
            context={"title": "Battery swelling", "body": "Stop charging.", "units": ["Phone (SN-1)"], "more_units": 0},
            key=f"{prefix}:{customer.pk}",
        )
        for customer in customers
    ]


@pytest.mark.parametrize(
    ("template", "queue"),
    [
        ("rma_acknowledgement", Q.CUSTOMER),
        ("rma_event", Q.CUSTOMER),
        ("ownership_check", Q.CUSTOMER),
        ("pattern_thanks", Q.CUSTOMER),
        ("rma_follow_up", Q.BULK),
        ("advisory_notice", Q.BULK),
        ("programme_notice", Q.BULK),
        ("programme_anything_later", Q.BULK),
    ],
)
def test_follow_ups_advisories_and_programme_notices_are_bulk_the_rest_customer_mail(template, queue):
    assert notifications.outbox_queue_for(template) == queue


def test_celery_routes_each_kind_of_task_to_its_own_queue():
    router = celery_app.amqp.router

    def queue_of(name):
        return router.route({}, name)["queue"].name

    assert queue_of("rma.tasks.outbox_deliver") == "customer-mail"
    assert queue_of("rma.tasks.outbox_drain_customer") == "customer-mail"
    assert queue_of("rma.tasks.outbox_drain_bulk") == "bulk-mail"
    assert queue_of("diagnostics.tasks.advisory_notify_owners") == "bulk-mail"
    assert queue_of("diagnostics.tasks.detect_faults") == "detection"
    assert queue_of("rma.tasks.webhook_deliver") == "webhooks"
    assert queue_of("rma.tasks.outbox_sweep") == "celery"


def test_every_task_has_a_time_limit():
    celery_app.autodiscover_tasks(force=True)
    ours = [task for name, task in celery_app.tasks.items() if name.startswith(("rma.", "diagnostics."))]
    assert ours
    for task in ours:
        limit = task.time_limit or celery_app.conf.task_time_limit
        soft = task.soft_time_limit or celery_app.conf.task_soft_time_limit
        assert limit and soft and soft < limit, task.name


def test_one_transaction_of_bulk_mail_starts_one_drain(monkeypatch, django_capture_on_commit_callbacks):
    started = []
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: started.append(queue))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        messages = bulk(5)
    assert started == [Q.BULK]
    assert {message.queue for message in messages} == {Q.BULK}


def test_bulk_mail_is_sent_once_after_commit_in_batches(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.RMA_OUTBOX_BATCH = 4
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        bulk(10)
    assert len(mailoutbox) == 10
    assert len({m.extra_headers["Message-ID"] for m in mailoutbox}) == 10
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {S.SENT}


def test_the_sweep_sends_customer_mail_before_bulk_mail(settings, monkeypatch, in_warranty_device):
    settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS = 0
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: False)  # nothing sent after commit
    monkeypatch.setattr(notifications, "outbox_dispatch", lambda message_id: None)
    bulk(6)
    open_return(in_warranty_device, email="waiting@example.com")
    assert notifications.outbox_sweep() == 7
    assert mail.outbox[0].to == ["waiting@example.com"]


@pytest.fixture
def workers_elsewhere():
    """Tasks go to a broker (not run in-process) as far as the outbox can tell."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


def test_the_sweep_starts_one_drain_per_batch_of_backlog_up_to_the_limit(
    settings, monkeypatch, in_warranty_device, workers_elsewhere
):
    settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS = 0
    settings.RMA_OUTBOX_BATCH = 3
    settings.RMA_OUTBOX_DRAINS = 4
    started: list[str] = []
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: started.append(queue) or True)
    monkeypatch.setattr(notifications, "outbox_dispatch", lambda message_id: None)
    open_return(in_warranty_device)
    bulk(7)  # three batches
    del started[:]
    assert notifications.outbox_sweep() == 0
    assert started == [Q.CUSTOMER] + [Q.BULK] * 3
    bulk(30, prefix="more")  # ten batches: capped
    del started[:]
    notifications.outbox_sweep()
    assert started == [Q.CUSTOMER] + [Q.BULK] * 4


def test_with_the_broker_down_the_sweep_drains_in_its_own_process(
    settings, monkeypatch, in_warranty_device, workers_elsewhere
):
    settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS = 0
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: False)
    monkeypatch.setattr(notifications, "outbox_dispatch", lambda message_id: None)
    open_return(in_warranty_device)
    bulk(3)
    assert notifications.outbox_sweep() == 4
    assert len(mail.outbox) == 4


def test_a_drain_claims_nothing_another_has_claimed(settings, monkeypatch):
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: False)
    bulk(5)
    from django.utils import timezone

    now = timezone.now()
    first = notifications._claim_batch(Q.BULK, now, 0, 3)
    second = notifications._claim_batch(Q.BULK, now, 0, 3)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert notifications._claim_batch(Q.BULK, now, 0, 3) == []


def test_a_bulk_drain_sends_waiting_customer_mail_before_each_batch(settings, monkeypatch, in_warranty_device):
    settings.RMA_OUTBOX_BATCH = 2
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: False)
    monkeypatch.setattr(notifications, "outbox_dispatch", lambda message_id: None)
    bulk(5)
    open_return(in_warranty_device, email="waiting@example.com")  # its own task has not run yet
    assert notifications.outbox_drain(Q.BULK) == 6
    assert mail.outbox[0].to == ["waiting@example.com"]


def test_a_drain_keeps_one_mail_server_connection(settings, monkeypatch):
    opened = []
    real = notifications.get_connection

    def counting_connection(*args, **kwargs):
        connection = real(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: False)
    monkeypatch.setattr(notifications, "get_connection", counting_connection)
    bulk(7)
    assert notifications.outbox_drain(Q.BULK, batch=3) == 7
    assert len(opened) == 1


def test_a_drain_out_of_time_hands_over_to_a_successor(settings, monkeypatch):
    settings.RMA_OUTBOX_DRAIN_SECONDS = 0
    started: list[str] = []
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: started.append(queue) or True)
    settings.RMA_OUTBOX_BATCH = 2
    bulk(5)
    assert notifications.outbox_drain_and_continue(Q.BULK) == 2  # one batch, then out of time
    assert started == [Q.BULK]
    started.clear()
    notifications.outbox_drain(Q.BULK, budget_seconds=60)
    assert notifications.outbox_drain_and_continue(Q.BULK) == 0
    assert started == []  # nothing left: no successor


def test_the_sweep_counts_the_drains_already_sending(settings, monkeypatch, workers_elsewhere):
    from django.utils import timezone

    settings.RMA_OUTBOX_BATCH = 2
    settings.RMA_OUTBOX_DRAINS = 4
    started: list[str] = []
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: started.append(queue) or True)
    bulk(12)
    started.clear()
    now = timezone.now()
    notifications._claim_batch(Q.BULK, now, 0, 2)
    notifications._claim_batch(Q.BULK, now + dt.timedelta(seconds=1), 0, 2)
    notifications.outbox_sweep(now=now + dt.timedelta(seconds=2))
    assert started == [Q.BULK] * 2
