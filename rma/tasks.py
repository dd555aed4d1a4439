from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from rma import notifications, services
from rma.models import OutboxQueue

# Time limits (seconds): the soft one raises inside the task so it can stop cleanly, the hard one kills
# the process. A send cut short leaves its row claimed; the sweep takes it over after the lease.


@shared_task(
    bind=True,
    name="rma.tasks.outbox_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def outbox_deliver_task(self, message_id: int) -> bool:
    """Deliver one outbox e-mail, retrying with exponential backoff and jitter.

    The retry is written out rather than left to ``autoretry_for`` so that an in-process (eager)
    run never retries inside the web request: there, and after the last retry, the row is left to
    the sweep.
    """
    try:
        return notifications.outbox_deliver(message_id=message_id)
    except notifications.DeliveryFailed as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return False
        countdown = get_exponential_backoff_interval(
            factor=5, retries=self.request.retries, maximum=600, full_jitter=True
        )
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(
    name="rma.tasks.outbox_drain_customer",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
)
def outbox_drain_customer(grace_seconds: int = 0) -> int:
    """Send the customer mail that is due, in batches (the sweep starts these for rows whose task never ran)."""
    return notifications.outbox_drain_and_continue(OutboxQueue.CUSTOMER, grace_seconds=grace_seconds)


@shared_task(
    name="rma.tasks.outbox_drain_bulk", acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=150
)
def outbox_drain_bulk(grace_seconds: int = 0) -> int:
    """Send the bulk mail that is due (follow-ups, advisories, programme notices), in batches."""
    return notifications.outbox_drain_and_continue(OutboxQueue.BULK, grace_seconds=grace_seconds)


@shared_task(name="rma.tasks.outbox_sweep", acks_late=True, soft_time_limit=120, time_limit=150)
def outbox_sweep() -> int:
    return notifications.outbox_sweep()


@shared_task(name="rma.tasks.follow_ups_send", acks_late=True, soft_time_limit=600, time_limit=660)
def follow_ups_send() -> int:
    return len(services.follow_ups_queue_due())


@shared_task(name="rma.tasks.expire_stale_authorizations", soft_time_limit=600, time_limit=660)
def expire_stale_authorizations() -> int:
    return len(services.rma_expire_stale_authorizations())
