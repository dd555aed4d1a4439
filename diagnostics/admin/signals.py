"""Fault signals in the admin: acknowledged, linked to a pattern or dismissed with the buttons."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ActionModelAdmin
from diagnostics.models import (
    FaultSignal,
)

SIGNAL_FIELDS = [
    "cell",
    "product_model",
    "lot",
    "firmware_version",
    "component",
    "observed",
    "expected",
    "units_in_service",
    "rate_ratio",
    "statistic",
    "threshold",
    "first_detected_on",
    "evidence_as_of",
    "last_updated",
    "status",
    "pattern",
    "note",
    "status_changed_by",
    "status_changed_at",
]


@admin.register(FaultSignal)
class FaultSignalAdmin(ActionModelAdmin):
    action_kind = "signal"
    list_display = [
        "cell_name",
        "status_display",
        "failures_display",
        "units_display",
        "statistic_display",
        "first_detected_on",
    ]
    list_display_links = ["cell_name"]
    list_select_related = ["product_model", "component", "pattern"]
    list_filter = ["status", "cell"]
    search_fields = ["=lot", "=firmware_version", "product_model__sku", "component__code"]
    date_hierarchy = "first_detected_on"
    fields = tuple(SIGNAL_FIELDS)
    readonly_fields = SIGNAL_FIELDS

    def action_form_kwargs(self, request, signal, action):
        if action.name == "link":
            return {"component_id": signal.component_id}
        return {}

    @admin.display(description="cell", ordering="product_model__sku")
    def cell_name(self, signal: FaultSignal) -> str:
        return format_html('<span style="white-space: nowrap">{}</span>', signal.cell_label)

    @admin.display(description="status", ordering="status")
    def status_display(self, signal: FaultSignal) -> str:
        if signal.pattern is not None:
            return f"Linked to {signal.pattern.code}"
        return signal.get_status_display()

    @admin.display(description="units", ordering="units_in_service")
    def units_display(self, signal: FaultSignal) -> str:
        return f"{signal.units_in_service:,}"

    @admin.display(description="failures vs expected", ordering="rate_ratio")
    def failures_display(self, signal: FaultSignal) -> str:
        return f"{signal.observed} vs {signal.expected:.1f} (×{signal.rate_ratio:.1f})"

    @admin.display(description="statistic", ordering="statistic")
    def statistic_display(self, signal: FaultSignal) -> str:
        return f"{signal.statistic:.1f} / {signal.threshold:.1f}"

    def has_add_permission(self, request):
        return False  # raised by the detection scan

    def has_change_permission(self, request, obj=None):
        return False  # status moves through the buttons

    def has_delete_permission(self, request, obj=None):
        return False
