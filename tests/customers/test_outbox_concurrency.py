"""Two workers delivering the same outbox row at the same moment send one e-mail (PostgreSQL)."""

import threading

import pytest
from django.core import mail
from django.db import connection

from rma import notifications
from rma.models import OutboxMessage
from tests.customers.helpers import open_return

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class SlowEmailBackend:
    """Holds the send open for a moment so that the racers overlap."""

    sent: list = []
    lock = threading.Lock()

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        threading.Event().wait(0.2)
        with self.lock:
            self.sent.extend(messages)
        return len(messages)


def test_concurrent_deliveries_of_one_row_send_one_email(in_warranty_device, settings, monkeypatch):
    # given: a committed change whose delivery task has not run yet
    settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS = 0
    monkeypatch.setattr(notifications, "outbox_dispatch", lambda message_id: None)
    rma = open_return(in_warranty_device)
    message = OutboxMessage.objects.get(rma=rma)
    assert message.status == OutboxMessage.Status.PENDING
    settings.EMAIL_BACKEND = "tests.customers.test_outbox_concurrency.SlowEmailBackend"
    SlowEmailBackend.sent = []
    start = threading.Barrier(6)
    results = []

    def racer(how):
        try:
            start.wait()
            if how == "sweep":
                results.append(notifications.outbox_sweep())
            else:
                results.append(int(notifications.outbox_deliver(message_id=message.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=racer, args=(how,)) for how in ["task"] * 4 + ["sweep"] * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(results) == 1
    assert len(SlowEmailBackend.sent) == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1
    assert mail.outbox == []
