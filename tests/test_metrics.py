"""/metrics (SPEC §15): Prometheus text, requests by view, the outbox backlog, open signals; staff or allowed IPs."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from rma.models import OutboxMessage
from tests.customers.helpers import open_return
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def samples(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def scraper(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    return Client(REMOTE_ADDR="10.1.2.3")


def test_strangers_may_not_read_the_metrics(client, settings, technician):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    refused = client.get("/metrics")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    non_staff_token = Token.objects.create(user=technician)
    technician.is_staff = False
    technician.save()
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {non_staff_token.key}").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 403


def test_a_staff_token_or_an_allowed_address_reads_them(client, scraper, technician):
    token = Token.objects.create(user=technician)
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token.key}").status_code == 200
    assert scraper.get("/metrics").status_code == 200
    client.force_login(technician)
    assert client.get("/metrics").status_code == 200


def test_requests_are_counted_by_view_never_by_path(scraper, client):
    client.get("/healthz")
    client.get("/returns/track/s3cret-token/")
    client.get("/no/such/page/")
    body = scraper.get("/metrics").content.decode()
    found = samples(scraper.get("/metrics"))
    assert found[("http_requests_total", (("method", "GET"), ("status", "200"), ("view", "healthz")))] >= 1
    assert ("http_request_duration_seconds_count", (("method", "GET"), ("view", "rma:track"))) in found
    assert any(labels == (("method", "GET"), ("status", "404"), ("view", "unmatched")) for _, labels in found)
    assert "s3cret" not in body and "/no/such/page" not in body


def test_the_outbox_backlog_by_queue_and_status_and_its_oldest_row(scraper, in_warranty_device, monkeypatch):
    from rma import notifications

    monkeypatch.setattr(notifications, "outbox_dispatch", lambda message_id: None)
    monkeypatch.setattr(notifications, "drain_dispatch", lambda queue, **kw: False)
    open_return(in_warranty_device)
    for n in range(3):
        notifications.outbox_enqueue(
            customer=CustomerFactory(email=f"owner-{n}@example.com"),
            template="programme_notice",
            context={},
            key=f"programme:{n}",
        )
    OutboxMessage.objects.filter(key="programme:0").update(status=OutboxMessage.Status.FAILED)
    found = samples(scraper.get("/metrics"))
    assert found[("rma_outbox_messages", (("queue", "customer"), ("status", "pending")))] == 1
    assert found[("rma_outbox_messages", (("queue", "bulk"), ("status", "pending")))] == 2
    assert found[("rma_outbox_messages", (("queue", "bulk"), ("status", "failed")))] == 1
    assert found[("rma_outbox_messages", (("queue", "bulk"), ("status", "sending")))] == 0
    assert found[("rma_outbox_oldest_pending_age_seconds", (("queue", "bulk"),))] >= 0


def test_open_fault_signals_are_counted(scraper):
    found = samples(scraper.get("/metrics"))
    assert found[("diagnostics_fault_signals_open", ())] == 0


def test_a_failing_source_leaves_the_others(scraper, monkeypatch):
    from core.extensions import METRICS

    def broken():
        raise RuntimeError("down")

    METRICS.add("metrics", broken)
    try:
        found = samples(scraper.get("/metrics"))
    finally:
        METRICS.remove("metrics", broken)
    assert ("diagnostics_fault_signals_open", ()) in found


def test_celery_queue_lengths_from_a_redis_broker(scraper, settings, monkeypatch):
    import redis

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/14"
    lengths = {"customer-mail": 2, "bulk-mail": 7000}
    monkeypatch.setattr(redis.Redis, "llen", lambda self, name: lengths.get(name, 0))
    found = samples(scraper.get("/metrics"))
    assert found[("celery_queue_length", (("queue", "bulk-mail"),))] == 7000
    assert found[("celery_queue_length", (("queue", "detection"),))] == 0


def test_finished_tasks_are_counted(scraper):
    from rma.tasks import outbox_sweep

    outbox_sweep.apply()
    found = samples(scraper.get("/metrics"))
    assert found[("celery_tasks_total", (("outcome", "succeeded"), ("task", "rma.tasks.outbox_sweep")))] >= 1
