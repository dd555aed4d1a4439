"""Target dates from configurable service levels (pure: settings are passed in)."""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import date, datetime, timedelta


def is_business_day(day: date, holidays: Container[date] = ()) -> bool:
    """Monday to Friday, and not one of ``holidays`` (a repair centre's public holidays)."""
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, days: int, holidays: Container[date] = ()) -> date:
    """``start`` plus ``days`` working days (Monday to Friday, skipping ``holidays``)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    return current


def deadline(start: datetime, level: Mapping[str, int] | None, holidays: Container[date] = ()) -> datetime | None:
    """When something started at ``start`` is due under ``level`` ({"business_days": n} or {"days": n})."""
    if not level:
        return None
    if "business_days" in level:
        due_day = add_business_days(start.date(), int(level["business_days"]), holidays)
        return start + timedelta(days=(due_day - start.date()).days)
    return start + timedelta(days=int(level.get("days", 0)), hours=int(level.get("hours", 0)))
