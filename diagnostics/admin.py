"""Diagnostics in the admin: the RMA admin extended with diagnosis entry (with pattern suggestions),
goodwill and retention; and the engineers' pages for failure patterns, root-cause cases and advisories.

Status changes and case work go through buttons that call the services; nothing here assigns a status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.exceptions import DomainError
from diagnostics import advisories, fault_signals, lifecycle, matching, selectors, services
from diagnostics import forms as diagnostics_forms
from diagnostics.downloads import attachment_url
from diagnostics.models import (
    Advisory,
    CaseAttachment,
    Component,
    Diagnosis,
    DiagnosisAttachment,
    FailurePattern,
    FaultSignal,
    PatternEvent,
    RootCauseCase,
)
from diagnostics.patterns import EDITABLE_FIELDS
from rma.admin import RMA_ADMIN_ACTIONS, AdminAction, ReadOnlyInline
from rma.admin import RMAAdmin as BaseRMAAdmin
from rma.models import RMA, Source

DIAGNOSTICS_ADMIN_ACTIONS = [
    AdminAction(
        "record_diagnosis",
        diagnostics_forms.DiagnosisForm,
        lambda rma, user, data: services.diagnosis_record(rma=rma, actor=user, source=Source.ADMIN, **data).rma,
        refresh_label="Suggest patterns",
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


def _suggestion_inputs(rma: RMA, form: forms.Form) -> tuple[str, Component | None, str, str]:
    """What to rank patterns for: what the technician typed, else the latest diagnosis, else the customer's words."""
    values = form.data if form.is_bound else form.initial
    symptoms = str(values.get("symptoms") or "").strip()
    component_id = str(values.get("component") or "").strip()
    component = Component.objects.filter(pk=component_id).first() if component_id.isdigit() else None
    source = "the symptoms typed"
    if not symptoms:
        latest = selectors.latest_diagnosis(rma.pk)
        if latest is not None and latest.symptoms:
            symptoms, source = latest.symptoms, "the last diagnosis"
            component = component or latest.component
        else:
            symptoms, source = rma.fault_description, "the customer's description"
    return symptoms, component, source, str(values.get("pattern") or "")


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
                    "body": format_html(
                        '<a href="{}">Root-cause case</a> {}{}. The unit can never be shipped back; it can be '
                        "scrapped once the case is closed.",
                        reverse("admin:diagnostics_rootcausecase_change", args=[case.pk]),
                        case.get_status_display().lower(),
                        f", engineer {case.engineer}" if case.engineer else ", not yet assigned",
                    ),
                    "tone": "info",
                }
            )
        history = selectors.device_history(rma)
        if history:
            repeat = " — this is a repeat failure" if rma.is_repeat else ""
            panels.append(
                {
                    "title": f"Earlier returns of this unit ({len(history)}){repeat}",
                    "body": render_to_string(
                        "admin/diagnostics/device_history.html", {"history": history, "rma": rma}, request=request
                    ),
                    "tone": "warn" if rma.is_repeat else "info",
                }
            )
        return panels

    def action_form_kwargs(self, action, rma, request=None):
        kwargs = super().action_form_kwargs(action, rma, request=request)
        if action.name != "record_diagnosis" or request is None:
            return kwargs
        initial: dict[str, Any] = {}
        if request.method == "GET":
            # pre-filled from a link: ?pattern=FP-0012 (or its id), &component=, &symptoms=
            for name in ("component", "symptoms"):
                if request.GET.get(name):
                    initial[name] = request.GET[name]
            chosen = request.GET.get("pattern", "").strip()
            if chosen:
                pattern = FailurePattern.objects.filter(
                    **({"pk": chosen} if chosen.isdigit() else {"code": chosen.upper()})
                ).first()
                if pattern is not None:
                    initial.update(pattern=pattern.pk, component=pattern.component_id)
        use = request.POST.get("_refresh", "") if request.method == "POST" else ""
        if use.startswith("use:") and use[4:].isdigit():
            pattern = FailurePattern.objects.filter(pk=use[4:]).first()
            if pattern is not None:
                initial.update(pattern=pattern.pk, component=pattern.component_id)
        if "pattern" in initial and not request.POST.get("pattern_match"):
            initial["pattern_match"] = Diagnosis.PatternMatch.CONFIRMED
        return {**kwargs, "initial": {**kwargs.get("initial", {}), **initial}}

    def action_form_panels(self, request, rma, action, form):
        panels = super().action_form_panels(request, rma, action, form)
        if action.name != "record_diagnosis":
            return panels
        symptoms, component, source, chosen = _suggestion_inputs(rma, form)
        suggestions = matching.pattern_suggestions(
            product_model=rma.device.product_model, component=component, symptoms=symptoms, limit=5
        )
        rows = [{**s.__dict__, "percent": round(s.score * 100)} for s in suggestions]
        panels.append(
            {
                "title": "Likely failure patterns",
                "body": render_to_string(
                    "admin/diagnostics/suggestions.html",
                    {
                        "suggestions": rows,
                        "source": source,
                        "component": component,
                        "product_model": rma.device.product_model,
                        "chosen": chosen,
                    },
                    request=request,
                ),
            }
        )
        return panels


