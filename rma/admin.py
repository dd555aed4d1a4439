"""The technician and supervisor admin. Status changes only through lifecycle action buttons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.exceptions import DomainError
from rma import forms as rma_forms
from rma import lifecycle, selectors, services
from rma.models import (
    RMA,
    Compensation,
    CustodyChange,
    Customer,
    Device,
    GoodwillGrant,
    OutboxMessage,
    ProductModel,
    RMAEvent,
    Source,
)
from rma.normalise import normalise_email, serial_or_none


@dataclass(frozen=True)
class AdminAction:
    """A lifecycle action offered as a button: its form and the service call it makes."""

    name: str  # key in lifecycle.ACTIONS
    form: type[forms.Form]
    perform: Callable[[RMA, Any, dict], RMA]
    style: str = "default"  # "default" or "danger"
    # Whether the button is worth showing for this RMA; the service still decides.
    offer: Callable[[RMA], bool] = lambda rma: True
    # A second button that redraws the form with what was typed, without acting (e.g. to refresh
    # suggestions); empty: none.
    refresh_label: str = ""

    @property
    def spec(self) -> lifecycle.Action:
        return lifecycle.ACTIONS[self.name]


def _admin(**kwargs: Any) -> dict[str, Any]:
    return {"source": Source.ADMIN, **kwargs}


RMA_ADMIN_ACTIONS: list[AdminAction] = [
    AdminAction(
        "authorize",
        rma_forms.AuthorizeForm,
        lambda rma, user, data: services.rma_authorize(rma=rma, **_admin(actor=user, **data)),
    ),
    AdminAction(
        "reject",
        rma_forms.RejectForm,
        lambda rma, user, data: services.rma_reject(rma=rma, **_admin(actor=user, **data)),
        style="danger",
    ),
    AdminAction(
        "cancel",
        rma_forms.CancelForm,
        lambda rma, user, data: services.rma_cancel(rma=rma, **_admin(actor=user, **data)),
        style="danger",
    ),
    AdminAction(
        "receive",
        rma_forms.ReceiveForm,
        lambda rma, user, data: services.rma_receive(rma=rma, **_admin(actor=user, **data)),
    ),
    AdminAction(
        "start_diagnosis",
        rma_forms.ConfirmForm,
        lambda rma, user, data: services.rma_start_diagnosis(rma=rma, **_admin(actor=user)),
    ),
    AdminAction(
        "quote",
        rma_forms.QuoteForm,
        lambda rma, user, data: services.rma_quote(rma=rma, **_admin(actor=user, **data)),
        offer=lambda rma: rma.coverage == RMA.Coverage.NONE,
    ),
    AdminAction(
        "accept_quote",
        rma_forms.ConfirmForm,
        lambda rma, user, data: services.rma_accept_quote(rma=rma, **_admin(actor=user)),
        offer=lambda rma: rma.quote_status == RMA.QuoteStatus.PENDING,
    ),
    AdminAction(
        "decline_quote",
        rma_forms.ConfirmForm,
        lambda rma, user, data: services.rma_decline_quote(rma=rma, **_admin(actor=user)),
        offer=lambda rma: rma.quote_status == RMA.QuoteStatus.PENDING,
    ),
    AdminAction(
        "repair",
        rma_forms.ConfirmForm,
        lambda rma, user, data: services.rma_repair(rma=rma, **_admin(actor=user)),
        offer=lambda rma: rma.coverage == RMA.Coverage.WARRANTY,
    ),
    AdminAction(
        "replace",
        rma_forms.ReplaceForm,
        lambda rma, user, data: services.rma_replace(rma=rma, **_admin(actor=user, **data)),
        offer=lambda rma: rma.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.PAID),
    ),
    AdminAction(
        "ship",
        rma_forms.ShipForm,
        lambda rma, user, data: services.rma_ship(rma=rma, **_admin(actor=user, **data)),
        offer=lambda rma: rma.disposition != RMA.Disposition.RETAINED_FOR_RCA or rma.replacement_device_id is not None,
    ),
    AdminAction(
        "close",
        rma_forms.CloseForm,
        lambda rma, user, data: services.rma_close(rma=rma, **_admin(actor=user, **data)),
    ),
    AdminAction(
        "note",
        rma_forms.NoteForm,
        lambda rma, user, data: services.rma_add_note(rma=rma, **_admin(actor=user, **data)),
    ),
    AdminAction(
        "approve_compensation",
        rma_forms.CompensationForm,
        lambda rma, user, data: (
            services.compensation_approve(
                rma=rma,
                **_admin(
                    actor=user,
                    kind=data["kind"],
                    months=data["months"] or 0,
                    amount=data["amount"],
                    reason=data["reason"],
                ),
            ).rma
        ),
        offer=lambda rma: (
            not Compensation.objects.filter(rma=rma).exclude(status=Compensation.Status.SUGGESTED).exists()
        ),
    ),
]


def compensation_panel(rma: RMA) -> dict[str, Any] | None:
    """The compensation box on the change page: the decision, the stored suggestion, or a preview."""
    compensation = Compensation.objects.filter(rma=rma).select_related("approved_by").first()
    if compensation is not None and compensation.status != Compensation.Status.SUGGESTED:
        what = compensation.get_kind_display().lower()
        if compensation.kind == Compensation.Kind.EXTENDED_WARRANTY:
            what = f"{compensation.months} months of extended warranty"
        elif compensation.kind == Compensation.Kind.SERVICE_CREDIT:
            what = f"a service credit of {compensation.amount}"
        return {
            "title": f"Compensation {compensation.get_status_display().lower()}",
            "body": format_html(
                "{} by {}: {}. Suggested: {}",
                what,
                compensation.approved_by,
                compensation.approval_reason,
                compensation.suggested_reason or "nothing",
            ),
            "tone": "info",
        }
    if compensation is not None and compensation.suggested_kind != Compensation.Kind.NONE:
        return {
            "title": "Compensation suggested",
            "body": format_html(
                "{} A supervisor can approve or change it (Decide compensation).", compensation.suggested_reason
            ),
            "tone": "good",
        }
    if rma.is_final or rma.status in (RMA.Status.SUBMITTED, RMA.Status.AUTHORIZED):
        return None
    preview = selectors.compensation_preview(rma)
    if not preview:
        return None
    return {
        "title": "Compensation due if it shipped today",
        "body": format_html("{} It is suggested when the unit ships or the return closes.", preview.reason),
        "tone": "warn",
    }


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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(RMA)
class RMAAdmin(admin.ModelAdmin):
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
    change_form_template = "admin/rma/rma/change_form.html"
    readonly_fields = [
        "number",
        "status_sentence",
        "coverage_line",
        "device_link",
        "customer",
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
        ("Unit and customer", {"fields": ["device_link", "customer", "fault_description", "channel", "reported_on"]}),
        ("Cover", {"fields": ["coverage_line", "repeat_line", "quote_line"]}),
        (
            "Outcome",
            {"fields": ["disposition", "replacement_device", "resolution", "inbound_tracking", "outbound_tracking"]},
        ),
        ("Dates", {"fields": ["created_at", "closed_at"], "classes": ["collapse"]}),
    ]
    admin_actions: list[AdminAction] = RMA_ADMIN_ACTIONS

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

    def get_urls(self):
        return [
            path(
                "<path:object_id>/act/<str:action_name>/",
                self.admin_site.admin_view(self.action_view),
                name="rma_rma_act",
            ),
            *super().get_urls(),
        ]

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
            extra_context["lifecycle_buttons"] = self.lifecycle_buttons(request, rma)
            extra_context["side_panels"] = self.side_panels(request, rma)
        extra_context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().change_view(request, object_id, form_url, extra_context)

    def side_panels(self, request: HttpRequest, rma: RMA) -> list[dict[str, Any]]:
        """Extra boxes on the change page (extended by the diagnostics admin)."""
        panel = compensation_panel(rma)
        return [panel] if panel else []

    # Lifecycle actions ---------------------------------------------------------------------------

    def get_admin_actions(self) -> dict[str, AdminAction]:
        """The admin's actions, in the order of the lifecycle."""
        order = list(lifecycle.ACTIONS)
        return {action.name: action for action in sorted(self.admin_actions, key=lambda a: order.index(a.name))}

    def lifecycle_buttons(self, request: HttpRequest, rma: RMA) -> list[dict[str, str]]:
        buttons = []
        for action in self.get_admin_actions().values():
            if (
                lifecycle.action_allowed_from(action.spec, rma.status)
                and services.actor_may(request.user, action.name)
                and action.offer(rma)
            ):
                buttons.append(
                    {
                        "label": action.spec.label,
                        "url": reverse("admin:rma_rma_act", args=[rma.pk, action.name]),
                        "style": action.style,
                    }
                )
        return buttons

    def action_view(self, request: HttpRequest, object_id: str, action_name: str) -> HttpResponse:
        action = self.get_admin_actions().get(action_name)
        rma = get_object_or_404(selectors.rma_list(), pk=object_id)
        if action is None or not self.has_view_permission(request, rma):
            raise PermissionDenied
        change_url = reverse("admin:rma_rma_change", args=[rma.pk])
        refresh = request.method == "POST" and bool(action.refresh_label) and "_refresh" in request.POST
        kwargs = self.action_form_kwargs(action, rma, request=request)
        if refresh:  # drawn again from what was typed, unbound: no errors for what is not filled in yet
            kwargs["initial"] = {**request.POST.dict(), **kwargs.get("initial", {})}
        data = request.POST if request.method == "POST" and not refresh else None
        form = action.form(data, request.FILES or None, **kwargs)
        if data is not None and form.is_valid():
            try:
                action.perform(rma, request.user, form.cleaned_data)
            except DomainError as error:
                if error.field and error.field in form.fields:
                    form.add_error(error.field, error.message)
                else:
                    form.add_error(None, f"{error.message} ({error.code})")
            else:
                self.message_user(request, f"{rma.number}: {action.spec.label} done.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{action.spec.label}: {rma.number}",
            "rma": rma,
            "action": action,
            "form": form,
            "change_url": change_url,
            "side_panels": self.side_panels(request, rma),
            "form_panels": self.action_form_panels(request, rma, action, form),
            "status_sentence": lifecycle.CUSTOMER_SENTENCES[rma.status],
        }
        return TemplateResponse(request, "admin/rma/rma/action_form.html", context)

    def action_form_kwargs(self, action: AdminAction, rma: RMA, request: HttpRequest | None = None) -> dict[str, Any]:
        if action.name == "approve_compensation":
            return {"initial": compensation_initial(rma)}
        return {}

    def action_form_panels(
        self, request: HttpRequest, rma: RMA, action: AdminAction, form: forms.Form
    ) -> list[dict[str, Any]]:
        """Boxes shown inside an action's form, above its fields (extended by the diagnostics admin)."""
        return []


