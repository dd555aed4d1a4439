"""Filters of the returns API (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from core.dates import date_in_range
from rma.models import RMA, Device


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


class DeviceFilter(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="product_model__sku", help_text="Product model SKU.")
    lot = django_filters.CharFilter()
    firmware = django_filters.CharFilter(field_name="firmware_version")
    shipped_after = DayFilter(field_name="shipped_on", lookup_expr="gte")
    shipped_before = DayFilter(field_name="shipped_on", lookup_expr="lte")
    in_service = django_filters.BooleanFilter(
        field_name="shipped_on", lookup_expr="isnull", exclude=True, help_text="Shipped to a customer."
    )

    class Meta:
        model = Device
        fields = ["model", "lot", "firmware", "shipped_after", "shipped_before", "in_service"]


class RMAFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RMA.Status.choices)
    coverage = django_filters.MultipleChoiceFilter(choices=RMA.Coverage.choices)
    model = django_filters.CharFilter(field_name="device__product_model__sku", help_text="Product model SKU.")
    lot = django_filters.CharFilter(field_name="device__lot")
    firmware = django_filters.CharFilter(field_name="device__firmware_version")
    serial_number = django_filters.CharFilter(field_name="device__serial_number")
    is_repeat = django_filters.BooleanFilter()
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")
    reported_after = DayFilter(field_name="reported_on", lookup_expr="gte")
    reported_before = DayFilter(field_name="reported_on", lookup_expr="lte")

    class Meta:
        model = RMA
        fields = [
            "status",
            "coverage",
            "model",
            "lot",
            "firmware",
            "serial_number",
            "is_repeat",
            "created_after",
            "created_before",
            "reported_after",
            "reported_before",
        ]
