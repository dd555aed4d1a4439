"""Filters every API list shares: moments converted to UTC, and days within the accepted range."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from core.dates import date_in_range


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, converted to UTC: the database takes any offset a clock can show.

    Its day must be within the range ``core.dates`` accepts.
    """

    default_validators = [date_in_range]

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("That moment is out of range.", code="invalid") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class DayField(forms.DateField):
    """A day within the range ``core.dates`` accepts (1970-01-01 to 2100-12-31)."""

    default_validators = [date_in_range]


class DayFilter(django_filters.DateFilter):
    field_class = DayField


def updated_since_filter() -> MomentFilter:
    """``updated_since``: rows changed at or after a moment, read in change order (``core.api.pagination``)."""
    return MomentFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only rows changed at or after this moment (ISO 8601), in change order, paged by `cursor`.",
    )