class DeviceRMAInline(ReadOnlyInline):
    model = RMA
    fk_name = "device"
    fields = ["number_link", "status", "coverage", "reported_on", "resolution", "is_repeat"]
    readonly_fields = ["number_link", "status", "coverage", "reported_on", "resolution", "is_repeat"]
    verbose_name_plural = "returns of this unit"
    ordering = ["-created_at"]

    @admin.display(description="RMA")
    def number_link(self, rma: RMA) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:rma_rma_change", args=[rma.pk]), rma.number)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = rma_forms.DeviceAdminForm
    list_display = [
        "serial_number",
        "product_model",
        "lot",
        "firmware_version",
        "shipped_on",
        "warranty_ends_on",
        "owner",
    ]
    list_select_related = ["product_model", "owner"]
    list_filter = ["product_model"]
    search_fields = ["serial_number"]
    search_help_text = "Serial number (exact)."
    show_full_result_count = False
    raw_id_fields = ["owner"]
    readonly_fields = ["warranty_ends_on", "warranty_extension_months", "created_at", "updated_at"]
    inlines = [DeviceRMAInline]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        serial = serial_or_none(term)
        return (queryset.filter(serial_number=serial) if serial else queryset.none()), False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.device_update(device=obj, fields=form.changed_data)
            return
        created = services.device_create(
            serial_number=obj.serial_number,
            product_model=obj.product_model,
            lot=obj.lot,
            manufactured_on=obj.manufactured_on,
            shipped_on=obj.shipped_on,
            firmware_version=obj.firmware_version,
            owner=obj.owner,
            purchased_on=obj.purchased_on,
        )
        obj.pk = created.pk
        obj.refresh_from_db()


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "family", "warranty_months", "goodwill_window_months"]
    search_fields = ["sku", "name"]
    list_filter = ["family"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "warranty_months" in form.changed_data:
            services.product_model_set_warranty(product_model=obj, warranty_months=obj.warranty_months)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "phone", "organisation", "created_at"]
    search_fields = ["=email", "name"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.email = normalise_email(obj.email)
        super().save_model(request, obj, form, change)


@admin.register(GoodwillGrant)
class GoodwillGrantAdmin(admin.ModelAdmin):
    list_display = ["rma", "customer", "approved_by", "granted_at", "eligibility_reason"]
    list_select_related = ["rma", "customer", "approved_by"]
    search_fields = ["rma__number", "customer__email"]
    readonly_fields = [
        "rma",
        "customer",
        "approved_by",
        "reason",
        "eligibility_reason",
        "replacement_device",
        "granted_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def compensation_initial(rma: RMA) -> dict[str, Any]:
    """The decision form starts from the suggestion (stored, or what the policy says today)."""
    compensation = Compensation.objects.filter(rma=rma).first()
    if compensation is not None and compensation.suggested_kind != Compensation.Kind.NONE:
        kind, months, amount = compensation.suggested_kind, compensation.suggested_months, compensation.suggested_amount
    else:
        preview = selectors.compensation_preview(rma)
        kind, months, amount = preview.kind, preview.months, preview.amount
    return {"kind": kind, "months": months, "amount": amount or None}


@admin.register(Compensation)
class CompensationAdmin(admin.ModelAdmin):
    """Compensation is decided on the RMA (Decide compensation); here it is only listed."""

    list_display = ["rma", "status", "suggested_kind", "kind", "months", "amount", "days_late", "decided_at"]
    list_filter = ["status", "kind", "repeat_failure"]
    list_select_related = ["rma"]
    search_fields = ["rma__number", "customer__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Customer e-mails and whether they went out."""

    list_display = ["created_at", "template", "to_email", "rma", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "template"]
    list_select_related = ["rma"]
    search_fields = ["=to_email", "rma__number"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