admin.site.unregister(RMA)
admin.site.register(RMA, RMAAdmin)


# Buttons on engineers' pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectAction:
    """A button on a change page: its form, the permission it needs, and the service call it makes."""

    name: str
    label: str
    form: type[forms.Form]
    perform: Callable[[Any, Any, forms.Form], Any]
    permission: str
    offer: Callable[[Any], bool] = lambda obj: True
    style: str = "default"
    intro: str = ""


class ObjectActionsAdmin(admin.ModelAdmin):
    """A model admin whose change page carries action buttons, each a form that calls a service."""

    object_actions: list[ObjectAction] = []
    change_form_template = "admin/diagnostics/change_form.html"
    change_list_template = "admin/diagnostics/change_list.html"

    def get_object_actions(self, obj) -> list[ObjectAction]:
        return self.object_actions

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_do"
        return [
            path(
                "<path:object_id>/do/<str:action_name>/", self.admin_site.admin_view(self.object_action_view), name=name
            ),
            *super().get_urls(),
        ]

    def object_panels(self, request: HttpRequest, obj) -> list[dict[str, Any]]:
        return []

    def object_buttons(self, request: HttpRequest, obj) -> list[dict[str, str]]:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_do"
        return [
            {"label": action.label, "url": reverse(name, args=[obj.pk, action.name]), "style": action.style}
            for action in self.get_object_actions(obj)
            if request.user.has_perm(action.permission) and action.offer(obj)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["object_buttons"] = self.object_buttons(request, obj)
            extra_context["object_panels"] = self.object_panels(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def object_action_form_kwargs(self, action: ObjectAction, obj) -> dict[str, Any]:
        return {}

    def object_action_view(self, request: HttpRequest, object_id: str, action_name: str) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        action = next((a for a in self.get_object_actions(obj) if a.name == action_name), None)
        if action is None or not request.user.has_perm(action.permission):
            raise PermissionDenied
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        data = request.POST if request.method == "POST" else None
        form = action.form(data, request.FILES or None, **self.object_action_form_kwargs(action, obj))
        if data is not None and form.is_valid():
            try:
                action.perform(obj, request.user, form)
            except DomainError as error:
                if error.field and error.field in form.fields:
                    form.add_error(error.field, error.message)
                else:
                    form.add_error(None, f"{error.message} ({error.code})")
            else:
                self.message_user(request, f"Done: {action.label.lower()} ({obj}).", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{action.label}: {obj}",
            "object": obj,
            "action": action,
            "form": form,
            "intro": action.intro,
            "object_panels": self.object_panels(request, obj) if action.name == "notify_owners" else [],
            "change_url": change_url,
            "changelist_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
        }
        return TemplateResponse(request, "admin/diagnostics/object_action.html", context)


# Components and diagnoses --------------------------------------------------------------------------------


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
class DiagnosisAdmin(ObjectActionsAdmin):
    object_actions = [
        ObjectAction(
            "attach",
            "Attach a file",
            diagnostics_forms.DiagnosisAttachForm,
            lambda diagnosis, user, form: services.diagnosis_attach(
                diagnosis=diagnosis, actor=user, file=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
            ),
            "diagnostics.add_diagnosisattachment",
        ),
    ]
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
    readonly_fields = ["rma", "component", "outcome", "pattern", "pattern_match", "technician", "created_at"]

    def has_add_permission(self, request):
        return False  # diagnoses are entered on their RMA

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="repeat", boolean=True)
    def repeat(self, diagnosis: Diagnosis) -> bool:
        return diagnosis.rma.is_repeat


# Failure patterns ----------------------------------------------------------------------------------------


def _transition(name: str) -> ObjectAction:
    spec = lifecycle.ACTIONS[name]

    def perform(pattern, user, form):
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "") or ""
        samples = data.pop("samples_wanted", None)
        fields = {key: value for key, value in data.items() if value not in (None, "") or getattr(pattern, key)}
        return services.pattern_transition(
            pattern=pattern,
            action=name,
            actor=user,
            source=Source.ADMIN,
            reason=reason,
            samples_wanted=samples,
            **fields,
        )

    return ObjectAction(
        name=name,
        label=spec.label,
        form=diagnostics_forms.transition_form(spec),
        perform=perform,
        permission="diagnostics.manage_pattern",
        offer=lambda pattern: lifecycle.action_allowed_from(spec, pattern.status),
        style=spec.style,
    )


