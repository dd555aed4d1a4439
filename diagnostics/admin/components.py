"""Components and diagnoses in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ActionModelAdmin, ReadOnlyInline, person_column
from diagnostics.downloads import attachment_url
from diagnostics.models import (
    Component,
    Diagnosis,
    DiagnosisAttachment,
)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class AttachmentInline(ReadOnlyInline):
    """Files are added with the "Attach a file" button (checked by ``services.diagnosis_attach``)."""

    model = DiagnosisAttachment
    fields = ["uploaded_at", "kind", "link"]
    readonly_fields = ["uploaded_at", "kind", "link"]
    verbose_name_plural = "attachments"

    @admin.display(description="file")
    def link(self, attachment: DiagnosisAttachment) -> str:
        return format_html('<a href="{}">{}</a>', attachment_url(attachment), attachment.original_name or "download")


@admin.register(Diagnosis)
class DiagnosisAdmin(ActionModelAdmin):
    action_kind = "diagnosis"
    list_display = ["rma", "component", "outcome", "pattern", "pattern_match", "repeat", "technician", "created_at"]
    list_select_related = ["rma", "component", "pattern", "technician"]
    list_filter = [
        "outcome",
        "component",
        "pattern_match",
        "pattern__status",
        "rma__is_repeat",
        "rma__device__product_model",
    ]
    search_fields = ["=rma__number", "=pattern__code", "symptoms", "findings"]
    show_full_result_count = False
    inlines = [AttachmentInline]
    readonly_fields = ["rma", "component", "outcome", "pattern", "pattern_match", "technician_name", "created_at"]
    exclude = ["technician"]  # shown by name (technician_name)
    technician_name = person_column("technician")

    def has_add_permission(self, request):
        return False  # diagnoses are entered on their RMA

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="repeat", boolean=True)
    def repeat(self, diagnosis: Diagnosis) -> bool:
        return diagnosis.rma.is_repeat
