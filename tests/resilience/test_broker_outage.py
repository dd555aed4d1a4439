"""A broker outage loses no notification and duplicates none (SPEC §8, §10)."""

import contextlib
import datetime as dt
import os
import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections
from django.utils import timezone

from config.celery import app as celery_app
from rma import notifications
from rma.models import RMA, OutboxMessage, Source
from rma.services import rma_authorize, rma_create, rma_receive
from rma.tasks import outbox_deliver_task, outbox_sweep
from tests.factories import DeviceFactory
from tests.resilience.conftest import CLOSED_PORT_BROKER

pytestmark = pytest.mark.django_db(transaction=True)

S = OutboxMessage.Status


def drive(device, technician):
    """A customer opens a return and staff move it on: three customer e-mails."""
    rma = rma_create(
        serial_number=device.serial_number,
        customer_email="owner@example.com",
        customer_name="Owner",
        fault_description="Dead after an update.",
        actor=None,
        source=Source.PAGE,
    )
    rma = rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    return rma_receive(rma=rma, actor=technician, source=Source.ADMIN)


def test_with_the_broker_down_changes_commit_and_the_sweep_sends_each_email_once(
    broker, in_warranty_device, technician, settings
):
    # given: the broker is unreachable
    broker(CLOSED_PORT_BROKER)
    started = time.monotonic()
    # when: the customer and staff carry on
    rma = drive(in_warranty_device, technician)
    # then: every change committed, nothing raised, and only the first commit waited on the broker
    assert notifications._broker_down_until > 0  # the broker did refuse
    assert time.monotonic() - started < 5
    rma.refresh_from_db()
    assert rma.status == RMA.Status.RECEIVED
    messages = OutboxMessage.objects.filter(rma=rma)
    assert messages.count() == 3
    assert set(messages.values_list("status", flat=True)) == {S.PENDING}
    assert mail.outbox == []
    # when: the broker is back (tasks run in-process again) and beat runs the sweep twice
    settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS = 60
    broker("memory://")
    celery_app.conf.task_always_eager = True
    later = timezone.now() + dt.timedelta(minutes=2)
    assert notifications.outbox_sweep(now=later) == 3
    assert notifications.outbox_sweep(now=later + dt.timedelta(minutes=1)) == 0
    outbox_sweep.apply()
    # then: every e-mail went out exactly once
    assert len(mail.outbox) == 3
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {S.SENT}
    assert len({m.subject + m.body[:40] for m in mail.outbox}) == 3


redis_broker = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"),
    reason="needs a Redis broker (set CELERY_BROKER_URL=redis://...)",
)


@pytest.fixture
def close_connections_after_tasks():
    """The worker thread's database connections are closed after each task, so teardown can drop the database."""

    def close(**kwargs):
        connections.close_all()

    task_postrun.connect(close, weak=False)
    yield
    task_postrun.disconnect(close)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@redis_broker
@pytest.mark.postgres
@pytest.mark.slow
def test_a_real_worker_delivers_what_piled_up_during_an_outage_once(
    broker, in_warranty_device, technician, settings, close_connections_after_tasks
):
    broker_url = os.environ["CELERY_BROKER_URL"]
    queue = f"rma-test-{uuid.uuid4().hex[:8]}"
    settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS = 0
    second_unit = DeviceFactory(serial_number="SN-SECOND-UNIT", product_model=in_warranty_device.product_model)
    # given: changes made while the broker was down
    broker(CLOSED_PORT_BROKER, queue=queue)
    rma = drive(in_warranty_device, technician)
    assert notifications._broker_down_until > 0  # the broker did refuse
    piled_up = list(OutboxMessage.objects.filter(rma=rma).values_list("pk", flat=True))
    assert len(piled_up) == 3 and mail.outbox == []
    # when: the broker is back, with a worker on this test's own queue
    broker(broker_url, queue=queue)
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            outbox_sweep.delay()  # what beat does every minute
            assert wait_for(lambda: OutboxMessage.objects.filter(pk__in=piled_up, status=S.SENT).count() == 3)
            # and every delivery arrives twice more (redelivered or duplicated tasks)
            for pk in piled_up:
                outbox_deliver_task.delay(pk)
                outbox_deliver_task.delay(pk)
            # a change made now is delivered by the worker, after those duplicates
            second = rma_create(
                serial_number=second_unit.serial_number,
                customer_email="second@example.com",
                fault_description="Another unit, another fault.",
                actor=None,
                source=Source.PAGE,
            )
            assert wait_for(lambda: OutboxMessage.objects.get(rma=second).status == S.SENT)
    finally:
        redis.Redis.from_url(broker_url).delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    # then: each e-mail went out exactly once
    assert sorted(m.to[0] for m in mail.outbox) == ["owner@example.com"] * 3 + ["second@example.com"]


