"""Repair centres in the admin (SPEC §13): address, calendar, service levels, staff and routing rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model

from core.exceptions import DomainError
from rma import services
from rma.models import RepairCentre, RoutingRule


class RepairCentreForm(forms.ModelForm):
    class Meta:
        model = RepairCentre
        fields = [
            "code",
            "name",
            "address",
            "is_default",
            "country",
            "subdivision",
            "time_zone",
            "service_levels",
            "turnaround_business_days",
            "staff",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = self.fields.get("staff")
        if isinstance(staff, forms.ModelMultipleChoiceField):
            staff.queryset = get_user_model().objects.filter(is_staff=True).order_by("username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("code", "country", "subdivision"):
            if data.get(name):
                data[name] = data[name].strip().upper()
        if data.get("country") and data.get("time_zone"):
            try:
                services.centre_check(
                    country=data["country"], subdivision=data.get("subdivision", ""), time_zone=data["time_zone"]
                )
            except DomainError as error:
                self.add_error(error.field if error.field in self.fields else None, f"{error.message} ({error.code})")
        levels = data.get("service_levels") or {}
        if not isinstance(levels, dict) or any(
            not isinstance(level, dict) or not set(level) <= {"business_days", "days", "hours"}
            for level in levels.values()
        ):
            self.add_error("service_levels", 'Write one target per status, e.g. {"received": {"business_days": 2}}.')
        return data


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["country", "product_model", "priority"]

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    form = RoutingRuleForm
    extra = 0
    autocomplete_fields = ["product_model"]
    verbose_name_plural = "routing rules: returns sent here"


@admin.register(RepairCentre)
class RepairCentreAdmin(admin.ModelAdmin):
    form = RepairCentreForm
    list_display = ["code", "name", "country", "time_zone", "is_default", "staff_count"]
    search_fields = ["code", "name"]
    filter_horizontal = ["staff"]
    inlines = [RoutingRuleInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "address", "is_default"]}),
        ("Calendar", {"fields": ["country", "subdivision", "time_zone"]}),
        ("Service levels", {"fields": ["service_levels", "turnaround_business_days"]}),
        ("Staff", {"fields": ["staff"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("staff")

    @admin.display(description="staff")
    def staff_count(self, centre: RepairCentre) -> int:
        return len(centre.staff.all())

    def has_delete_permission(self, request, obj=None):
        return False  # returns keep their centre


def centre_filter(path: str) -> type[admin.SimpleListFilter]:
    """A list filter by repair centre code (``?centre=LON``) for rows whose centre is at ``path``."""

    class CentreFilter(admin.SimpleListFilter):
        title = "repair centre"
        parameter_name = "centre"

        def lookups(self, request, model_admin):
            return list(RepairCentre.objects.order_by("code").values_list("code", "name"))

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{f"{path}__code": self.value()})
            return queryset

    return CentreFilter
