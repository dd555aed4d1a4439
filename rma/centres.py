"""Repair centres' calendars and routing (SPEC §13): pure functions and the holiday calendars they read.

A centre's business days are Monday to Friday in its own time zone, less its country's public holidays
(and its region's), from the ``holidays`` library. Routing picks the most specific rule that matches.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Container, Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

import holidays as holiday_calendars
from django.utils import timezone

from core.exceptions import InvalidInput


@lru_cache(maxsize=64)
def holiday_calendar(country: str, subdivision: str = "") -> Container[date]:
    """The public holidays of ``country`` (ISO 3166-1 alpha-2) and its ``subdivision``, any year (lazy)."""
    return holiday_calendars.country_holidays(country, subdiv=subdivision or None)


def country_check(country: str, subdivision: str = "") -> None:
    """Refuse a country or region the holiday calendars do not know (``unknown_country``)."""
    try:
        holiday_calendar(country.upper(), subdivision)
    except NotImplementedError:
        raise InvalidInput(
            f"No public-holiday calendar for country “{country}”"
            + (f" and region “{subdivision}”" if subdivision else "")
            + ": use an ISO 3166-1 alpha-2 code such as GB or DE.",
            code="unknown_country",
            field="subdivision" if subdivision and len(country) == 2 else "country",
        ) from None


def zone_check(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone “{name}”: use an IANA name such as Europe/Berlin.",
            code="unknown_time_zone",
            field="time_zone",
        ) from None


class Calendar(Protocol):
    country: str
    subdivision: str
    time_zone: str


def holidays_of(centre: Calendar | None) -> Container[date]:
    return holiday_calendar(centre.country, centre.subdivision) if centre is not None else ()


def local(moment: datetime, centre: Calendar | None) -> datetime:
    """``moment`` on the centre's clock (the site's when there is no centre)."""
    return timezone.localtime(moment, zoneinfo.ZoneInfo(centre.time_zone) if centre is not None else None)


class Rule(Protocol):
    centre_id: int
    country: str
    product_model_id: int | None
    priority: int


def route(rules: Iterable[Rule], *, country: str, product_model_id: int | None) -> int | None:
    """The centre id of the most specific matching rule (country and model, then model, then country);
    the lowest priority among equals; None when no rule matches."""
    best: tuple[int, int, int] | None = None
    chosen = None
    for number, rule in enumerate(rules):
        if rule.country and rule.country != country.upper():
            continue
        if rule.product_model_id is not None and rule.product_model_id != product_model_id:
            continue
        specificity = (2 if rule.product_model_id is not None else 0) + (1 if rule.country else 0)
        key = (-specificity, rule.priority, number)
        if best is None or key < best:
            best, chosen = key, rule.centre_id
    return chosen
