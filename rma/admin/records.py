"""Records kept by the services, listed read-only: goodwill grants, compensations, customer e-mails."""

from __future__ import annotations

from django.contrib import admin

from core.admin import RecordAdmin, person_column
from rma.models import Compensation, GoodwillGrant, OutboxMessage


@admin.register(GoodwillGrant)
class GoodwillGrantAdmin(RecordAdmin):
    list_display = ["rma", "customer", "approved_by", "granted_at", "eligibility_reason"]
    list_select_related = ["rma", "customer", "approved_by"]
    search_fields = ["rma__number", "customer__email"]
    readonly_fields = [
        "rma",
        "customer",
        "approved_by_name",
        "reason",
        "eligibility_reason",
        "replacement_device",
        "granted_at",
    ]
    approved_by_name = person_column("approved_by", "approved by")


@admin.register(Compensation)
class CompensationAdmin(RecordAdmin):
    """Compensation is decided on the RMA (Decide compensation); here it is only listed."""

    list_display = ["rma", "status", "suggested_kind", "kind", "months", "amount", "days_late", "decided_at"]
    list_filter = ["status", "kind", "repeat_failure"]
    list_select_related = ["rma"]
    search_fields = ["rma__number", "customer__email"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    """Customer e-mails and whether they went out."""

    list_display = ["created_at", "template", "to_email", "rma", "queue", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "queue", "template"]
    list_select_related = ["rma"]
    search_fields = ["=to_email", "rma__number"]
    show_full_result_count = False
