"""The transactional outbox: written with the change, delivered once, never lost."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from rma import notifications
from rma.models import RMA, OutboxMessage, Source
from rma.services import outbox_enqueue, rma_authorize
from rma.tasks import outbox_deliver_task, outbox_sweep
from tests.customers.helpers import open_return
from tests.factories import CustomerFactory

S = OutboxMessage.Status


@pytest.fixture
def failing_mail(settings):
    settings.EMAIL_BACKEND = "tests.customers.helpers.FailingEmailBackend"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_queues_no_email(in_warranty_device, technician):
    rma = open_return(in_warranty_device)  # committed: its acknowledgement goes out
    assert len(mail.outbox) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
        raise RuntimeError("something later in the same transaction failed")
    rma.refresh_from_db()
    assert rma.status == RMA.Status.SUBMITTED
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_sends_exactly_one_email_even_when_delivery_runs_again(in_warranty_device, technician):
    rma = open_return(in_warranty_device)
    rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    authorize = OutboxMessage.objects.get(key__startswith="rma-event:", rma=rma, template="rma_event")
    assert authorize.status == S.SENT
    assert len(mail.outbox) == 2
    # when: the task is redelivered, run twice more, and the sweep passes by
    outbox_deliver_task.apply(args=(authorize.pk,))
    outbox_deliver_task.apply(args=(authorize.pk,))
    outbox_sweep.apply(kwargs={})
    # then
    assert len(mail.outbox) == 2
    authorize.refresh_from_db()
    assert authorize.attempts == 1
    assert authorize.sent_at is not None


def test_every_customer_visible_event_writes_an_outbox_row_in_its_transaction(
    in_warranty_device, flow, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        rma = flow.create(in_warranty_device)
        rma = flow.to(rma, RMA.Status.CLOSED)
    visible = rma.events.exclude(customer_message="")
    assert OutboxMessage.objects.filter(rma=rma).count() == visible.count() == 7
    assert set(OutboxMessage.objects.values_list("key", flat=True)) == {f"rma-event:{e.pk}" for e in visible}
    assert len(mailoutbox) == 7
    assert {m.to[0] for m in mailoutbox} == {"owner@example.com"}
    assert "is complete: your device was repaired" in mailoutbox[-1].subject  # closing says how it ended
    assert len({m.subject for m in mailoutbox}) == 7  # each e-mail says what happened
    assert "thank you" in mailoutbox[-1].body.lower()  # closing thanks the customer
    assert all("/returns/track/" in m.body for m in mailoutbox)


def test_internal_notes_send_nothing(in_warranty_device, technician, django_capture_on_commit_callbacks, mailoutbox):
    rma = open_return(in_warranty_device)
    from rma.services import rma_add_note

    with django_capture_on_commit_callbacks(execute=True):
        rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, note="Customer sounded upset on the phone.")
    assert OutboxMessage.objects.filter(rma=rma).count() == 1  # only the acknowledgement
    assert mailoutbox == []


def test_imported_history_emails_nobody(in_warranty_device, django_capture_on_commit_callbacks):
    from rma.services import rma_create

    with django_capture_on_commit_callbacks(execute=True):
        rma_create(
            serial_number=in_warranty_device.serial_number,
            customer_email="old@example.com",
            fault_description="Historical failure",
            channel=RMA.Channel.IMPORT,
            actor=None,
            source=Source.IMPORT,
        )
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_enqueueing_is_idempotent_by_key(django_capture_on_commit_callbacks, mailoutbox):
    customer = CustomerFactory(email="thanks@example.com", name="Grace")
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox_enqueue(customer=customer, template="rma_event", context={"message": "Hello"}, key="k-1")
        second = outbox_enqueue(customer=customer, template="rma_event", context={"message": "Hello"}, key="k-1")
    assert first.pk == second.pk
    assert len(mailoutbox) == 1
    assert "Hello" in mailoutbox[0].body
    assert "Grace" in mailoutbox[0].body


@pytest.mark.django_db
def test_a_failed_send_is_kept_with_its_error_and_retried_later(
    in_warranty_device, failing_mail, settings, django_capture_on_commit_callbacks, mailoutbox
):
    # given: the mail server is down when the return is opened
    with django_capture_on_commit_callbacks(execute=True):
        rma = open_return(in_warranty_device)  # run in-process, the task does not retry in the request
    message = OutboxMessage.objects.get(rma=rma)
    assert message.status == S.PENDING
    assert message.attempts == 1
    assert "connection refused" in message.last_error
    assert message.next_attempt_at > timezone.now()
    # when: the server is back and the sweep runs once the row is due
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.outbox_sweep() == 0  # not due yet
    assert notifications.outbox_sweep(now=message.next_attempt_at + dt.timedelta(minutes=2)) == 1
    # then
    message.refresh_from_db()
    assert message.status == S.SENT
    assert message.last_error == ""
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_message_is_given_up_after_the_last_attempt(in_warranty_device, failing_mail, settings):
    settings.RMA_OUTBOX_MAX_ATTEMPTS = 2
    rma = open_return(in_warranty_device)
    message = OutboxMessage.objects.get(rma=rma)
    later = timezone.now()
    for _ in range(3):
        later += dt.timedelta(hours=2)
        notifications.outbox_sweep(now=later)
    message.refresh_from_db()
    assert message.status == S.FAILED
    assert message.attempts == 2


@pytest.mark.django_db
def test_a_send_interrupted_by_a_dead_worker_is_taken_over_after_the_lease(in_warranty_device, settings, mailoutbox):
    settings.RMA_OUTBOX_LEASE_SECONDS = 300
    rma = open_return(in_warranty_device)
    message = OutboxMessage.objects.get(rma=rma)
    claimed = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(status=S.SENDING, claimed_at=claimed, attempts=1)
    # while the lease runs, nobody else sends it
    assert notifications.outbox_sweep(now=claimed + dt.timedelta(seconds=100)) == 0
    assert notifications.outbox_deliver(message_id=message.pk, now=claimed + dt.timedelta(seconds=100)) is False
    # after it, the sweep does
    assert notifications.outbox_sweep(now=claimed + dt.timedelta(seconds=301)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, len(mailoutbox)) == (S.SENT, 2, 1)


@pytest.mark.django_db
def test_emails_carry_a_message_id_derived_from_the_key(in_warranty_device, mailoutbox):
    rma = open_return(in_warranty_device)
    message = OutboxMessage.objects.get(rma=rma)
    notifications.outbox_deliver(message_id=message.pk)
    sent = mailoutbox[0]
    assert sent.extra_headers["Message-ID"] == notifications._message_id_header(message.key)
    assert sent.alternatives[0][1] == "text/html"


@pytest.mark.django_db
def test_on_a_worker_a_failed_send_is_retried_with_growing_delays_then_left_to_the_sweep(
    in_warranty_device, failing_mail, monkeypatch
):
    from celery.exceptions import Retry

    rma = open_return(in_warranty_device)
    message = OutboxMessage.objects.get(rma=rma)
    countdowns = []

    def retry(*, exc, countdown):
        countdowns.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(outbox_deliver_task, "retry", retry)
    for attempt in range(outbox_deliver_task.max_retries):
        outbox_deliver_task.push_request(retries=attempt, is_eager=False)
        try:
            with pytest.raises(Retry):
                outbox_deliver_task.run(message.pk)
        finally:
            outbox_deliver_task.pop_request()
    outbox_deliver_task.push_request(retries=outbox_deliver_task.max_retries, is_eager=False)
    try:
        assert outbox_deliver_task.run(message.pk) is False  # the last one gives the row back to the sweep
    finally:
        outbox_deliver_task.pop_request()
    assert len(countdowns) == 5
    assert all(0 <= c <= 600 for c in countdowns)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.PENDING, 6)


def test_the_delivery_task_is_acknowledged_late_and_requeued_if_its_worker_dies():
    assert outbox_deliver_task.acks_late is True
    assert outbox_deliver_task.reject_on_worker_lost is True