class PatternEventInline(ReadOnlyInline):
    model = PatternEvent
    verbose_name = "history entry"
    verbose_name_plural = "history"
    fields = ["created_at", "action", "status_change", "actor", "source", "reason", "details"]
    readonly_fields = ["created_at", "action", "status_change", "actor", "source", "reason", "details"]
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="status")
    def status_change(self, event: PatternEvent) -> str:
        return f"{event.from_status or '·'} → {event.to_status}" if event.to_status else ""

    @admin.display(description="details")
    def details(self, event: PatternEvent) -> str:
        def shown(value: Any) -> str:
            if isinstance(value, list):
                return ", ".join(str(item) for item in value)
            if isinstance(value, dict):
                return " → ".join(str(item) for item in value.values())
            return str(value)

        return "; ".join(f"{key.replace('_', ' ')}: {shown(value)}" for key, value in event.data.items())


class AdvisoryInline(ReadOnlyInline):
    model = Advisory
    fields = ["title_link", "state", "published_at", "withdrawn_at"]
    readonly_fields = ["title_link", "state", "published_at", "withdrawn_at"]
    verbose_name_plural = "advisories"

    @admin.display(description="advisory")
    def title_link(self, advisory: Advisory) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:diagnostics_advisory_change", args=[advisory.pk]), advisory.title
        )


