"""What the returns app adds to /metrics (``core.extensions.METRICS``): the outbox backlog, read at each scrape."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from rma.models import OutboxMessage

# Rows still to send, or given up: every one of them is in the outbox's partial index (outbox_due_idx).
BACKLOG_STATUSES = [OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING, OutboxMessage.Status.FAILED]


def outbox_metrics() -> Iterable[GaugeMetricFamily]:
    backlog = GaugeMetricFamily(
        "rma_outbox_messages",
        "Outbox e-mails waiting, being sent or given up, by queue (customer, bulk) and status.",
        labels=["queue", "status"],
    )
    counts = {
        (row["queue"], row["status"]): row["n"]
        for row in OutboxMessage.objects.filter(status__in=BACKLOG_STATUSES)
        .values("queue", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    for queue in OutboxMessage.Queue.values:
        for status in BACKLOG_STATUSES:
            backlog.add_metric([queue, status], counts.get((queue, status), 0))
    oldest = GaugeMetricFamily(
        "rma_outbox_oldest_pending_age_seconds",
        "How long the longest-waiting pending e-mail of each queue has been due (0 when none waits).",
        labels=["queue"],
    )
    now = timezone.now()
    for queue in OutboxMessage.Queue.values:
        due = OutboxMessage.objects.filter(queue=queue, status=OutboxMessage.Status.PENDING).aggregate(
            due=Min("next_attempt_at")
        )["due"]
        oldest.add_metric([queue], max((now - due).total_seconds(), 0.0) if due else 0.0)
    return [backlog, oldest]
