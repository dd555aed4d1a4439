"""Reads for the returns domain. Views, admin and API take their querysets from here."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from rma import lifecycle
from rma.exceptions import NotFound
from rma.models import RMA, Device, RMAEvent
from rma.normalise import normalise_serial


def overdue_q(now: datetime | None = None) -> Q:
    """RMAs past the target date of their current status."""
    return Q(due_at__lt=now or timezone.now()) & ~Q(status__in=lifecycle.FINAL_STATUSES)


def rma_list() -> QuerySet[RMA]:
    return RMA.objects.select_related("device__product_model", "customer", "replacement_device")


def rma_overdue(now: datetime | None = None) -> QuerySet[RMA]:
    return rma_list().filter(overdue_q(now)).order_by("due_at")


def rma_get_by_number(number: str) -> RMA:
    try:
        return rma_list().get(number=number.strip().upper())
    except RMA.DoesNotExist:
        raise NotFound(f"No return has number {number.strip()}.", code="unknown_rma") from None


def rma_timeline(rma: RMA, *, customer_visible: bool = False) -> QuerySet[RMAEvent]:
    events = RMAEvent.objects.filter(rma=rma).select_related("actor").order_by("created_at", "id")
    if customer_visible:
        events = events.exclude(customer_message="")
    return events


def device_list() -> QuerySet[Device]:
    return Device.objects.select_related("product_model", "owner")


def device_by_serial(serial_number: str) -> Device:
    try:
        return device_list().get(serial_number=normalise_serial(serial_number))
    except Device.DoesNotExist:
        raise NotFound(f"No device has serial {normalise_serial(serial_number)}.", code="unknown_serial") from None


def device_rma_history(device: Device) -> QuerySet[RMA]:
    return RMA.objects.filter(device=device).order_by("-created_at")
