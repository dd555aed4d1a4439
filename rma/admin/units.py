"""Units, product models and customers in the admin; writes go through the services."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyInline
from rma import forms as rma_forms
from rma import selectors, services
from rma.models import RMA, Customer, Device, ProductModel
from rma.normalise import normalise_email, serial_or_none


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


class InStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("in", "In stock"), ("out", "In service")]

    def queryset(self, request, queryset):
        if self.value() == "in":
            return queryset.filter(selectors.in_stock_q())
        if self.value() == "out":
            return queryset.exclude(selectors.in_stock_q())
        return queryset


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
    list_filter = [InStockFilter, "product_model"]
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
