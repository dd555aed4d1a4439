"""Advisories in the admin: written on a pattern, published, owners e-mailed, withdrawn."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from core.admin import ActionModelAdmin
from diagnostics import advisories, services
from diagnostics import forms as diagnostics_forms
from diagnostics.admin.patterns import plural
from diagnostics.models import (
    Advisory,
    FailurePattern,
)


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
class AdvisoryAdmin(ActionModelAdmin):
    action_kind = "advisory"
    form = diagnostics_forms.AdvisoryForm
    list_display = ["title", "pattern", "state", "model_skus", "published_at", "withdrawn_at", "owners_notified_at"]
    list_select_related = ["pattern"]
    list_filter = [AdvisoryStateFilter, ("pattern", admin.RelatedOnlyFieldListFilter), "affected_models"]
    search_fields = ["title", "=pattern__code"]
    filter_horizontal = ["affected_models"]
    autocomplete_fields = ["pattern"]

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
