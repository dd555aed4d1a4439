"""Notifying a programme's owners from two workers at once writes each owner's e-mail once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from diagnostics import programmes
from diagnostics.models import FailurePattern
from rma.models import OutboxMessage, Source
from tests.factories import CustomerFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_notify_runs_write_each_owner_once(engineer, battery, monkeypatch):
    monkeypatch.setattr(programmes, "drain_after_commit", lambda queue: None)
    phone = ProductModelFactory(sku="PHN-1")
    pattern = FailurePatternFactory(component=battery, status=FailurePattern.Status.ROOT_CAUSED, root_cause="Thin.")
    programme = programmes.programme_create(
        actor=engineer,
        title="Battery programme",
        summary="Batteries can swell.",
        pattern=pattern,
        product_models=[phone],
        covered_until=dt.date.today() + dt.timedelta(days=365),
    )
    programme = programmes.programme_activate(programme=programme, actor=engineer, source=Source.ADMIN)
    for n in range(60):
        DeviceFactory(product_model=phone, owner=CustomerFactory(email=f"owner{n}@example.com"))
    start = threading.Barrier(4)
    written: list[int] = []

    def racer():
        try:
            start.wait()
            written.append(programmes.programme_owner_emails_queue(programme_id=programme.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(written) == [0, 0, 0, 60]
    assert OutboxMessage.objects.filter(template="programme_notice").count() == 60
    assert OutboxMessage.objects.values("customer_id").distinct().count() == 60
    programme.refresh_from_db()
    assert programme.owners_notified == 60
