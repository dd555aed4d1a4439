"""A real Celery worker killed mid-delivery, or shut down warm, loses no e-mail and sends none twice (SPEC §8, §10)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from rma.models import OutboxMessage, Source
from rma.services import rma_add_note, rma_create
from rma.tasks import outbox_sweep
from tests.factories import DeviceFactory
from tests.resilience.harness import Mailbox, Worker, wait_for

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not BROKER_URL.startswith("redis://"), reason="needs a Redis broker (CELERY_BROKER_URL)"),
]

S = OutboxMessage.Status


@pytest.fixture
def queue(broker):
    """A queue of this test's own on the real broker, removed afterwards."""
    name = f"rma-fault-{uuid.uuid4().hex[:8]}"
    broker(BROKER_URL, queue=name)
    yield name
    redis.Redis.from_url(BROKER_URL).delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


@pytest.fixture
def mailbox(tmp_path):
    return Mailbox(tmp_path / "mail")


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(**kwargs)
        started.append(worker)
        assert worker.ready(), worker.log()[-3000:]
        return worker

    yield start
    for worker in started:
        worker.stop()


def notifications(count: int, technician) -> list[int]:
    """A customer's return and ``count - 1`` messages to them from staff: ``count`` e-mails in the outbox, queued."""
    device = DeviceFactory()
    rma = rma_create(
        serial_number=device.serial_number,
        customer_email="owner@example.com",
        customer_name="Owner",
        fault_description="Reboots in a loop.",
        actor=None,
        source=Source.PAGE,
    )
    for n in range(count - 1):
        rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, customer_message=f"Update {n + 1} on your return.")
    ids = list(OutboxMessage.objects.filter(rma=rma).values_list("pk", flat=True))
    assert len(ids) == count
    return ids


def sent(ids) -> int:
    return OutboxMessage.objects.filter(pk__in=ids, status=S.SENT).count()


def test_a_child_killed_mid_delivery_five_times_loses_nothing_and_sends_nothing_twice(
    queue, mailbox, workers, technician
):
    # given: 100 e-mails queued on the broker before any worker runs
    ids = notifications(100, technician)
    # when: a worker delivers them and one of its children is SIGKILLed in the middle of a send, five times
    worker = workers(
        broker_url=BROKER_URL, queue=queue, mailbox=mailbox, concurrency=2, send_delay=0.1, lease_seconds=3
    )
    killed = []
    for n in range(5):
        # spread over the run: the n-th kill once 10 + 18·n e-mails have gone out
        assert wait_for(lambda n=n: sent(ids) >= 10 + 18 * n, timeout=60), worker.log()[-3000:]
        killed.append(worker.kill_a_child_mid_send())
    # the pool replaced every child it lost
    assert wait_for(lambda: len(worker.children()) == 2 and not set(killed) & set(worker.children()), timeout=30)
    assert len(set(killed)) == 5
    assert worker.log().count("exited with 'signal 9 (SIGKILL)'") == 5
    # the worker itself carries on; the five sends it lost are taken over by the sweep after their lease
    assert wait_for(lambda: sent(ids) >= 95, timeout=90), worker.log()[-3000:]
    assert wait_for(lambda: not OutboxMessage.objects.filter(pk__in=ids, status=S.PENDING).exists(), timeout=30)

    def swept() -> bool:
        outbox_sweep.delay()  # what beat does every minute
        return wait_for(lambda: sent(ids) == 100, timeout=5)

    assert wait_for(swept, timeout=60), list(OutboxMessage.objects.exclude(status=S.SENT).values("pk", "status"))
    # then: each of the 100 e-mails went out exactly once
    counts = mailbox.message_ids()
    assert len(counts) == 100
    assert max(counts.values()) == 1, [m for m, n in counts.items() if n > 1]


def test_a_warm_shutdown_finishes_the_sends_in_progress_and_the_next_worker_the_rest(
    queue, mailbox, workers, technician, tmp_path
):
    ids = notifications(12, technician)
    worker = workers(broker_url=BROKER_URL, queue=queue, mailbox=mailbox, concurrency=2, send_delay=1.0)
    # when: both children are in the middle of a send and the worker is told to stop (SIGTERM)
    assert wait_for(lambda: len(mailbox.sending_pids()) == 2, timeout=30), worker.log()[-3000:]
    assert worker.warm_shutdown(timeout=60) == 0
    # then: the sends in progress finished and were recorded; nothing was cut off half-way
    finished = sent(ids)
    assert finished >= 2
    assert not OutboxMessage.objects.filter(pk__in=ids, status=S.SENDING).exists()
    assert mailbox.sending_pids() == []
    assert sum(mailbox.message_ids().values()) == finished
    # and a new worker delivers the rest, each once
    workers(broker_url=BROKER_URL, queue=queue, mailbox=mailbox, concurrency=2, send_delay=0.05)
    assert wait_for(lambda: sent(ids) == 12, timeout=60)
    counts = mailbox.message_ids()
    assert len(counts) == 12 and max(counts.values()) == 1
