"""Root-cause cases in the admin: the engineers' queue, oldest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ActionModelAdmin, ReadOnlyInline, person_column
from diagnostics import forms as diagnostics_forms
from diagnostics import selectors
from diagnostics.admin.patterns import StatusFilter
from diagnostics.downloads import attachment_url
from diagnostics.models import (
    CaseAttachment,
    RootCauseCase,
)


class CaseAttachmentInline(ReadOnlyInline):
    model = CaseAttachment
    fields = ["uploaded_at", "kind", "link", "size_kb", "uploaded_by_name"]
    readonly_fields = ["uploaded_at", "kind", "link", "size_kb", "uploaded_by_name"]
    uploaded_by_name = person_column("uploaded_by", "uploaded by")
    verbose_name_plural = "attachments"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description="file")
    def link(self, attachment: CaseAttachment) -> str:
        return format_html('<a href="{}">{}</a>', attachment_url(attachment), attachment.original_name or "download")

    @admin.display(description="size")
    def size_kb(self, attachment: CaseAttachment) -> str:
        return f"{attachment.size / 1024:.0f} KB"


class CaseStatusFilter(StatusFilter):
    """Open cases by default."""

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed"), ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        return queryset if value == "all" else queryset.filter(status=value)


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "To me"), ("nobody", "To nobody")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(engineer=request.user)
        if self.value() == "nobody":
            return queryset.filter(engineer__isnull=True)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    THRESHOLDS = {"week": 7, "month": 30, "quarter": 90}

    def lookups(self, request, model_admin):
        return [("week", "Older than a week"), ("month", "Older than 30 days"), ("quarter", "Older than 90 days")]

    def queryset(self, request, queryset):
        days = self.THRESHOLDS.get(self.value() or "")
        if days is None:
            return queryset
        return queryset.filter(opened_at__lt=timezone.now() - timedelta(days=days))


@admin.register(RootCauseCase)
class RootCauseCaseAdmin(ActionModelAdmin):
    action_kind = "case"
    CASE_WORK = "diagnostics.change_rootcausecase"
    OLD_AFTER_DAYS = 30

    list_display = ["rma", "age", "product_model_sku", "serial", "engineer", "pattern", "status", "opened_at"]
    list_select_related = ["rma", "device__product_model", "engineer", "pattern"]
    list_filter = [
        CaseStatusFilter,
        AssignedFilter,
        AgeFilter,
        ("engineer", admin.RelatedOnlyFieldListFilter),
        "device__product_model",
        ("pattern", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=rma__number", "=device__serial_number", "=pattern__code"]
    search_help_text = "RMA number, serial number or pattern code (exact)."
    ordering = ["opened_at", "pk"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [CaseAttachmentInline]
    fields = ["rma", "device", "status", "age_line", "engineer", "assigned_at", "pattern", "findings", "conclusion"]
    readonly_fields = [
        "rma",
        "device",
        "status",
        "age_line",
        "engineer",
        "assigned_at",
        "pattern",
        "findings",
        "conclusion",
    ]

    def get_queryset(self, request):
        return selectors.rca_case_queue(status="")

    def has_add_permission(self, request):
        return False  # opened automatically for every retained unit

    def has_change_permission(self, request, obj=None):
        return False  # worked with the buttons, which call the services

    def has_delete_permission(self, request, obj=None):
        return False

    def action_initial(self, request, case, action):
        if action.name == "assign":
            return {"engineer": case.engineer_id}
        if action.name == "close":
            latest = selectors.latest_diagnosis(case.rma_id)
            initial: dict[str, Any] = {"pattern": case.pattern_id or (latest.pattern_id if latest else None)}
            if latest is not None:
                initial.update(new_component=latest.component_id, new_symptoms=latest.symptoms)
            if not initial["pattern"]:
                initial["outcome"] = diagnostics_forms.CaseCloseForm.CREATE
            return initial
        return {}

    @admin.display(description="age", ordering="opened_at")
    def age(self, case: RootCauseCase) -> str:
        days = case.age.days
        text = f"{days} day{'s' if days != 1 else ''}"
        if case.status == RootCauseCase.Status.OPEN and days > self.OLD_AFTER_DAYS:
            return format_html('<span class="dx-old">{}</span>', text)
        return text

    @admin.display(description="age")
    def age_line(self, case: RootCauseCase) -> str:
        opened = timezone.localtime(case.opened_at).strftime("%d %b %Y")
        return format_html("{} (opened {})", self.age(case), opened)

    @admin.display(description="model", ordering="device__product_model__sku")
    def product_model_sku(self, case: RootCauseCase) -> str:
        return case.device.product_model.sku

    @admin.display(description="serial", ordering="device__serial_number")
    def serial(self, case: RootCauseCase) -> str:
        return case.device.serial_number

    def page_panels(self, request, case):
        diagnoses = selectors.case_diagnoses(case)
        if not diagnoses:
            return []
        body = render_to_string(
            "admin/diagnostics/case_findings.html", {"case": case, "diagnoses": diagnoses}, request=request
        )
        return [{"title": "What the repair centre found", "body": body}]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Root-cause cases, oldest first"}
        return super().changelist_view(request, extra_context)
