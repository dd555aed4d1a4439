"""Fault signals in the admin: acknowledged, linked to a pattern or dismissed with the buttons.

One fault, one row: the list shows each family's leader with the cells it explains beneath it (SPEC
§7); a move on the leader is the family's. Each signal's page says how big the problem is and leads
to the units and returns behind it.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin import ActionModelAdmin
from diagnostics.models import FaultSignal
from diagnostics.selectors import signal_failures

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
    "affected_customers",
    "excess_to_date",
    "projected_excess",
    "projected_excess_low",
    "projected_excess_high",
    "family",
    "first_detected_on",
    "evidence_as_of",
    "last_updated",
    "status",
    "pattern",
    "note",
    "status_changed_by",
    "status_changed_at",
]
FAILURES_PER_PAGE = 100


def magnitude_text(signal: FaultSignal) -> str:
    """How big the problem is, in one line: units, customers, excess so far and still to come (80 %)."""
    return (
        f"{signal.units_in_service:,} units, {signal.affected_customers:,} customers; "
        f"{signal.excess_to_date:+.0f} failures so far, {signal.projected_excess:+.0f} to come "
        f"({signal.projected_excess_low:+.0f} to {signal.projected_excess_high:+.0f}, 80 %)"
    )


class FamilyFilter(admin.SimpleListFilter):
    title = "family"
    parameter_name = "family"

    def lookups(self, request, model_admin):
        return [("all", "Every signal, one row each")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Leaders, their family beneath",
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(family__isnull=True)


@admin.register(FaultSignal)
class FaultSignalAdmin(ActionModelAdmin):
    action_kind = "signal"
    list_display = [
        "cell_name",
        "status_display",
        "failures_display",
        "magnitude_display",
        "statistic_display",
        "first_detected_on",
    ]
    list_display_links = ["cell_name"]
    list_select_related = ["product_model", "component", "pattern"]
    list_filter = [FamilyFilter, "status", "cell"]
    search_fields = ["=lot", "=firmware_version", "product_model__sku", "component__code"]
    date_hierarchy = "first_detected_on"
    fields = tuple(SIGNAL_FIELDS)
    readonly_fields = SIGNAL_FIELDS

    def get_queryset(self, request):
        members = FaultSignal.objects.select_related("product_model", "component").order_by("cell", "pk")
        return (
            super()
            .get_queryset(request)
            .select_related("family__product_model", "family__component")
            .prefetch_related(Prefetch("family_members", queryset=members))
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/failures/",
                self.admin_site.admin_view(self.failures_view),
                name=self._url_name("failures"),
            ),
            *super().get_urls(),
        ]

    def action_form_kwargs(self, request, signal, action):
        if action.name == "link":
            return {"component_id": signal.component_id}
        return {}

    def action_heading(self, signal: FaultSignal) -> str:
        members = len(signal.family_members.all())
        return f"This signal leads a family of {members + 1}: the move applies to all of them." if members else ""

    def page_panels(self, request, signal: FaultSignal):
        failures_url = reverse(f"admin:{self._url_name('failures')}", args=[signal.pk])
        panels = [
            {
                "title": "Magnitude",
                "body": format_html(
                    '{}. <a href="{}">The units and returns behind it</a>.', magnitude_text(signal), failures_url
                ),
            }
        ]
        if signal.family_id is not None:
            leader_url = reverse(f"admin:{self._url_name('change')}", args=[signal.family_id])
            panels.append(
                {
                    "title": "Family",
                    "body": format_html(
                        'Counts the same failures as <a href="{}">{}</a>, which leads its family: '
                        "acknowledge, link or dismiss the leader.",
                        leader_url,
                        signal.family.cell_label if signal.family else "",
                    ),
                    "tone": "warn",
                }
            )
        elif members := list(signal.family_members.all()):
            panels.append(
                {
                    "title": "Family",
                    "body": format_html(
                        "This signal leads; these cells count the same failures and follow its moves: {}.",
                        format_html_join(
                            ", ",
                            '<a href="{}">{}</a>',
                            (
                                (reverse(f"admin:{self._url_name('change')}", args=[m.pk]), m.cell_label)
                                for m in members
                            ),
                        ),
                    ),
                }
            )
        return panels

    def failures_view(self, request, object_id: str):
        signal = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, signal):
            raise PermissionDenied
        page = Paginator(signal_failures(signal), FAILURES_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self._opts(),
            "title": f"Failures behind {signal.cell_label}",
            "signal": signal,
            "magnitude": magnitude_text(signal),
            "page": page,
            "change_url": reverse(f"admin:{self._url_name('change')}", args=[signal.pk]),
            "changelist_url": reverse(f"admin:{self._url_name('changelist')}"),
        }
        return TemplateResponse(request, "admin/diagnostics/signal_failures.html", context)

    @admin.display(description="cell", ordering="product_model__sku")
    def cell_name(self, signal: FaultSignal) -> str:
        members = signal.family_members.all()
        if not members or signal.family_id is not None:
            return format_html('<span style="white-space: nowrap">{}</span>', signal.cell_label)
        return format_html(
            '<span style="white-space: nowrap">{}</span><ul class="rma-family">{}</ul>',
            signal.cell_label,
            format_html_join(
                "",
                '<li>{} <span class="dx-muted">({} vs {} expected, {})</span></li>',
                ((m.cell_label, m.observed, f"{m.expected:.1f}", m.get_status_display().lower()) for m in members),
            ),
        )

    @admin.display(description="status", ordering="status")
    def status_display(self, signal: FaultSignal) -> str:
        if signal.pattern is not None:
            return f"Linked to {signal.pattern.code}"
        return signal.get_status_display()

    @admin.display(description="magnitude (to come: 80 %)", ordering="projected_excess")
    def magnitude_display(self, signal: FaultSignal) -> str:
        return format_html(
            '<span style="white-space: nowrap">{} units, {} customers</span><br>'
            '<span style="white-space: nowrap">{} so far, {} to come ({} to {})</span>',
            f"{signal.units_in_service:,}",
            f"{signal.affected_customers:,}",
            f"{signal.excess_to_date:+.0f}",
            f"{signal.projected_excess:+.0f}",
            f"{signal.projected_excess_low:+.0f}",
            f"{signal.projected_excess_high:+.0f}",
        )

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
