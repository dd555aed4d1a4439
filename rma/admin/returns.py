"""The returns in the admin: lists, search, the timeline, and the lifecycle buttons of ``rma.actions``.

Status changes only through the action buttons (``core.admin.ActionModelAdmin``); the change page saves nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.actions import Action
from core.admin import ActionModelAdmin, ReadOnlyInline
from core.exceptions import DomainError
from rma import forms as rma_forms
from rma import lifecycle, selectors, services
from rma.models import RMA, Compensation, CustodyChange, RMAEvent, Source
from rma.normalise import normalise_email, serial_or_none


def compensation_panel(request: HttpRequest, rma: RMA) -> dict[str, Any] | None:
    """The compensation box on the change page: the decision, the stored suggestion, or a preview."""
    compensation = selectors.compensation_of(rma)
    preview = None
    if compensation is not None and compensation.status != Compensation.Status.SUGGESTED:
        title, tone = f"Compensation {compensation.get_status_display().lower()}", "info"
    elif compensation is not None and compensation.suggested_kind != Compensation.Kind.NONE:
        title, tone = "Compensation suggested", "good"
    elif rma.is_final or rma.status in (RMA.Status.SUBMITTED, RMA.Status.AUTHORIZED):
        return None
    else:
        compensation, preview = None, selectors.compensation_preview(rma)
        if not preview:
            return None
        title, tone = "Compensation due if it shipped today", "warn"
    context = {"compensation": compensation, "preview": preview, "kinds": Compensation.Kind}
    body = render_to_string("admin/rma/compensation.html", context, request=request)
    return {"title": title, "body": body, "tone": tone}


def compensation_initial(rma: RMA) -> dict[str, Any]:
    """The decision form starts from the suggestion (stored, or what the policy says today)."""
    compensation = selectors.compensation_of(rma)
    if compensation is not None and compensation.suggested_kind != Compensation.Kind.NONE:
        kind, months, amount = compensation.suggested_kind, compensation.suggested_months, compensation.suggested_amount
    else:
        preview = selectors.compensation_preview(rma)
        kind, months, amount = preview.kind, preview.months, preview.amount
    return {"kind": kind, "months": months, "amount": amount or None}


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "On time")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.overdue_q())
        if self.value() == "no":
            return queryset.exclude(selectors.overdue_q())
        return queryset


class RMAEventInline(ReadOnlyInline):
    model = RMAEvent
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"
    fields = ["created_at", "action", "status_change", "actor", "source", "customer_message", "internal_note"]
    readonly_fields = ["created_at", "action", "status_change", "actor", "source", "customer_message", "internal_note"]
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="status")
    def status_change(self, event: RMAEvent) -> str:
        if not event.to_status:
            return ""
        return f"{event.from_status or '·'} → {event.to_status}"


class CustodyChangeInline(ReadOnlyInline):
    model = CustodyChange
    verbose_name_plural = "custody of the failed unit"
    fields = ["created_at", "from_disposition", "to_disposition", "holder", "actor", "note"]
    readonly_fields = ["created_at", "from_disposition", "to_disposition", "holder", "actor", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


# Written only by the services (``rma_transition`` and the actions): never by the change form.
LIFECYCLE_FIELDS = frozenset(field.name for field in RMA._meta.concrete_fields if not field.editable) | {
    "device",
    "customer",
    "inbound_tracking",
}


@admin.register(RMA)
class RMAAdmin(ActionModelAdmin):
    list_display = [
        "number",
        "status",
        "coverage",
        "serial",
        "product_model_sku",
        "customer_email",
        "flags",
        "due_at",
        "created_at",
    ]
    list_select_related = ["device__product_model", "customer"]
    list_filter = ["status", "coverage", OverdueFilter, "device__product_model", "is_repeat", "channel"]
    search_fields = ["number", "device__serial_number", "customer__email"]
    search_help_text = "RMA number, serial number or customer e-mail (exact)."
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [RMAEventInline, CustodyChangeInline]
    action_kind = "rma"
    readonly_fields = [
        "number",
        "status_sentence",
        "coverage_line",
        "device_link",
        "customer",
        "ownership_line",
        "fault_description",
        "channel",
        "repeat_line",
        "disposition",
        "quote_line",
        "replacement_device",
        "resolution",
        "inbound_tracking",
        "outbound_tracking",
        "reported_on",
        "due_line",
        "promised_on",
        "created_at",
        "closed_at",
    ]
    fieldsets = [
        (None, {"fields": ["number", "status_sentence", "due_line", "promised_on"]}),
        (
            "Unit and customer",
            {"fields": ["device_link", "customer", "ownership_line", "fault_description", "channel", "reported_on"]},
        ),
        ("Cover", {"fields": ["coverage_line", "repeat_line", "quote_line"]}),
        (
            "Outcome",
            {"fields": ["disposition", "replacement_device", "resolution", "inbound_tracking", "outbound_tracking"]},
        ),
        ("Dates", {"fields": ["created_at", "closed_at"], "classes": ["collapse"]}),
    ]
    # Lists and search -------------------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.rma_list()

    def get_search_results(self, request, queryset, search_term):
        """Exact, index-friendly lookups on the normalised forms of number, serial and e-mail."""
        term = search_term.strip()
        if not term:
            return queryset, False
        query = Q(number=term.upper()) | Q(device__serial_number=serial_or_none(term) or "")
        if "@" in term:
            query |= Q(customer__email=normalise_email(term))
        return queryset.filter(query), False

    @admin.display(description="serial", ordering="device__serial_number")
    def serial(self, rma: RMA) -> str:
        return rma.device.serial_number

    @admin.display(description="model", ordering="device__product_model__sku")
    def product_model_sku(self, rma: RMA) -> str:
        return rma.device.product_model.sku

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, rma: RMA) -> str:
        return rma.customer.email if rma.customer else "—"

    @admin.display(description="flags")
    def flags(self, rma: RMA) -> str:
        labels = []
        if rma.is_overdue:
            labels.append(("#b00020", "overdue"))
        if rma.is_repeat:
            labels.append(("#8a5a00", "repeat"))
        if rma.ownership == RMA.Ownership.TO_CONFIRM:
            labels.append(("#8a5a00", "ownership to confirm"))
        return format_html_join(" ", '<strong style="color:{}">{}</strong>', labels)

    # Change page --------------------------------------------------------------------------------

    @admin.display(description="status")
    def status_sentence(self, rma: RMA) -> str:
        return format_html(
            "<strong>{}</strong> — {}", rma.get_status_display(), lifecycle.CUSTOMER_SENTENCES[rma.status]
        )

    @admin.display(description="coverage")
    def coverage_line(self, rma: RMA) -> str:
        return format_html("<strong>{}</strong> — {}", rma.get_coverage_display(), rma.coverage_reason)

    @admin.display(description="repeat failure")
    def repeat_line(self, rma: RMA) -> str:
        if not rma.is_repeat:
            return "No"
        return format_html("Yes, after {}", rma.repeat_of.number if rma.repeat_of else "an earlier return")

    @admin.display(description="quote")
    def quote_line(self, rma: RMA) -> str:
        if rma.quote_amount is None:
            return "—"
        return f"{rma.quote_amount} ({rma.get_quote_status_display().lower()})"

    @admin.display(description="due")
    def due_line(self, rma: RMA) -> str:
        if rma.due_at is None:
            return "—"
        when = timezone.localtime(rma.due_at).strftime("%d %b %Y %H:%M")
        if rma.is_overdue:
            return format_html('<strong style="color:#b00020">Overdue since {}</strong>', when)
        return when

    @admin.display(description="ownership")
    def ownership_line(self, rma: RMA) -> str:
        """Whether the customer owns the unit, with the registered owner and the proofs uploaded."""
        owner = rma.device.owner
        registered = f"registered owner {owner.email}" if owner else "no registered owner"
        if rma.ownership == RMA.Ownership.NOT_IN_QUESTION:
            return "The customer is the registered owner" if owner and owner.pk == rma.customer_id else registered
        proofs = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("attachments:download", args=["proof", proof.pk]), proof.original_name or "file")
                for proof in selectors.proofs_of(rma)
            ),
        )
        return format_html(
            "<strong>{}</strong> — {}; proof of purchase: {}",
            rma.get_ownership_display(),
            registered,
            proofs or "none yet",
        )

    @admin.display(description="device")
    def device_link(self, rma: RMA) -> str:
        device = rma.device
        url = reverse("admin:rma_device_change", args=[device.pk])
        return format_html(
            '<a href="{}">{}</a> — {}, lot {}, firmware {}, warranty to {}',
            url,
            device.serial_number,
            device.product_model,
            device.lot or "—",
            device.firmware_version or "—",
            device.warranty_ends_on or "not started",
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Opening a return is a service call, not a model save."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = rma_forms.RMACreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                rma = services.rma_create(actor=request.user, source=Source.ADMIN, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(request, f"Return {rma.number} opened.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:rma_rma_change", args=[rma.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Open a return",
            "form": form,
        }
        return TemplateResponse(request, "admin/rma/rma/add_form.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        rma = self.get_object(request, object_id)
        if rma is not None:
            extra_context["title"] = f"{rma.number} · {rma.get_status_display()}"
        extra_context.update(
            show_save=False, show_save_and_continue=False, show_save_and_add_another=False, read_only_page=True
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Save only the fields the change form edits, never the whole row it read.

        The page is read-only today (every field is in ``readonly_fields``), so a POST writes nothing:
        a lifecycle step committed since the row was read (another member of staff, the API, the
        customer) survives it. Fields the lifecycle owns are never written here, whatever the form has.
        """
        fields = [name for name in form.changed_data if name in form.fields and name not in LIFECYCLE_FIELDS]
        if fields:
            obj.save(update_fields=fields)

    def page_panels(self, request: HttpRequest, rma: RMA) -> list[dict[str, Any]]:
        panel = compensation_panel(request, rma)
        return [panel] if panel else []

    def action_initial(self, request: HttpRequest, rma: RMA, action: Action) -> dict[str, Any]:
        if action.name == "approve_compensation":
            return compensation_initial(rma)
        return {}

    def action_heading(self, rma: RMA) -> str:
        return (
            f"{rma.number} — {rma.get_status_display()}: {lifecycle.CUSTOMER_SENTENCES[rma.status]} "
            f"Cover: {rma.get_coverage_display()} ({rma.coverage_reason}). "
            f"Unit {rma.device.serial_number} ({rma.device.product_model})."
        )

    def action_object(self, request: HttpRequest, object_id: str) -> RMA:
        return get_object_or_404(selectors.rma_list(), pk=object_id)
