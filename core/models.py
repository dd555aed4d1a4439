"""The one table the shared core keeps: rate-limit counters for when the cache (Redis) does not answer."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One fixed window's count for one identity in one scope (``core.ratelimit``), kept in the database.

    Used only while the cache is down, so a limit still holds across every web process; a row is
    worthless once ``expires_at`` has passed and is deleted by later counts.
    """

    key = models.CharField(max_length=200, unique=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "rate-limit counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
