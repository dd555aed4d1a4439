from celery import shared_task

from rma import notifications, services


@shared_task
def send_event_email(event_id: int) -> bool:
    return notifications.event_email_send(event_id=event_id)


@shared_task
def expire_stale_authorizations() -> int:
    return len(services.rma_expire_stale_authorizations())
