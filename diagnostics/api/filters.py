"""Filters of the diagnostics API (django-filter)."""

from __future__ import annotations

import django_filters

from core.api.filters import DayFilter, MomentFilter, updated_since_filter
from diagnostics.models import Diagnosis, FailurePattern, FaultSignal, RootCauseCase


class FailurePatternFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=FailurePattern.Status.choices)
    component = django_filters.CharFilter(field_name="component__code")
    model = django_filters.CharFilter(field_name="affected_models__sku", distinct=True, help_text="Affected SKU.")
    owner = django_filters.CharFilter(field_name="owner__username")
    updated_after = MomentFilter(field_name="updated_at", lookup_expr="gte")
    updated_since = updated_since_filter()

    class Meta:
        model = FailurePattern
        fields = ["status", "component", "model", "owner", "updated_after", "updated_since"]


class DiagnosisFilter(django_filters.FilterSet):
    rma = django_filters.CharFilter(field_name="rma__number")
    component = django_filters.CharFilter(field_name="component__code")
    outcome = django_filters.MultipleChoiceFilter(choices=Diagnosis.Outcome.choices)
    pattern = django_filters.CharFilter(field_name="pattern__code")
    model = django_filters.CharFilter(field_name="rma__device__product_model__sku")
    lot = django_filters.CharFilter(field_name="rma__device__lot")
    firmware = django_filters.CharFilter(field_name="rma__device__firmware_version")
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Diagnosis
        fields = [
            "rma",
            "component",
            "outcome",
            "pattern",
            "model",
            "lot",
            "firmware",
            "created_after",
            "created_before",
        ]


class RootCauseCaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RootCauseCase.Status.choices)
    engineer = django_filters.CharFilter(field_name="engineer__username")
    unassigned = django_filters.BooleanFilter(field_name="engineer", lookup_expr="isnull")
    pattern = django_filters.CharFilter(field_name="pattern__code")
    model = django_filters.CharFilter(field_name="device__product_model__sku")
    opened_after = MomentFilter(field_name="opened_at", lookup_expr="gte")

    class Meta:
        model = RootCauseCase
        fields = ["status", "engineer", "unassigned", "pattern", "model", "opened_after"]


class FaultSignalFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=FaultSignal.Status.choices)
    cell = django_filters.ChoiceFilter(choices=FaultSignal.Cell.choices)
    model = django_filters.CharFilter(field_name="product_model__sku")
    component = django_filters.CharFilter(field_name="component__code")
    lot = django_filters.CharFilter()
    firmware = django_filters.CharFilter(field_name="firmware_version")
    pattern = django_filters.CharFilter(field_name="pattern__code")
    since = DayFilter(
        field_name="first_detected_on", lookup_expr="gte", help_text="First detected on or after this day."
    )

    class Meta:
        model = FaultSignal
        fields = ["status", "cell", "model", "component", "lot", "firmware", "pattern", "since"]
