"""Customer notifications for timeline events that carry a customer-visible message."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction

from rma.models import RMAEvent


def event_notify_on_commit(event: RMAEvent) -> None:
    """Queue the e-mail for ``event`` once the surrounding transaction has committed."""
    from rma.tasks import send_event_email

    event_id = event.pk
    transaction.on_commit(lambda: send_event_email.delay(event_id))


def event_email_send(*, event_id: int) -> bool:
    event = RMAEvent.objects.select_related("rma__customer").get(pk=event_id)
    customer = event.rma.customer
    if customer is None or not event.customer_message:
        return False
    send_mail(
        subject=f"Your return {event.rma.number}",
        message=f"Hello {customer.name or ''},\n\n{event.customer_message}\n",
        from_email=None,
        recipient_list=[customer.email],
    )
    return True
