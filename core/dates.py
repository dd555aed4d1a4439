"""The days the product accepts from people and files: 1 January 1970 to 31 December 2100.

Nothing it tracks happened before 1970 or is planned after 2100, and a year such as 9999 would
overflow the date arithmetic (a warranty end, the day after a range). API fields and filters,
forms and the importers all refuse a day outside the range with the same words.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError

EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def date_problem(day: date) -> str:
    """Why ``day`` is refused ("" when it is within the range)."""
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return ""
    return f"{day.isoformat()} is outside {EARLIEST_DATE:%d %b %Y} to {LATEST_DATE:%d %b %Y}"


def date_in_range(value: date | datetime | None) -> None:
    """A form and serializer validator: a day (or the day of a moment) within the range."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    problem = date_problem(day)
    if problem:
        raise ValidationError(f"The date {problem}.", code="date_out_of_range")
