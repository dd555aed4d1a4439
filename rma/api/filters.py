"""Filters of the returns API (django-filter)."""

from __future__ import annotations

import django_filters

from core.api.filters import DayFilter, MomentFilter, updated_since_filter
from rma.models import RMA, Device


class DeviceFilter(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="product_model__sku", help_text="Product model SKU.")
    lot = django_filters.CharFilter()
    firmware = django_filters.CharFilter(field_name="firmware_version")
    shipped_after = DayFilter(field_name="shipped_on", lookup_expr="gte")
    shipped_before = DayFilter(field_name="shipped_on", lookup_expr="lte")
    in_service = django_filters.BooleanFilter(
        field_name="shipped_on", lookup_expr="isnull", exclude=True, help_text="Shipped to a customer."
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Device
        fields = ["model", "lot", "firmware", "shipped_after", "shipped_before", "in_service", "updated_since"]


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
    updated_since = updated_since_filter()

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
            "updated_since",
        ]
