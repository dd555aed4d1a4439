"""What a return's timeline event tells webhook endpoints (SPEC §12), written in the event's transaction."""

from __future__ import annotations

from typing import Any

from core.webhooks import webhook_emit
from rma.models import RMA, RMAEvent

Status = RMA.Status


def rma_event_data(event: RMAEvent, rma: RMA) -> dict[str, Any]:
    return {
        "number": rma.number,
        "status": rma.status,
        "from_status": event.from_status or None,
        "coverage": rma.coverage,
        "resolution": rma.resolution,
        "disposition": rma.disposition,
        "action": event.action,
        "serial_number": rma.device.serial_number,
        "model_sku": rma.device.product_model.sku,
        "updated_at": rma.updated_at,
    }


def rma_event_emit(*, event: RMAEvent, rma: RMA) -> None:
    """``rma.created``, ``rma.status_changed`` (and ``rma.closed``), ``goodwill.granted`` for one timeline event.

    Each event type's id is derived from the timeline row, so the same change is one event.
    """
    key = f"rma-event:{event.pk}"

    def data() -> dict[str, Any]:
        return rma_event_data(event, rma)

    if event.action == "create":
        webhook_emit("rma.created", data, key=key, at=event.created_at)
        return
    if event.to_status and event.to_status != event.from_status:
        webhook_emit("rma.status_changed", data, key=key, at=event.created_at)
        if event.to_status == Status.CLOSED:
            webhook_emit("rma.closed", data, key=key, at=event.created_at)
    if event.action == "grant_goodwill":
        webhook_emit("goodwill.granted", data, key=key, at=event.created_at)