class StatusFilter(admin.SimpleListFilter):
    """Open patterns by default; "all" shows the closed ones too."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Not closed"), *FailurePattern.Status.choices, ("all", "All")]

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.exclude(status=FailurePattern.Status.CLOSED)
        if value == "all":
            return queryset
        return queryset.filter(status=value)


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def status_badge(status: str, label: str) -> str:
    return format_html('<span class="dx-badge dx-badge-{}">{}</span>', status, label)


@admin.register(FailurePattern)
class FailurePatternAdmin(ObjectActionsAdmin):
    form = diagnostics_forms.FailurePatternForm
    list_display = [
        "name",
        "component",
        "status_badge",
        "wanted",
        "diagnosis_count",
        "retained_count",
        "repeat_count",
    ]
    list_display_links = ["name"]
    list_filter = [StatusFilter, "component", "affected_models", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "title", "symptoms"]
    autocomplete_fields = ["component"]
    filter_horizontal = ["affected_models"]
    list_per_page = 50
    inlines = [PatternEventInline, AdvisoryInline]
    object_actions = [_transition(name) for name in lifecycle.ACTIONS]
    readonly_fields = ["status_line", "counts"]
    fieldsets = [
        (None, {"fields": ["code", "title", "status_line", "counts", "component", "symptoms", "owner"]}),
        ("Scope", {"fields": ["affected_models", "affected_lots", "affected_firmware", "samples_wanted"]}),
        (
            "Root cause and fix",
            {
                "fields": [
                    "root_cause",
                    "public_summary",
                    "corrective_action",
                    "effectivity",
                    "effective_from_lot",
                    "effective_from_firmware",
                    "effective_from_date",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return selectors.patterns_with_counts()

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new pattern starts as new: no status or counts yet
            return [(None, {"fields": ["code", "title", "component", "symptoms", "owner"]}), *self.fieldsets[1:2]]
        return self.fieldsets

    @admin.display(description="pattern", ordering="code")
    def name(self, pattern: FailurePattern) -> str:
        return format_html("<strong>{}</strong> {}", pattern.code, pattern.title)

    @admin.display(description="status", ordering="status")
    def status_badge(self, pattern: FailurePattern) -> str:
        return status_badge(pattern.status, pattern.get_status_display())

    @admin.display(description="diagnoses", ordering="diagnosis_count")
    def diagnosis_count(self, pattern):
        return pattern.diagnosis_count

    @admin.display(description="retained", ordering="retained_count")
    def retained_count(self, pattern):
        return pattern.retained_count

    @admin.display(description="repeats", ordering="repeat_count")
    def repeat_count(self, pattern):
        return pattern.repeat_count

    @admin.display(description="last seen", ordering="last_diagnosed_at")
    def last_diagnosed_at(self, pattern):
        seen = pattern.last_diagnosed_at
        return timezone.localtime(seen).strftime("%d %b %Y") if seen else "—"

    @admin.display(description="wanted", ordering="samples_wanted")
    def wanted(self, pattern):
        return pattern.samples_wanted or "—"

    @admin.display(description="status")
    def status_line(self, pattern: FailurePattern) -> str:
        if pattern.pk is None:
            return "New"
        return format_html(
            "{} since {}. Status changes only with the buttons above; each is kept in the history below.",
            status_badge(pattern.status, pattern.get_status_display()),
            timezone.localtime(pattern.status_changed_at).strftime("%d %b %Y"),
        )

    @admin.display(description="counts")
    def counts(self, pattern: FailurePattern) -> str:
        if pattern.pk is None:
            return "—"
        still = selectors.pattern_samples_still_wanted(pattern)
        seen = getattr(pattern, "last_diagnosed_at", None)
        return format_html(
            '<a href="{}?pattern__id__exact={}">{}</a>{}, {} retained for analysis, {}; {}',
            reverse("admin:diagnostics_diagnosis_changelist"),
            pattern.pk,
            plural(getattr(pattern, "diagnosis_count", 0), "diagnosis", "diagnoses"),
            f" (the last on {timezone.localtime(seen):%d %b %Y})" if seen else "",
            plural(getattr(pattern, "retained_count", 0), "unit"),
            plural(getattr(pattern, "repeat_count", 0), "repeat failure"),
            f"wants {plural(still, 'more sample')}" if still else "wants no more samples",
        )

    def object_panels(self, request, pattern):
        panels = []
        open_cases = RootCauseCase.objects.filter(pattern=pattern, status=RootCauseCase.Status.OPEN).count()
        if request.user.has_perm("diagnostics.add_advisory"):
            panels.append(
                {
                    "title": "Tell customers",
                    "body": format_html(
                        '<a href="{}?pattern={}">Write an advisory</a> for the units this pattern affects: it shows on '
                        "their returns' status pages once published, and their owners can be e-mailed.{}",
                        reverse("admin:diagnostics_advisory_add"),
                        pattern.pk,
                        f" {open_cases} open root-cause case{'s' if open_cases != 1 else ''} link this pattern."
                        if open_cases
                        else "",
                    ),
                }
            )
        return panels

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        if change:
            saved = services.pattern_edit(pattern=obj, actor=request.user, source=Source.ADMIN, **fields)
        else:
            data = {name: value for name, value in form.cleaned_data.items() if name in EDITABLE_FIELDS}
            saved = services.pattern_create(
                code=form.cleaned_data.get("code") or "",
                actor=request.user,
                source=Source.ADMIN,
                **data,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The service saved the affected models; the inlines (history, advisories) are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False


# Root-cause cases --------------------------------------------------------------------------------------


class CaseAttachmentInline(ReadOnlyInline):
    model = CaseAttachment
    fields = ["uploaded_at", "kind", "link", "size_kb", "uploaded_by"]
    readonly_fields = ["uploaded_at", "kind", "link", "size_kb", "uploaded_by"]
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


def _close(case, user, form):
    return services.rca_case_close(case=case, actor=user, source=Source.ADMIN, **form.service_kwargs())


def _case_open(case) -> bool:
    return case.status == RootCauseCase.Status.OPEN


@admin.register(RootCauseCase)
class RootCauseCaseAdmin(ObjectActionsAdmin):
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
    object_actions = [
        ObjectAction(
            "assign",
            "Assign",
            diagnostics_forms.CaseAssignForm,
            lambda case, user, form: services.rca_case_assign(
                case=case, actor=user, engineer=form.cleaned_data["engineer"]
            ),
            CASE_WORK,
            offer=_case_open,
        ),
        ObjectAction(
            "add_findings",
            "Add findings",
            diagnostics_forms.CaseFindingsForm,
            lambda case, user, form: services.rca_case_add_findings(
                case=case, actor=user, text=form.cleaned_data["text"]
            ),
            CASE_WORK,
            offer=_case_open,
        ),
        ObjectAction(
            "attach",
            "Attach a file",
            diagnostics_forms.CaseAttachForm,
            lambda case, user, form: services.rca_case_attach(
                case=case, actor=user, file=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
            ),
            CASE_WORK,
            offer=_case_open,
        ),
        ObjectAction(
            "close",
            "Close with conclusion",
            diagnostics_forms.CaseCloseForm,
            _close,
            CASE_WORK,
            offer=_case_open,
            intro="Closing the case records what engineering concluded and lets the unit be scrapped.",
        ),
    ]

    def get_queryset(self, request):
        return selectors.rca_case_queue(status="")

    def has_add_permission(self, request):
        return False  # opened automatically for every retained unit

    def has_change_permission(self, request, obj=None):
        return False  # worked with the buttons, which call the services

    def has_delete_permission(self, request, obj=None):
        return False

    def object_action_form_kwargs(self, action, case):
        if action.name == "assign":
            return {"initial": {"engineer": case.engineer_id}}
        if action.name == "close":
            latest = selectors.latest_diagnosis(case.rma_id)
            initial: dict[str, Any] = {"pattern": case.pattern_id or (latest.pattern_id if latest else None)}
            if latest is not None:
                initial.update(new_component=latest.component_id, new_symptoms=latest.symptoms)
            if not initial["pattern"]:
                initial["outcome"] = diagnostics_forms.CaseCloseForm.CREATE
            return {"initial": initial}
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

    def object_panels(self, request, case):
        diagnoses = list(case.rma.diagnoses.select_related("component", "pattern").order_by("created_at"))
        if not diagnoses:
            return []
        rows = format_html_join(
            "",
            "<li>{}: {}, {}{} — {}</li>",
            (
                (
                    timezone.localtime(d.created_at).strftime("%d %b %Y"),
                    d.component.name,
                    d.get_outcome_display().lower(),
                    f", {d.pattern.code}" if d.pattern else "",
                    d.symptoms or "no symptoms written",
                )
                for d in diagnoses
            ),
        )
        return [
            {
                "title": "What the repair centre found",
                "body": format_html(
                    '<ul style="margin:0">{}</ul><p><a href="{}">Return {}</a>: “{}”</p>',
                    rows,
                    reverse("admin:rma_rma_change", args=[case.rma_id]),
                    case.rma.number,
                    case.rma.fault_description,
                ),
            }
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Root-cause cases, oldest first"}
        return super().changelist_view(request, extra_context)


# Advisories --------------------------------------------------------------------------------------------


class AdvisoryStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("published", "Published"), ("withdrawn", "Withdrawn")]

    def queryset(self, request, queryset):
        if self.value() == "draft":
            return queryset.filter(published_at__isnull=True)
        if self.value() == "published":
            return queryset.filter(published_at__isnull=False, withdrawn_at__isnull=True)
        if self.value() == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


@admin.register(Advisory)
class AdvisoryAdmin(ObjectActionsAdmin):
    MANAGE = "diagnostics.change_advisory"

    form = diagnostics_forms.AdvisoryForm
    list_display = ["title", "pattern", "state", "model_skus", "published_at", "withdrawn_at", "owners_notified_at"]
    list_select_related = ["pattern"]
    list_filter = [AdvisoryStateFilter, ("pattern", admin.RelatedOnlyFieldListFilter), "affected_models"]
    search_fields = ["title", "=pattern__code"]
    filter_horizontal = ["affected_models"]
    autocomplete_fields = ["pattern"]
    object_actions = [
        ObjectAction(
            "publish",
            "Publish",
            forms.Form,
            lambda advisory, user, form: services.advisory_publish(advisory=advisory, actor=user),
            MANAGE,
            offer=lambda advisory: advisory.published_at is None,
            intro="Once published, the advisory shows on the status page of every return whose unit it affects. "
            "It cannot be edited after that, only withdrawn.",
        ),
        ObjectAction(
            "notify_owners",
            "E-mail owners of affected units",
            forms.Form,
            lambda advisory, user, form: services.advisory_notify_owners(advisory=advisory, actor=user),
            MANAGE,
            offer=lambda advisory: advisory.is_live,
            intro="Each owner of an affected unit in service gets one e-mail with the advisory, sent in the "
            "background. Owners already e-mailed about it are not e-mailed again.",
        ),
        ObjectAction(
            "withdraw",
            "Withdraw",
            diagnostics_forms.WithdrawForm,
            lambda advisory, user, form: services.advisory_withdraw(
                advisory=advisory, actor=user, reason=form.cleaned_data["reason"]
            ),
            MANAGE,
            offer=lambda advisory: advisory.is_live,
            style="danger",
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("affected_models")

    def get_readonly_fields(self, request, obj=None):
        return ["state_line", "lots_line", "firmware_line"]

    def get_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return ["pattern", "title", "body", "affected_models", "lots_line", "firmware_line", "state_line"]
        fields = ["pattern", "title", "body", "affected_models", "affected_lots", "affected_firmware"]
        return [*fields, "state_line"] if obj is not None else fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return False  # not rewritten under its readers: withdraw it and publish a new one
        return super().has_change_permission(request, obj)

    @admin.display(description="affected lots")
    def lots_line(self, advisory: Advisory) -> str:
        return ", ".join(advisory.affected_lots) or "every lot"

    @admin.display(description="affected firmware")
    def firmware_line(self, advisory: Advisory) -> str:
        return ", ".join(advisory.affected_firmware) or "every version"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        pattern = FailurePattern.objects.filter(pk=request.GET.get("pattern") or 0).first()
        if pattern is not None:
            initial.update(
                pattern=pattern.pk,
                affected_models=list(pattern.affected_models.values_list("pk", flat=True)),
                affected_lots=pattern.affected_lots,
                affected_firmware=pattern.affected_firmware,
                body=pattern.public_summary,
            )
        return initial

    @admin.display(description="state")
    def state(self, advisory: Advisory) -> str:
        return advisory.state

    @admin.display(description="models")
    def model_skus(self, advisory: Advisory) -> str:
        return ", ".join(model.sku for model in advisory.affected_models.all())

    @admin.display(description="state")
    def state_line(self, advisory: Advisory) -> str:
        if advisory.pk is None:
            return "Draft"
        owners = advisories.advisory_owner_count(advisory)
        notified = advisories.advisory_owners_notified(advisory)
        when = {
            "draft": "Draft: customers do not see it yet.",
            "published": f"Published {timezone.localtime(advisory.published_at):%d %b %Y %H:%M}"
            if advisory.published_at
            else "",
            "withdrawn": f"Withdrawn {timezone.localtime(advisory.withdrawn_at):%d %b %Y}"
            if advisory.withdrawn_at
            else "",
        }[advisory.state]
        return f"{when}. {plural(owners, 'owner')} of affected units in service; {notified} e-mailed.".replace(
            "..", "."
        )

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            saved = services.advisory_update(advisory=obj, actor=request.user, **data)
        else:
            pattern = data.pop("pattern")
            saved = services.advisory_create(pattern=pattern, actor=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the service set the affected models
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.published_at is None and super().has_delete_permission(request, obj)


# Fault signals ---------------------------------------------------------------------------------------------


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
class FaultSignalAdmin(ObjectActionsAdmin):
    MANAGE = fault_signals.MANAGE_SIGNALS

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
    object_actions = [
        ObjectAction(
            "acknowledge",
            "Acknowledge",
            diagnostics_forms.SignalNoteForm,
            lambda signal, user, form: fault_signals.fault_signal_acknowledge(
                signal=signal, actor=user, note=form.cleaned_data["note"]
            ),
            MANAGE,
            offer=lambda signal: "acknowledge" in fault_signals.fault_signal_actions(signal),
            intro="You have seen the signal and are looking into it.",
        ),
        ObjectAction(
            "link",
            "Link to a pattern",
            diagnostics_forms.SignalLinkForm,
            lambda signal, user, form: fault_signals.fault_signal_link(
                signal=signal, actor=user, pattern=form.cleaned_data["pattern"], note=form.cleaned_data["note"]
            ),
            MANAGE,
            offer=lambda signal: "link" in fault_signals.fault_signal_actions(signal),
            intro="The failures behind the signal are this pattern; the pattern's history records the link.",
        ),
        ObjectAction(
            "dismiss",
            "Dismiss",
            diagnostics_forms.SignalDismissForm,
            lambda signal, user, form: fault_signals.fault_signal_dismiss(
                signal=signal, actor=user, reason=form.cleaned_data["reason"]
            ),
            MANAGE,
            offer=lambda signal: "dismiss" in fault_signals.fault_signal_actions(signal),
            style="danger",
            intro="Not a fault. The cell is not raised again; later scans keep its figures up to date.",
        ),
    ]

    def object_action_form_kwargs(self, action, signal):
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
