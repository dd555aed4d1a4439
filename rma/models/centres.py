"""Repair centres (SPEC §13): where returns are sent and worked on, whose business days count, who works there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from rma.models.units import ProductModel


class RepairCentre(models.Model):
    code = models.CharField(max_length=16, unique=True, help_text="Short and upper-case, e.g. LON.")
    name = models.CharField(max_length=200)
    address = models.TextField(help_text="Printed on return labels: where customers send their units.")
    country = models.CharField(
        max_length=2, help_text="ISO 3166-1 alpha-2 (e.g. GB): its public holidays are not business days."
    )
    subdivision = models.CharField(
        max_length=8, blank=True, help_text="Optional region whose holidays also count (e.g. ENG, BY)."
    )
    time_zone = models.CharField(max_length=64, default="Europe/London", help_text="An IANA name, e.g. Europe/Berlin.")
    is_default = models.BooleanField(default=False, help_text="Receives the returns no routing rule sends elsewhere.")
    service_levels = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'Target per status, overriding the site\'s: e.g. {"submitted": {"business_days": 1}, '
            '"received": {"business_days": 2}}.'
        ),
    )
    turnaround_business_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Business days from receipt to the promised date; empty for the site's."
    )
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="repair_centres")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="centre_one_default"),
            models.CheckConstraint(condition=Q(code=Upper("code")), name="centre_code_upper"),
            models.CheckConstraint(condition=Q(country=Upper("country")), name="centre_country_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RoutingRule(models.Model):
    """Returns from customers in ``country`` (any when empty) for ``product_model`` (any when empty) go to
    ``centre``. The most specific rule wins; among equals, the lowest ``priority``."""

    centre = models.ForeignKey(RepairCentre, on_delete=models.CASCADE, related_name="routing_rules")
    country = models.CharField(max_length=2, blank=True, help_text="The customer's country; empty for any.")
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.CASCADE, null=True, blank=True, related_name="routing_rules"
    )
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower wins among equally specific rules.")

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(country=Upper("country")), name="routing_country_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.country or 'any country'} · {self.product_model or 'any model'} → {self.centre.code}"
