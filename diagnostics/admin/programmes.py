"""Service programmes and their reimbursements in the admin; the programmes covering a return's unit on its page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import ActionModelAdmin
from core.extensions import PAGE_PANELS
from diagnostics import forms as diagnostics_forms
from diagnostics import programmes
from diagnostics.models import Programme, Reimbursement
from rma.models import RMA

DRAFT_FIELDS = ["code", *programmes.EDITABLE]


@admin.register(Programme)
class ProgrammeAdmin(ActionModelAdmin):
    action_kind = "programme"
    form = diagnostics_forms.ProgrammeForm
    list_display = ["code", "title", "status", "pattern", "model_skus", "remedy", "period", "owners_notified"]
    list_select_related = ["pattern"]
    list_filter = ["status", "remedy", ("pattern", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=code", "title", "=pattern__code"]
    filter_horizontal = ["product_models"]
    autocomplete_fields = ["pattern"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("product_models")

    def get_fields(self, request, obj=None):
        if obj is None:
            return DRAFT_FIELDS
        if obj.status != Programme.Status.DRAFT:
            return ["status_line", "progress_link", "summary", "serial_list", *DRAFT_FIELDS[3:]]
        return ["status_line", *DRAFT_FIELDS[1:], "serial_list"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Programme.Status.DRAFT:
            return [*DRAFT_FIELDS, "status_line", "progress_link", "serial_list"]
        return ["status_line", "serial_list"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != Programme.Status.DRAFT:
            return False  # its promise is not rewritten under the customers reading it: close it instead
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == Programme.Status.DRAFT and super().has_delete_permission(request, obj)

    @admin.display(description="models")
    def model_skus(self, programme: Programme) -> str:
        return ", ".join(model.sku for model in programme.product_models.all())

    @admin.display(description="period")
    def period(self, programme: Programme) -> str:
        if programme.covered_until:
            return f"until {programme.covered_until:%d %b %Y}"
        return f"{programme.coverage_years} years from warranty start" if programme.coverage_years else "not set"

    @admin.display(description="status")
    def status_line(self, programme: Programme) -> str:
        if programme.pk is None:
            return "Draft"
        line = programme.get_status_display()
        if programme.activated_at:
            line += f", since {programme.activated_at:%d %b %Y}"
        if programme.owners_notified_at:
            line += f"; {programme.owners_notified} owners e-mailed"
        return line

    @admin.display(description="serial list")
    def serial_list(self, programme: Programme) -> str:
        if not programme.has_serial_list:
            return "None: every unit the other rules select."
        return f"{programme.serials.count()} serial numbers uploaded: only those units are covered."

    @admin.display(description="progress")
    def progress_link(self, programme: Programme) -> str:
        return format_html(
            '<a href="{}">Progress report</a>', reverse("reports:programme_progress", args=[programme.code])
        )

    def save_model(self, request, obj, form, change):
        data = {name: value for name, value in form.cleaned_data.items() if name in DRAFT_FIELDS}
        if change:
            data.pop("code", None)
            saved = programmes.programme_update(programme=obj, actor=request.user, **data)
        else:
            saved = programmes.programme_create(actor=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the service set the product models
            self.save_formset(request, form, formset, change=change)


@admin.register(Reimbursement)
class ReimbursementAdmin(ActionModelAdmin):
    action_kind = "reimbursement"
    list_display = ["rma_number", "programme", "amount", "currency", "status", "proposed_at", "decided_by"]
    list_select_related = ["rma", "programme", "decided_by"]
    list_filter = ["status", ("programme", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=rma__number", "=programme__code", "rma__customer__email"]
    fields = ["programme", "rma", "amount", "currency", "status", "proposed_at", "decided_at", "decided_by", "reason"]
    readonly_fields = [
        "programme",
        "rma",
        "amount",
        "currency",
        "status",
        "proposed_at",
        "decided_at",
        "decided_by",
        "reason",
    ]

    def has_add_permission(self, request):
        return False  # proposed by the programme's activation

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="return", ordering="rma__number")
    def rma_number(self, reimbursement: Reimbursement) -> str:
        return reimbursement.rma.number


def programme_panels(request: HttpRequest, rma: RMA) -> list[dict[str, Any]]:
    """The service programmes covering the return's unit, on the return's admin page."""
    found = programmes.programmes_for_device(rma.device)
    if not found:
        return []
    rows = format_html_join(
        "",
        "<li><strong>{}</strong> {}: {} until {} (pattern {})</li>",
        (
            (
                item.programme.code,
                item.programme.title,
                item.programme.get_remedy_display().lower(),
                f"{item.covered_until:%d %b %Y}",
                item.programme.pattern.code,
            )
            for item in found
        ),
    )
    covered = rma.coverage == RMA.Coverage.PROGRAMME
    note = (
        f"This return is covered by {rma.programme_code}."
        if covered
        else "A diagnosis confirming the programme's pattern covers this return free of charge."
    )
    return [
        {
            "title": "Service programme" + ("s" if len(found) > 1 else ""),
            "body": format_html("<ul>{}</ul><p>{}</p>", rows, note),
            "tone": "good",
        }
    ]


PAGE_PANELS.add("rma", programme_panels)
