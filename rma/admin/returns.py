"""The returns in the admin: lists, search, the timeline, and the lifecycle buttons of ``rma.actions``.

Status changes only through the action buttons (``core.admin.ActionModelAdmin``); the change page saves nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from core.actions import Action, registry
from core.admin import ActionModelAdmin, ReadOnlyInline, person, person_column
from core.exceptions import DomainError
from core.extensions import FACTS
from rma import forms as rma_forms
from rma import lifecycle, selectors, services
from rma.admin.centres import centre_filter
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
        reason = compensation.suggested_reason
    else:
        preview = selectors.compensation_preview(rma)
        kind, months, amount, reason = preview.kind, preview.months, preview.amount, preview.reason
    return {"kind": kind, "months": months, "amount": amount or None, "reason": reason}


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


class QueueFilter(admin.SimpleListFilter):
    """The day's work (SPEC §13): one's own open returns, and the open unassigned ones of one's centres."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("mine", "My returns"), ("unassigned", "Unassigned at my centre")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(selectors.queue_mine_q(request.user))
        if self.value() == "unassigned":
            return queryset.filter(selectors.queue_unassigned_q(request.user))
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", "Due today")]

    def queryset(self, request, queryset):
        if self.value() == "today":
            return queryset.filter(due_at__date=timezone.localdate()).exclude(status__in=lifecycle.FINAL_STATUSES)
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("no", "Open and unassigned"), ("yes", "Assigned")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(assignee__isnull=True).exclude(status__in=lifecycle.FINAL_STATUSES)
        if self.value() == "yes":
            return queryset.filter(assignee__isnull=False)
        return queryset


class PromiseFilter(admin.SimpleListFilter):
    """Returns shipped in the last 30 days, by whether they left by the day promised at receipt."""

    title = "promise (shipped in 30 days)"
    parameter_name = "promise"

    def lookups(self, request, model_admin):
        return [("kept", "Kept"), ("broken", "Broken")]

    def queryset(self, request, queryset):
        if self.value() not in ("kept", "broken"):
            return queryset
        shipped = queryset.filter(
            shipped_at__date__gte=timezone.localdate() - dt.timedelta(days=30), received_at__isnull=False
        )
        kept = selectors.promise_kept_q()
        return shipped.filter(kept) if self.value() == "kept" else shipped.exclude(kept)


def week_filter(field: str, parameter: str, title: str, **also: Any) -> type[admin.SimpleListFilter]:
    """Returns whose ``field`` falls in the week starting on the Monday given (a link from the dashboard)."""

    class WeekFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request, model_admin):
            value = request.GET.get(self.parameter_name, "")
            return [(value, value)] if value else []

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            try:
                monday = dt.date.fromisoformat(self.value())
            except ValueError:
                return queryset.none()
            week = {f"{field}__date__gte": monday, f"{field}__date__lt": monday + dt.timedelta(days=7)}
            return queryset.filter(**week, **also)

    WeekFilter.title = title
    return WeekFilter


OpenedWeekFilter = week_filter("created_at", "opened_week", "opened in the week of")
ClosedWeekFilter = week_filter("closed_at", "closed_week", "closed in the week of", status=RMA.Status.CLOSED)


class GoodwillSuggestedFilter(admin.SimpleListFilter):
    """Returns on which the goodwill policy suggests a replacement today (the diagnostics' answer, ``FACTS``)."""

    title = "goodwill"
    parameter_name = "goodwill"

    def lookups(self, request, model_admin):
        return [("suggested", "Goodwill suggested")]

    def queryset(self, request, queryset):
        suggest = FACTS.first("rma.goodwill_suggestion")
        if self.value() != "suggested" or suggest is None:
            return queryset
        suggested = [rma.pk for rma in selectors.goodwill_candidates() if suggest(rma)]
        return queryset.filter(pk__in=suggested)


