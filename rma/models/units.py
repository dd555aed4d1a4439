"""Product models, customers and devices: the installed base."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim, Upper
from django.utils import timezone


class ProductModel(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=100, blank=True)
    warranty_months = models.PositiveSmallIntegerField(default=12)
    goodwill_window_months = models.PositiveSmallIntegerField(
        default=6, help_text="How long after warranty expiry a goodwill replacement may still be granted."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["sku"]
        verbose_name = "product model"

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


# The address an erased customer's record keeps (``rma.services.erasure``): a reserved domain that
# no mail reaches. It is predictable, so nothing may treat it as a secret: look-ups refuse it.
ERASED_EMAIL_DOMAIN = "erased.invalid"


class Customer(models.Model):
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(unique=True, help_text="Stored lower-case.")
    phone = models.CharField(max_length=40, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    language = models.CharField(
        max_length=10,
        blank=True,
        db_default="",  # as country: the PostgreSQL device import's COPY names its own columns
        help_text="The language of their pages and e-mails, one of LANGUAGES (SPEC §14); blank: the site's default.",
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        db_default="",  # the PostgreSQL device import inserts customers by COPY, naming its own columns
        help_text="ISO 3166-1 alpha-2, upper-case; routes the returns (SPEC §13).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(condition=Q(email=Lower(Trim("email"))), name="customer_email_normalised"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def is_erased(self) -> bool:
        return is_erased_email(self.email)


def is_erased_email(email: str) -> bool:
    """Whether ``email`` is the placeholder of an erased customer."""
    return email.endswith(f"@{ERASED_EMAIL_DOMAIN}")


class Device(models.Model):
    """One unit. Devices with a ship date form the installed base."""

    # Unique through a constraint rather than ``unique=True``: on PostgreSQL that spares the extra
    # pattern-ops index, which only LIKE searches would use (lookups are exact on the normalised serial).
    serial_number = models.CharField(max_length=64, help_text="Stored trimmed and upper-case.")
    # Not indexed on its own: the (product_model, …) indexes below serve lookups by model.
    product_model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="devices", db_index=False)
    lot = models.CharField(max_length=64, blank=True)
    manufactured_on = models.DateField(null=True, blank=True)
    shipped_on = models.DateField(null=True, blank=True, help_text="Empty while the unit is in stock.")
    firmware_version = models.CharField(max_length=64, blank=True)
    owner = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="devices")
    purchased_on = models.DateField(null=True, blank=True)
    warranty_extension_months = models.PositiveSmallIntegerField(default=0)
    warranty_ends_on = models.DateField(
        null=True, blank=True, editable=False, help_text="Derived from the warranty start and the model."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["serial_number"], name="device_serial_unique"),
            models.CheckConstraint(
                condition=Q(serial_number=Upper(Trim("serial_number"))) & ~Q(serial_number=""),
                name="device_serial_normalised",
            ),
        ]
        indexes = [
            models.Index(fields=["product_model", "lot"], name="device_model_lot_idx"),
            models.Index(fields=["product_model", "firmware_version"], name="device_model_fw_idx"),
            models.Index(fields=["product_model", "shipped_on"], name="device_model_shipped_idx"),
        ]

    def __str__(self) -> str:
        return self.serial_number

    @property
    def warranty_starts_on(self):
        return self.purchased_on or self.shipped_on
