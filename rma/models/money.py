"""What a return cost or gave: compensation, refunds, and how a customer answered a quote."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Trim, Upper
from django.utils import timezone

from rma.models.returns import RMA
from rma.models.units import Customer, Device


class CompensationKind(models.TextChoices):
    NONE = "none", "No compensation"
    EXTENDED_WARRANTY = "extended_warranty", "Extended warranty"
    SERVICE_CREDIT = "service_credit", "Service credit"


class CompensationStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested, waiting for a supervisor"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class Compensation(models.Model):
    """Compensation in proportion to the harm: suggested by the policy, decided by a supervisor."""

    Kind = CompensationKind
    Status = CompensationStatus
    DECIDED = (CompensationStatus.APPROVED, CompensationStatus.DECLINED)

    rma = models.OneToOneField(RMA, on_delete=models.PROTECT, related_name="compensation")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="compensations"
    )
    status = models.CharField(max_length=12, choices=CompensationStatus.choices, default=CompensationStatus.SUGGESTED)
    days_late = models.PositiveIntegerField(default=0)
    repeat_failure = models.BooleanField(default=False)
    suggested_kind = models.CharField(max_length=20, choices=CompensationKind.choices, default=CompensationKind.NONE)
    suggested_months = models.PositiveSmallIntegerField(default=0)
    suggested_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    suggested_reason = models.TextField(blank=True)
    suggested_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(
        "approved kind", max_length=20, choices=CompensationKind.choices, default=CompensationKind.NONE
    )
    months = models.PositiveSmallIntegerField("approved months", default=0)
    amount = models.DecimalField("approved amount", max_digits=10, decimal_places=2, default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The unit whose warranty was extended.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rma"], name="compensation_one_per_rma"),
            models.CheckConstraint(condition=Q(status__in=CompensationStatus.values), name="compensation_status_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=CompensationKind.values) & Q(suggested_kind__in=CompensationKind.values),
                name="compensation_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="suggested")
                | (Q(approved_by__isnull=False) & Q(decided_at__isnull=False) & ~Q(approval_reason="")),
                name="compensation_decision_has_approver_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | ~Q(kind="none"), name="compensation_approved_has_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"Compensation for {self.rma_id} ({self.status})"

    @property
    def is_granted(self) -> bool:
        return self.status == CompensationStatus.APPROVED and self.kind != CompensationKind.NONE


class RefundMethod(models.TextChoices):
    ORIGINAL_PAYMENT = "original_payment", "Original payment method"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    STORE_CREDIT = "store_credit", "Store credit"


class Refund(models.Model):
    """Money given back instead of a repaired or replaced unit; the failed unit stays with the repair centre."""

    Method = RefundMethod

    rma = models.OneToOneField(RMA, on_delete=models.PROTECT, related_name="refund")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR.")
    method = models.CharField(max_length=20, choices=RefundMethod.choices)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(help_text="The approver's reason.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rma"], name="refund_one_per_rma"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=RefundMethod.values), name="refund_method_valid"),
            models.CheckConstraint(condition=Q(currency=Upper(Trim("currency"))), name="refund_currency_upper"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} {self.currency} for {self.rma_id}"


class QuoteAnswerChannel(models.TextChoices):
    """How the customer answered a repair quote (kept on the timeline event)."""

    PAGE = "page", "On their status page"
    PHONE = "phone", "By phone"
    EMAIL = "email", "By e-mail"
    IN_PERSON = "in_person", "In person"
