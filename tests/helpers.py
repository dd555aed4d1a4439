"""Small helpers shared by the tests."""

from __future__ import annotations

import datetime as dt

from rma.models import RMA, RMAEvent


def next_weekday(weekday: int, *, hour: int = 10) -> dt.datetime:
    """The next such weekday (Monday is 0) after today, at ``hour`` UTC: a fixed point for dates."""
    day = dt.date.today() + dt.timedelta(days=1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def last_event(rma) -> RMAEvent:
    return RMAEvent.objects.filter(rma_id=rma.pk).order_by("-id").first()


def reload(rma: RMA) -> RMA:
    return RMA.objects.get(pk=rma.pk)
