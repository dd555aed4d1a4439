"""The mechanics every transactional outbox shares: claim, lease, retries with backoff, the sweep's queue.

An outbox table has the columns ``status`` (pending, sending, sent, failed), ``attempts``,
``last_error``, ``next_attempt_at``, ``claimed_at`` and ``sent_at``. A row is written in the transaction
of the change it tells about and delivered after commit by a task; whoever wins the claim (one conditional
UPDATE, pending → sending, or a sending row whose lease ran out) delivers it, so a task that runs twice, a
redelivered message or a sweep racing a task delivers once. The customers' e-mails (``rma.notifications``)
and the webhooks (``core.webhooks``) are both outboxes of this kind.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from kombu.exceptions import OperationalError as BrokerError

from core.tasks import enqueue

logger = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


def retry_at(now: datetime, attempts: int) -> datetime:
    """Exponential backoff with jitter for the sweep: 1, 2, 4 ... minutes, at most an hour."""
    delay = min(60 * 2 ** max(attempts - 1, 0), 3600)
    return now + timedelta(seconds=delay * random.uniform(0.8, 1.2))


@dataclass
class Outbox:
    """One outbox table and the task that delivers one of its rows (``task(row_id)``)."""

    model: type[models.Model]
    task: str
    _broker_down_until: float = field(default=0.0, repr=False)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=settings.RMA_OUTBOX_LEASE_SECONDS)

    @property
    def max_attempts(self) -> int:
        return settings.RMA_OUTBOX_MAX_ATTEMPTS

    def dispatch(self, row_id: int) -> None:
        """Queue the delivery task; never raises. A row whose task cannot be queued waits for the sweep.

        When the broker refused a task, later commits skip it for a while: the sweep delivers their rows.
        """
        if time.monotonic() < self._broker_down_until:
            return
        try:
            enqueue(self.task, row_id, publish_retry=False)
        except BrokerError as error:
            self._broker_down_until = time.monotonic() + settings.RMA_OUTBOX_BROKER_PAUSE_SECONDS
            logger.warning("Broker unavailable; %s %s left for the sweep: %s", self.model.__name__, row_id, error)
        except Exception:
            logger.exception("Queueing %s %s failed; left for the sweep", self.model.__name__, row_id)

    def claim(self, row_id: int, now: datetime) -> bool:
        """pending → sending, or take over a send whose lease ran out. True for exactly one caller."""
        claimable = Q(status=PENDING) | Q(status=SENDING, claimed_at__lt=now - self.lease)
        updated = (
            self.model._default_manager.filter(claimable, pk=row_id)
            .exclude(attempts__gte=self.max_attempts)
            .update(status=SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )
        return updated == 1

    def succeeded(self, row_id: int, now: datetime, sent_at: datetime, **values: Any) -> None:
        """The claimed row was delivered."""
        self.model._default_manager.filter(pk=row_id, status=SENDING, claimed_at=now).update(
            status=SENT, sent_at=sent_at, last_error="", **values
        )

    def failed(self, row_id: int, now: datetime, attempts: int, error: str, **values: Any) -> bool:
        """The claimed row's attempt failed: pending again with its next attempt time, or failed for good
        after the last allowed attempt (returned True)."""
        gave_up = attempts >= self.max_attempts
        self.model._default_manager.filter(pk=row_id, status=SENDING, claimed_at=now).update(
            status=FAILED if gave_up else PENDING,
            last_error=error[:2000],
            next_attempt_at=retry_at(now, attempts),
            **values,
        )
        return gave_up

    def due(self, now: datetime, limit: int = 200) -> list[int]:
        """Rows the sweep should try: pending and due (after a grace for their own task), or lease expired."""
        grace = timedelta(seconds=settings.RMA_OUTBOX_SWEEP_GRACE_SECONDS)
        return list(
            self.model._default_manager.filter(
                Q(status=PENDING, next_attempt_at__lte=now - grace) | Q(status=SENDING, claimed_at__lt=now - self.lease)
            )
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )

    def abandon_dead_claims(self, now: datetime) -> int:
        """A worker that died during its last allowed attempt leaves a claim nobody may take over: failed."""
        return self.model._default_manager.filter(
            status=SENDING, claimed_at__lt=now - self.lease, attempts__gte=self.max_attempts
        ).update(status=FAILED, last_error="The last allowed attempt did not finish.")
