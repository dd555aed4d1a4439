"""Webhooks (SPEC §12): signed event deliveries through a transactional outbox.

1. ``webhook_emit`` is called in the transaction of a change; it writes one ``WebhookDelivery`` row per
   active endpoint that subscribes to the event type. A change that rolls back leaves nothing behind.
   The event id is derived from the change's own key (``uuid5``), so the same change emitted twice is
   the same event, and (endpoint, event id) is unique: one delivery per endpoint.
2. After commit each row's delivery task is queued; a broker that is down leaves the row to the sweep.
3. ``webhook_deliver`` claims the row (``core.outbox``: the e-mails' claim, lease and backoff), POSTs the
   body signed with the endpoint's secret, and records the answer. Any 2xx is delivered; anything else
   (a 5xx, a timeout, a refused connection, a redirect) is retried with backoff until
   ``RMA_OUTBOX_MAX_ATTEMPTS``. The same event id arrives twice only when a receiver's answer was lost.

Headers: ``X-Webhook-Id`` (the event id), ``X-Webhook-Timestamp`` (Unix seconds) and
``X-Webhook-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the endpoint's secret>``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidInput
from core.models import WebhookDelivery, WebhookEndpoint
from core.outbox import Outbox

logger = logging.getLogger(__name__)

EVENT_TYPES = (
    "rma.created",
    "rma.status_changed",
    "rma.closed",
    "goodwill.granted",
    "fault_signal.raised",
    "pattern.status_changed",
    "programme.activated",
)
EVENT_NAMESPACE = uuid.UUID("0f6f3c1e-4b8a-4d5e-9a57-6c1f0b2d7e11")
USER_AGENT = "rma-tracker-webhooks/1"

DELIVERIES = Outbox(WebhookDelivery, "core.integration_tasks.webhook_deliver")


class WebhookFailed(Exception):
    """A delivery attempt failed; the row is pending again (or given up) with the error kept."""


class UnsafeTarget(InvalidInput):
    code = "webhook_url_not_allowed"


def secret_new() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# Emitting ----------------------------------------------------------------------------------------


def webhook_emit(
    event_type: str, data: dict[str, Any] | Callable[[], dict[str, Any]], *, key: str, at: datetime | None = None
) -> list[int]:
    """Write ``event_type`` with ``data`` for every endpoint that wants it, in the caller's transaction.

    ``data`` may be a function, called only when some endpoint wants the event.
    ``key`` names the change (``"rma-event:42"``): emitting the same key again is the same event and
    writes nothing more. Returns the new delivery rows' ids.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(active=True) if endpoint.wants(event_type)]
    if not endpoints:
        return []
    event_id = uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{key}")
    created = at or timezone.now()
    body = json.loads(
        json.dumps(
            {
                "id": str(event_id),
                "type": event_type,
                "created": created.isoformat(),
                "data": data() if callable(data) else data,
            },
            cls=DjangoJSONEncoder,
        )
    )
    taken = set(
        WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints).values_list("endpoint_id", flat=True)
    )
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=endpoint, event_id=event_id, event_type=event_type, body=body, created_at=created)
            for endpoint in endpoints
            if endpoint.pk not in taken
        ]
    )
    ids = [row.pk for row in rows if row.pk is not None]
    if len(ids) != len(rows):  # a backend that returns no ids on bulk insert
        ids = list(
            WebhookDelivery.objects.filter(event_id=event_id)
            .exclude(endpoint_id__in=taken)
            .values_list("pk", flat=True)
        )
    for delivery_id in ids:
        transaction.on_commit(functools.partial(DELIVERIES.dispatch, delivery_id))
    return ids


# Targets -----------------------------------------------------------------------------------------


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def target_check(url: str, *, resolve: bool = True) -> tuple[str, str, int, list[str]]:
    """``(scheme, host, port, addresses)`` of ``url``; refuses what is not http(s) and, unless
    ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``, a host any of whose addresses is private, loopback or link-local."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("A webhook URL must be http:// or https:// with a host.", field="url")
    if parts.username or parts.password:
        raise UnsafeTarget("A webhook URL may not carry a user name or password.", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("The webhook URL's port is not a number from 1 to 65535.", field="url") from None
    host = parts.hostname
    if not resolve:
        return parts.scheme, host, port, []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The webhook host “{host}” cannot be resolved.", code="webhook_host_unknown", field="url")
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and not all(_address_allowed(a) for a in addresses):
        raise UnsafeTarget("Webhooks may not target private, loopback or link-local addresses.", field="url")
    return parts.scheme, host, port, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address checked by ``target_check``, not to a second DNS answer."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` (checked again now, and pinned to the checked address); the status code."""
    scheme, host, port, addresses = target_check(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, addresses[0], settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


# Delivery ----------------------------------------------------------------------------------------


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> bool:
    """POST one delivery if nobody else is: True if this call delivered it.

    Raises ``WebhookFailed`` when the attempt fails; the row is then pending again with its error and
    next attempt time, or ``failed`` after ``RMA_OUTBOX_MAX_ATTEMPTS`` attempts.
    """
    now = now or timezone.now()
    if not DELIVERIES.claim(delivery_id, now):
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = json.dumps(delivery.body, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": str(delivery.event_id),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": signature(delivery.endpoint.secret, timestamp, body),
    }
    status: int | None = None
    try:
        status = _post(delivery.endpoint.url, body, headers)
        if not 200 <= status < 300:
            raise WebhookFailed(f"The receiver answered {status}.")
    except Exception as error:
        message = str(error) if isinstance(error, WebhookFailed) else f"{type(error).__name__}: {error}"
        DELIVERIES.failed(delivery.pk, now, delivery.attempts, message, response_status=status)
        logger.warning("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, message)
        raise WebhookFailed(message) from error
    DELIVERIES.succeeded(delivery.pk, now, sent_at=timezone.now(), response_status=status)
    return True


def webhook_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Deliver what is due (never queued, failed and due again, or claimed by a worker that died)."""
    now = now or timezone.now()
    DELIVERIES.abandon_dead_claims(now)
    delivered = 0
    for delivery_id in DELIVERIES.due(now, limit):
        try:
            delivered += webhook_deliver(delivery_id=delivery_id, now=now)
        except WebhookFailed:
            continue
    return delivered


# Endpoints ---------------------------------------------------------------------------------------


def _events_check(events: list[str]) -> list[str]:
    events = list(dict.fromkeys(events))
    if not events:
        raise InvalidInput(
            'Name at least one event type, or ["*"] for all.', code="webhook_events_empty", field="events"
        )
    unknown = [event for event in events if event != "*" and event not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"Unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)} or *.",
            code="webhook_event_unknown",
            field="events",
        )
    return ["*"] if "*" in events else events


def endpoint_create(
    *, url: str, events: list[str], active: bool = True, description: str = "", created_by=None
) -> WebhookEndpoint:
    """Register an endpoint; its secret is new and is shown to the caller once."""
    target_check(url)
    return WebhookEndpoint.objects.create(
        url=url,
        events=_events_check(events),
        active=active,
        description=description,
        secret=secret_new(),
        created_by=created_by,
    )


def endpoint_update(endpoint: WebhookEndpoint, **values: Any) -> WebhookEndpoint:
    """Change an endpoint's ``url``, ``events``, ``active`` or ``description`` (the secret stays)."""
    if "url" in values:
        target_check(values["url"])
    if "events" in values:
        values["events"] = _events_check(values["events"])
    for name, value in values.items():
        setattr(endpoint, name, value)
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=[*values, "updated_at"])
    return endpoint
