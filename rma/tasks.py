from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from rma import notifications, services


@shared_task(
    bind=True,
    name="rma.tasks.outbox_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
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


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    return notifications.outbox_sweep()


@shared_task(acks_late=True)
def follow_ups_send() -> int:
    return len(services.follow_ups_queue_due())


@shared_task
def expire_stale_authorizations() -> int:
    return len(services.rma_expire_stale_authorizations())