class RMAEventInline(ReadOnlyInline):
    model = RMAEvent
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"
    fields = ["created_at", "action", "status_change", "actor_name", "source", "customer_message", "internal_note"]
    readonly_fields = [
        "created_at",
        "action",
        "status_change",
        "actor_name",
        "source",
        "customer_message",
        "internal_note",
    ]
    ordering = ["created_at", "id"]
    actor_name = person_column("actor")

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
    fields = ["created_at", "from_disposition", "to_disposition", "holder", "actor_name", "note"]
    readonly_fields = ["created_at", "from_disposition", "to_disposition", "holder", "actor_name", "note"]
    actor_name = person_column("actor")

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
    # What a bench works by comes first (SPEC §13): Due and Flags stay on screen at 1,280 px, and at 1,024 px
    # only the customer's address scrolls.
    list_display = [
        "number",
        "status",
        "due",
        "flags",
        "assignee_name",
        "coverage",
        "unit",
        "customer_email",
        "opened",
    ]
    list_select_related = ["device__product_model", "customer"]
    list_filter = [
        QueueFilter,
        "status",
        centre_filter("centre"),
        "coverage",
        OverdueFilter,
        DueFilter,
        AssignedFilter,
        PromiseFilter,
        OpenedWeekFilter,
        ClosedWeekFilter,
        GoodwillSuggestedFilter,
        "ownership",
        "device__product_model",
        "is_repeat",
        "channel",
    ]
    search_fields = ["number", "device__serial_number", "customer__email"]
    search_help_text = "RMA number, serial number or customer e-mail (exact)."
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [RMAEventInline, CustodyChangeInline]
    action_kind = "rma"
    change_list_template = "admin/rma/rma/change_list.html"
    bulk_actions = ("authorize", "receive", "assign", "take")
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

    @admin.display(description="unit", ordering="device__serial_number")
    def unit(self, rma: RMA) -> str:
        device = rma.device
        return format_html('{}<br><span class="dx-muted">{}</span>', device.serial_number, device.product_model.sku)

    @admin.display(description="due", ordering="due_at")
    def due(self, rma: RMA) -> str:
        if rma.due_at is None:
            return "—"
        due = timezone.localtime(rma.due_at)
        when = f"{due.day} {due:%b} {due:%H:%M}"
        if rma.is_overdue:
            days = (timezone.now() - rma.due_at).days
            late = f"{days} d late" if days else "late"
            return format_html('<strong class="rma-late">{}</strong><br><span class="dx-muted">{}</span>', late, when)
        return when

    @admin.display(description="who", ordering="assignee__username")
    def assignee_name(self, rma: RMA) -> str:
        return rma.assignee.get_username() if rma.assignee is not None else "—"

    def get_ordering(self, request):
        """A queue is worked oldest due first."""
        if request.GET.get(QueueFilter.parameter_name):
            return ["due_at", "id"]
        return super().get_ordering(request)

    @admin.display(description="opened", ordering="created_at")
    def opened(self, rma: RMA) -> str:
        created = timezone.localtime(rma.created_at)
        return f"{created.day} {created:%b %Y}"

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, rma: RMA) -> str:
        return rma.customer.email if rma.customer else "—"

    @admin.display(description="flags")
    def flags(self, rma: RMA) -> str:
        labels = []
        if rma.is_overdue:
            labels.append(("late", "overdue"))
        if rma.is_repeat:
            labels.append(("warn", "repeat"))
        if rma.ownership == RMA.Ownership.TO_CONFIRM:
            labels.append(("warn", "ownership to confirm"))
        return format_html_join(" ", '<span class="rma-flag rma-flag-{}">{}</span>', labels)

    def changelist_view(self, request, extra_context=None):
        """The work list takes the page's width: the app menu is one click away in the breadcrumbs."""
        mine = selectors.rma_list().filter(selectors.queue_mine_q(request.user)).count()
        unassigned = selectors.rma_list().filter(selectors.queue_unassigned_q(request.user)).count()
        queues = [("mine", "My returns", mine), ("unassigned", "Unassigned at my centre", unassigned)]
        context = {"is_nav_sidebar_enabled": False, "queues": queues, "queue": request.GET.get("queue", "")}
        return super().changelist_view(request, {**context, **(extra_context or {})})

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

    def history_view(self, request, object_id, extra_context=None):
        """The return's history is its timeline: every step from every door, with who took it (by name)."""
        rma = self.get_object(request, object_id)
        if rma is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_view_or_change_permission(request, rma):
            raise PermissionDenied
        events = list(selectors.rma_timeline(rma))
        for event in events:
            found = registry.find("rma", event.action)
            event.label = gettext(found.label) if found else event.action.replace("_", " ").capitalize()
            event.who = person(event.actor) if event.actor_id else event.get_source_display()
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {rma.number}",
            "subtitle": None,
            "events": events,
            "module_name": str(self.model._meta.verbose_name_plural).capitalize(),
            "object": rma,
            "opts": self.model._meta,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/rma/rma/object_history.html", context)

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

    def action_form_kwargs(self, request: HttpRequest, rma: RMA, action: Action) -> dict[str, Any]:
        if action.form is not None and issubclass(action.form, rma_forms.StockPickerForm):
            return {"stock_url": reverse("admin:rma_rma_stock", args=[rma.pk])}
        if action.form is rma_forms.AssignForm:
            return {"staff": selectors.centre_staff(rma.centre)}
        return {}

    def bulk_form_kwargs(self, request: HttpRequest, action: Action, objects: list[RMA]) -> dict[str, Any]:
        """Assigning many: the staff of every centre among them (the service refuses anyone from another)."""
        if action.form is rma_forms.AssignForm:
            centres = {rma.centre for rma in objects}
            staff = selectors.centre_staff(centres.pop()) if len(centres) == 1 else None
            return {"staff": staff}
        return {}

    def get_urls(self):
        return [
            path("receive/", self.admin_site.admin_view(self.receive_scan_view), name="rma_receive_scan"),
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="rma_dashboard"),
            path("<path:object_id>/stock/", self.admin_site.admin_view(self.stock_view), name="rma_rma_stock"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> TemplateResponse:
        """A repair centre's figures for its supervisor (SPEC §13), each a link to the RMA list filtered to it."""
        if not request.user.has_perm(lifecycle.ASSIGN):
            raise PermissionDenied
        centres = list(selectors.centre_list())
        code = request.GET.get("centre", "")
        mine = [centre for centre in centres if request.user in centre.staff.all()]
        centre = next((c for c in centres if c.code == code), None)
        if centre is None and not code and mine:
            centre = mine[0]
        board = selectors.centre_dashboard(centre)
        changelist = reverse("admin:rma_rma_changelist")
        where = f"centre={centre.code}&" if centre is not None else ""

        def link(query: str) -> str:
            return f"{changelist}?{where}{query}"

        weeks = [
            {
                "monday": monday,
                "opened": opened,
                "closed": closed,
                "opened_url": link(f"opened_week={monday.isoformat()}"),
                "closed_url": link(f"closed_week={monday.isoformat()}"),
            }
            for monday, opened, closed in board.weeks
        ]
        month = f"__year={board.today.year}&{{}}__month={board.today.month}"
        by_centre = where
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Dashboard: {centre.name}" if centre else "Dashboard: every centre",
            "board": board,
            "centres": centres,
            "centre": centre,
            "statuses": [(label, count, link(f"status__exact={status}")) for status, label, count in board.by_status],
            "figures": [
                ("Overdue", board.overdue, link("overdue=yes")),
                ("Due today", board.due_today, link("due=today")),
                ("Unassigned", board.unassigned, link("assigned=no")),
                ("Promises kept (shipped in 30 days)", board.promises_kept, link("promise=kept")),
                (
                    "Promises broken (shipped in 30 days)",
                    board.shipped_30_days - board.promises_kept,
                    link("promise=broken"),
                ),
                (
                    "Goodwill replacements this month",
                    board.goodwill_this_month,
                    f"{reverse('admin:rma_goodwillgrant_changelist')}?{by_centre}granted_at"
                    + month.format("granted_at"),
                ),
                (
                    "Compensation granted this month",
                    board.compensations_this_month,
                    f"{reverse('admin:rma_compensation_changelist')}?{by_centre}status__exact=approved"
                    "&decided_at" + month.format("decided_at"),
                ),
            ],
            "weeks": weeks,
        }
        return TemplateResponse(request, "admin/rma/rma/dashboard.html", context)

    def receive_scan_view(self, request: HttpRequest) -> TemplateResponse | HttpResponseRedirect:
        """Receive by scan (SPEC §13): a scanned or typed RMA number receives the return in one step, and the
        screen is ready for the next parcel."""
        receive = registry.get("rma", "receive")
        if not receive.may(request.user):
            raise PermissionDenied
        form = rma_forms.ReceiveScanForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            number = form.cleaned_data["number"]
            try:
                rma = selectors.rma_get_by_number(number)
                rma = services.rma_receive(
                    rma=rma,
                    actor=request.user,
                    source=Source.ADMIN,
                    inbound_tracking=form.cleaned_data.get("inbound_tracking", ""),
                )
            except DomainError as error:
                form.add_error("number", f"{error.message} ({error.code})")
            else:
                url = reverse("admin:rma_rma_change", args=[rma.pk])
                self.message_user(
                    request,
                    format_html('<a href="{}">{}</a> received: {}.', url, rma.number, rma.device.serial_number),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:rma_receive_scan"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Receive by scan",
            "form": form,
        }
        return TemplateResponse(request, "admin/rma/rma/receive_scan.html", context)

    def stock_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """In-stock units of the return's model whose serial starts with ``q``: the stock picker's answer."""
        rma = self.action_object(request, object_id)
        if not self.has_view_permission(request, rma) or not request.user.has_perm("rma.view_device"):
            raise PermissionDenied
        units = selectors.stock_of_model(rma.device.product_model_id, starting=request.GET.get("q", ""))
        results = [
            {
                "serial": unit.serial_number,
                "label": " · ".join(part for part in (unit.lot and f"lot {unit.lot}", unit.firmware_version) if part),
            }
            for unit in units
        ]
        return JsonResponse({"results": results})

    def action_heading(self, rma: RMA) -> str:
        return (
            f"{rma.number} — {rma.get_status_display()}: {lifecycle.CUSTOMER_SENTENCES[rma.status]} "
            f"Cover: {rma.get_coverage_display()} ({rma.coverage_reason}). "
            f"Unit {rma.device.serial_number} ({rma.device.product_model})."
        )

    def action_object(self, request: HttpRequest, object_id: str) -> RMA:
        return get_object_or_404(selectors.rma_list(), pk=object_id)
