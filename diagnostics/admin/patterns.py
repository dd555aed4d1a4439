"""Failure patterns in the admin, moved through their lifecycle with the buttons of ``diagnostics.actions``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ActionModelAdmin, ReadOnlyInline, person_column
from diagnostics import forms as diagnostics_forms
from diagnostics import selectors, services
from diagnostics.models import (
    Advisory,
    FailurePattern,
    PatternEvent,
    RootCauseCase,
)
from diagnostics.patterns import EDITABLE_FIELDS
from rma.models import Source


class PatternEventInline(ReadOnlyInline):
    model = PatternEvent
    verbose_name = "history entry"
    verbose_name_plural = "history"
    fields = ["created_at", "action", "status_change", "actor_name", "source", "reason", "details"]
    readonly_fields = ["created_at", "action", "status_change", "actor_name", "source", "reason", "details"]
    actor_name = person_column("actor")
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
class FailurePatternAdmin(ActionModelAdmin):
    action_kind = "pattern"
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

    @admin.display(description="samples wanted")
    def wanted(self, pattern):
        """Said as the pattern's page says it: the samples still wanted after the units already retained."""
        if not pattern.samples_wanted:
            return "—"
        still = max(pattern.samples_wanted - getattr(pattern, "retained_count", 0), 0)
        return f"{still} more" if still else "no more"

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

    def page_panels(self, request, pattern):
        if not request.user.has_perm("diagnostics.add_advisory"):
            return []
        open_cases = RootCauseCase.objects.filter(pattern=pattern, status=RootCauseCase.Status.OPEN).count()
        body = render_to_string(
            "admin/diagnostics/tell_customers.html", {"pattern": pattern, "open_cases": open_cases}, request=request
        )
        return [{"title": "Tell customers", "body": body}]

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
