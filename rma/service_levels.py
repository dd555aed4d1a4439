"""Target dates from configurable service levels (pure: settings are passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta


def add_business_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Monday to Friday)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def deadline(start: datetime, level: Mapping[str, int] | None) -> datetime | None:
    """When something started at ``start`` is due under ``level`` ({"business_days": n} or {"days": n})."""
    if not level:
        return None
    if "business_days" in level:
        due_day = add_business_days(start.date(), int(level["business_days"]))
        return start + timedelta(days=(due_day - start.date()).days)
    return start + timedelta(days=int(level.get("days", 0)), hours=int(level.get("hours", 0)))
