"""Secret links to a return's status page.

A link carries 256 random bits (``secrets.token_urlsafe(32)``). Only the token's SHA-256 is stored,
so a copy of the database opens no status page. A link expires after a fixed lifetime, and in any
case some time after the return closes; looking a return up by its number and e-mail address
issues a fresh one.

This module sits beside the services rather than in them because the outbox (which the services
use) issues a link for every e-mail it sends.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from rma.models import RMA, Customer, StatusLink

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def status_link_issue(*, rma: RMA, now: datetime | None = None) -> str:
    """A new secret token for ``rma``'s status page; the caller puts it in a URL and forgets it."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    StatusLink.objects.create(
        rma=rma,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=settings.RMA_STATUS_LINK_DAYS),
    )
    return token


def status_path(token: str) -> str:
    return reverse("rma:track", args=[token])


def status_url(token: str) -> str:
    """The absolute address for e-mails (``RMA_PUBLIC_BASE_URL`` plus the path)."""
    return settings.RMA_PUBLIC_BASE_URL.rstrip("/") + status_path(token)


def _live_links(token: str, now: datetime):
    after_close = timedelta(days=settings.RMA_STATUS_LINK_DAYS_AFTER_CLOSE)
    return StatusLink.objects.filter(token_hash=token_hash(token), expires_at__gt=now).filter(
        Q(rma__closed_at__isnull=True) | Q(rma__closed_at__gt=now - after_close)
    )


def status_page_version(token: str, *, now: datetime | None = None) -> tuple[str, str, str] | None:
    """What the status page a token opens depends on, cheaply: (status, ownership, version), or None for a
    dead link.

    The version is the RMA row's ``updated_at``, which every transition stamps (``rma_transition``:
    status changes, notes and messages, diagnoses, compensation), and the customer's saved language,
    which the page is written in; what changes without them (a published advisory, a corrected
    name) shows once a kept page expires.
    """
    now = now or timezone.now()
    if not token or len(token) > 100:
        return None
    # The hottest query of the public pages, written out: the token hash is unique, so no ordering.
    after_close = now - timedelta(days=settings.RMA_STATUS_LINK_DAYS_AFTER_CLOSE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT link.rma_id, rma.status, rma.ownership, rma.updated_at, customer.language "
            f"FROM {StatusLink._meta.db_table} link "
            f"JOIN {RMA._meta.db_table} rma ON rma.id = link.rma_id "
            f"LEFT JOIN {Customer._meta.db_table} customer ON customer.id = rma.customer_id "
            "WHERE link.token_hash = %s AND link.expires_at > %s AND (rma.closed_at IS NULL OR rma.closed_at > %s)",
            [token_hash(token), now, after_close],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    rma_id, status, ownership, updated_at, language = row
    return status, ownership, f"{rma_id}.{updated_at}.{language or ''}"


def rma_by_status_token(token: str, *, now: datetime | None = None) -> RMA | None:
    """The RMA a token opens, or None when it is unknown, expired, or its customer was erased (one indexed
    lookup either way)."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        return None
    link = (
        _live_links(token, now)
        .select_related("rma__device__product_model", "rma__customer", "rma__replacement_device")
        .first()
    )
    if link is None or (link.rma.customer is not None and link.rma.customer.is_erased):
        return None
    return link.rma
