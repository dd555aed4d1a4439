"""Diagnostics in the admin, and the RMA admin extended with diagnosis entry and goodwill."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from diagnostics import forms as diagnostics_forms
from diagnostics import selectors, services
from diagnostics.models import Component, Diagnosis, DiagnosisAttachment, FailurePattern, RootCauseCase
from rma.admin import RMA_ADMIN_ACTIONS, AdminAction, ReadOnlyInline
from rma.admin import RMAAdmin as BaseRMAAdmin
from rma.models import RMA, Source

DIAGNOSTICS_ADMIN_ACTIONS = [
    AdminAction(
        "record_diagnosis",
        diagnostics_forms.DiagnosisForm,
        lambda rma, user, data: services.diagnosis_record(rma=rma, actor=user, source=Source.ADMIN, **data).rma,
    ),
    AdminAction(
        "grant_goodwill",
        diagnostics_forms.GoodwillForm,
        lambda rma, user, data: services.goodwill_grant(rma=rma, actor=user, source=Source.ADMIN, **data),
        offer=lambda rma: rma.coverage == RMA.Coverage.NONE,
    ),
    AdminAction(
        "retain_unit",
        diagnostics_forms.RetainForm,
        lambda rma, user, data: services.unit_retain(rma=rma, actor=user, source=Source.ADMIN, **data),
        offer=lambda rma: rma.disposition == RMA.Disposition.IN_REPAIR_CENTRE and rma.status != RMA.Status.REPAIRING,
    ),
    AdminAction(
        "dispose_unit",
        diagnostics_forms.DisposeForm,
        lambda rma, user, data: services.unit_dispose(rma=rma, actor=user, source=Source.ADMIN, **data),
        offer=lambda rma: (
            rma.disposition == RMA.Disposition.RETAINED_FOR_RCA
            or (rma.disposition == RMA.Disposition.IN_REPAIR_CENTRE and rma.replacement_device_id is not None)
        ),
    ),
]


class DiagnosisInline(ReadOnlyInline):
    model = Diagnosis
    fields = ["created_at", "component", "outcome", "pattern", "pattern_match", "symptoms", "findings", "technician"]
    readonly_fields = [
        "created_at",
        "component",
        "outcome",
        "pattern",
        "pattern_match",
        "symptoms",
        "findings",
        "technician",
    ]
    verbose_name_plural = "diagnoses"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component", "pattern", "technician")


class RMAAdmin(BaseRMAAdmin):
    """The RMA admin with the actions that need diagnostic facts."""

    admin_actions = [*RMA_ADMIN_ACTIONS, *DIAGNOSTICS_ADMIN_ACTIONS]
    inlines = [DiagnosisInline, *BaseRMAAdmin.inlines]

    def side_panels(self, request, rma):
        panels = super().side_panels(request, rma)
        if rma.status in (RMA.Status.RECEIVED, RMA.Status.DIAGNOSING, RMA.Status.AWAITING_CUSTOMER):
            suggestion = selectors.goodwill_suggestion(rma)
            if suggestion:
                panels.append(
                    {
                        "title": "Goodwill replacement suggested",
                        "body": format_html(
                            "{} A supervisor can grant a free replacement and keep the unit for analysis.",
                            suggestion.reason,
                        ),
                        "tone": "good",
                    }
                )
            elif rma.coverage == RMA.Coverage.NONE:
                panels.append({"title": "Goodwill not available", "body": suggestion.reason, "tone": "warn"})
        case = getattr(rma, "rca_case", None) if rma.disposition == RMA.Disposition.RETAINED_FOR_RCA else None
        if case is not None:
            panels.append(
                {
                    "title": "Retained for root-cause analysis",
                    "body": f"Root-cause case {case.get_status_display().lower()}"
                    + (f", engineer {case.engineer}" if case.engineer else ", not yet assigned")
                    + ". The unit can never be shipped back; it can be scrapped once the case is closed.",
                    "tone": "info",
                }
            )
        return panels


admin.site.unregister(RMA)
admin.site.register(RMA, RMAAdmin)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(FailurePattern)
class FailurePatternAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "component", "status", "samples_wanted", "diagnosis_count", "retained_count"]
    list_filter = ["status", "component", "affected_models"]
    search_fields = ["code", "title", "symptoms"]
    autocomplete_fields = ["component"]
    filter_horizontal = ["affected_models"]

    def get_queryset(self, request):
        return selectors.patterns_with_counts()

    @admin.display(description="diagnoses", ordering="diagnosis_count")
    def diagnosis_count(self, pattern):
        return pattern.diagnosis_count

    @admin.display(description="retained units", ordering="retained_count")
    def retained_count(self, pattern):
        return pattern.retained_count


class AttachmentInline(admin.TabularInline):
    model = DiagnosisAttachment
    extra = 0
    fields = ["kind", "file", "original_name", "uploaded_at"]
    readonly_fields = ["original_name", "uploaded_at"]


@admin.register(Diagnosis)
class DiagnosisAdmin(admin.ModelAdmin):
    list_display = ["rma", "component", "outcome", "pattern", "pattern_match", "technician", "created_at"]
    list_select_related = ["rma", "component", "pattern", "technician"]
    list_filter = ["outcome", "component", "pattern_match", "rma__device__product_model"]
    search_fields = ["=rma__number", "symptoms", "findings"]
    show_full_result_count = False
    inlines = [AttachmentInline]
    readonly_fields = ["rma", "component", "outcome", "pattern", "pattern_match", "technician", "created_at"]

    def has_add_permission(self, request):
        return False  # diagnoses are entered on their RMA

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RootCauseCase)
class RootCauseCaseAdmin(admin.ModelAdmin):
    list_display = ["rma", "device", "status", "engineer", "pattern", "opened_at", "closed_at"]
    list_select_related = ["rma", "device", "engineer", "pattern"]
    list_filter = ["status", "device__product_model"]
    search_fields = ["=rma__number", "=device__serial_number"]
    readonly_fields = ["rma", "device", "status", "opened_at", "closed_at"]

    def has_add_permission(self, request):
        return False  # opened automatically for every retained unit

    def has_delete_permission(self, request, obj=None):
        return False