@redis_broker
@pytest.mark.postgres
@pytest.mark.slow
def test_status_changes_over_http_while_the_broker_is_away_get_no_error_and_each_email_goes_once(
    broker, make_device, technician, client, tmp_path
):
    """The broker (behind a proxy only this test uses) goes away in the middle of a run of status changes."""
    from django.urls import reverse

    from tests.resilience.harness import Mailbox, TcpProxy, Worker

    redis_url = os.environ["CELERY_BROKER_URL"]
    parsed = redis.connection.parse_url(redis_url)
    proxy = TcpProxy(parsed.get("host", "127.0.0.1"), int(parsed.get("port", 6379))).start()
    via_proxy = proxy.url(parsed.get("db", 0))
    queue = f"rma-outage-{uuid.uuid4().hex[:8]}"
    mailbox = Mailbox(tmp_path / "mail")
    broker(via_proxy, queue=queue)
    rmas = [
        rma_create(
            serial_number=make_device(serial_number=f"SN-OUTAGE-{n}").serial_number,
            customer_email=f"owner{n}@example.com",
            fault_description="Will not charge.",
            actor=None,
            source=Source.PAGE,
        )
        for n in range(8)
    ]
    worker = Worker(
        broker_url=via_proxy,
        queue=queue,
        mailbox=mailbox,
        concurrency=1,
        send_delay=0.01,
        extra_env={"RMA_OUTBOX_SWEEP_GRACE_SECONDS": "0"},
    )
    try:
        assert worker.ready(), worker.log()[-3000:]
        assert wait_for(lambda: OutboxMessage.objects.filter(status=S.SENT).count() == 8)  # the acknowledgements
        client.force_login(technician)

        def act(rma, action, **data):
            return client.post(reverse("admin:rma_rma_act", args=[rma.pk, action]), data).status_code

        # when: the first returns are authorized with the broker up, then it goes away for the rest
        statuses = [act(rma, "authorize", instructions="") for rma in rmas[:3]]
        proxy.cut()
        started = time.monotonic()
        statuses += [act(rma, "authorize", instructions="") for rma in rmas[3:]]
        statuses += [act(rma, "receive", inbound_tracking="") for rma in rmas]
        slowest_while_down = time.monotonic() - started
        # then: every change went through, none with a server error, and none waited on the broker for long
        assert statuses == [302] * 16
        assert slowest_while_down < 10
        assert notifications._broker_down_until > 0
        assert RMA.objects.filter(status=RMA.Status.RECEIVED).count() == 8
        # when: the broker is back, the worker reconnects and beat's sweep runs
        proxy.restore()

        def swept() -> bool:
            with contextlib.suppress(Exception):
                outbox_sweep.delay()
            return wait_for(lambda: OutboxMessage.objects.filter(status=S.SENT).count() == 24, timeout=3)

        assert wait_for(swept, timeout=90), worker.log()[-3000:]
    finally:
        worker.stop()
        proxy.stop()
        redis.Redis.from_url(redis_url).delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    # then: 8 acknowledgements + 16 status e-mails, each sent exactly once
    counts = mailbox.message_ids()
    assert len(counts) == 24 and max(counts.values()) == 1
