"""Celery tasks of the integrations plumbing: webhook delivery and sweep, expiry of idempotency keys."""

from __future__ import annotations

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from core import webhooks
from core.api.idempotency import idempotency_keys_expire as keys_expire


@shared_task(
    bind=True,
    name="core.integration_tasks.webhook_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
)
def webhook_deliver(self, delivery_id: int) -> bool:
    """Deliver one webhook, retrying with exponential backoff and jitter (in a worker; the sweep otherwise)."""
    try:
        return webhooks.webhook_deliver(delivery_id=delivery_id)
    except webhooks.WebhookFailed as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return False
        countdown = get_exponential_backoff_interval(
            factor=5, retries=self.request.retries, maximum=600, full_jitter=True
        )
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(name="core.integration_tasks.webhook_sweep", acks_late=True)
def webhook_sweep() -> int:
    return webhooks.webhook_sweep()


@shared_task(name="core.integration_tasks.idempotency_keys_expire")
def idempotency_keys_expire() -> int:
    return keys_expire()
