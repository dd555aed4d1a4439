"""Returns: the RMA with its statuses, cover and outcome; proofs of purchase and goodwill grants."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rma.models.units import Customer, Device


class RMAStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AUTHORIZED = "authorized", "Authorized"
    RECEIVED = "received", "Received"
    DIAGNOSING = "diagnosing", "Diagnosing"
    AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
    REPAIRING = "repairing", "Repairing"
    REPLACING = "replacing", "Replacing"
    SHIPPED = "shipped", "Shipped"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class RMACoverage(models.TextChoices):
    WARRANTY = "warranty", "Warranty"
    GOODWILL = "goodwill", "Goodwill"
    PROGRAMME = "programme", "Service programme"
    PAID = "paid", "Paid"
    NONE = "none", "None"


class RMAChannel(models.TextChoices):
    WEB = "web", "Web"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    WALK_IN = "walk_in", "Walk-in"
    IMPORT = "import", "Import"


class RMAResolution(models.TextChoices):
    REPAIRED = "repaired", "Repaired"
    REPLACED = "replaced", "Replaced"
    REFUNDED = "refunded", "Refunded"
    RETURNED_UNREPAIRED = "returned_unrepaired", "Returned unrepaired"
    NO_FAULT_FOUND = "no_fault_found", "No fault found"


class RMADisposition(models.TextChoices):
    """Custody of the failed unit."""

    WITH_CUSTOMER = "with_customer", "With customer"
    IN_REPAIR_CENTRE = "in_repair_centre", "In repair centre"
    RETURNED_TO_CUSTOMER = "returned_to_customer", "Returned to customer"
    RETAINED_FOR_RCA = "retained_for_rca", "Retained for root-cause analysis"
    SCRAPPED = "scrapped", "Scrapped"
    REFURBISHED_STOCK = "refurbished_stock", "Refurbished stock"


class RMAQuoteStatus(models.TextChoices):
    NONE = "", "No quote"
    PENDING = "pending", "Waiting for the customer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class RMAOwnership(models.TextChoices):
    """Whether the person who started a return has shown the unit is theirs (SPEC §8 "Ownership")."""

    NOT_IN_QUESTION = "", "Not in question"
    TO_CONFIRM = "to_confirm", "Ownership to confirm"
    CONFIRMED = "confirmed", "Ownership confirmed"
    REFUSED = "refused", "Ownership refused"


class RMA(models.Model):
    Status = RMAStatus
    Coverage = RMACoverage
    Channel = RMAChannel
    Resolution = RMAResolution
    Disposition = RMADisposition
    QuoteStatus = RMAQuoteStatus
    Ownership = RMAOwnership

    number = models.CharField(max_length=16, unique=True, editable=False)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)
    submission_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the idempotency key the return was opened with: a resubmission finds it again.",
    )
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="rmas")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="rmas")
    fault_description = models.TextField()
    channel = models.CharField(max_length=16, choices=RMAChannel.choices, default=RMAChannel.WEB)
    status = models.CharField(max_length=24, choices=RMAStatus.choices, default=RMAStatus.SUBMITTED, editable=False)
    coverage = models.CharField(max_length=16, choices=RMACoverage.choices, default=RMACoverage.NONE, editable=False)
    coverage_reason = models.TextField(blank=True, editable=False)
    programme_code = models.CharField(
        max_length=32, blank=True, editable=False, help_text="The service programme that covers it (SPEC §11)."
    )
    resolution = models.CharField(max_length=24, choices=RMAResolution.choices, blank=True, editable=False)
    disposition = models.CharField(
        max_length=24, choices=RMADisposition.choices, default=RMADisposition.WITH_CUSTOMER, editable=False
    )
    replacement_device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="replacement_for", editable=False
    )
    is_repeat = models.BooleanField(default=False, editable=False)
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats", editable=False
    )
    ownership = models.CharField(
        max_length=12,
        choices=RMAOwnership.choices,
        blank=True,
        default=RMAOwnership.NOT_IN_QUESTION,
        editable=False,
        help_text="To confirm when the unit's registered owner has another e-mail than the person who started it.",
    )
    centre = models.ForeignKey(
        "rma.RepairCentre", on_delete=models.PROTECT, null=True, blank=True, related_name="rmas", editable=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_rmas",
        editable=False,
    )
    quote_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True, editable=False)
    quote_status = models.CharField(max_length=16, choices=RMAQuoteStatus.choices, blank=True, editable=False)
    inbound_tracking = models.CharField(max_length=100, blank=True)
    outbound_tracking = models.CharField(max_length=100, blank=True, editable=False)
    reported_on = models.DateField(default=timezone.localdate, editable=False)
    due_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the RMA should leave its current status."
    )
    promised_on = models.DateField(
        null=True, blank=True, editable=False, help_text="When we told the customer the unit would be on its way."
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    received_at = models.DateTimeField(null=True, blank=True, editable=False)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    FINAL_STATUSES = (RMAStatus.CLOSED, RMAStatus.REJECTED, RMAStatus.CANCELLED)

    class Meta:
        verbose_name = "RMA"
        verbose_name_plural = "RMAs"
        ordering = ["-created_at"]
        permissions = [
            ("process_rma", "Can move RMAs through the lifecycle"),
            ("reject_rma", "Can reject RMAs"),
            ("approve_goodwill", "Can approve goodwill replacements"),
            ("approve_compensation", "Can approve compensation"),
            ("approve_refund", "Can approve refunds"),
            ("approve_quote", "Can approve low quotes and record a customer's answer to a quote"),
            ("assign_rma", "Can assign returns to any member of a repair centre's staff"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RMAStatus.values), name="rma_status_valid"),
            models.CheckConstraint(condition=Q(coverage__in=RMACoverage.values), name="rma_coverage_valid"),
            models.CheckConstraint(condition=Q(channel__in=RMAChannel.values), name="rma_channel_valid"),
            models.CheckConstraint(condition=Q(disposition__in=RMADisposition.values), name="rma_disposition_valid"),
            models.CheckConstraint(
                condition=Q(resolution="") | Q(resolution__in=RMAResolution.values), name="rma_resolution_valid"
            ),
            models.CheckConstraint(
                condition=Q(quote_status="") | Q(quote_status__in=RMAQuoteStatus.values), name="rma_quote_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(coverage="goodwill") | Q(disposition="retained_for_rca") | Q(disposition="scrapped"),
                name="rma_goodwill_retains_unit",
            ),
            models.CheckConstraint(
                condition=Q(coverage="programme", programme_code__gt="")
                | (~Q(coverage="programme") & Q(programme_code="")),
                name="rma_programme_names_its_code",
            ),
            models.UniqueConstraint(
                fields=["device"],
                condition=~Q(status__in=["closed", "rejected", "cancelled"]),
                name="rma_one_open_per_device",
            ),
            models.CheckConstraint(
                condition=Q(ownership="") | Q(ownership__in=RMAOwnership.values), name="rma_ownership_valid"
            ),
            # a return whose ownership is in question goes no further than submitted
            models.CheckConstraint(
                condition=~Q(ownership="to_confirm") | Q(status__in=["submitted", "rejected", "cancelled"]),
                name="rma_ownership_confirmed_before_authorized",
            ),
            models.CheckConstraint(
                condition=~Q(ownership="refused") | Q(status="rejected"), name="rma_ownership_refused_rejects"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="rma_status_due_idx"),
            models.Index(fields=["reported_on"], name="rma_reported_on_idx"),
            # the lists' default order (API, admin): newest first, read a page at a time
            models.Index(fields=["-created_at", "-id"], name="rma_newest_first_idx"),
            # the queues (SPEC §13): a person's returns and a centre's, oldest due first
            models.Index(fields=["assignee", "due_at"], name="rma_assignee_due_idx"),
            models.Index(fields=["centre", "assignee", "due_at"], name="rma_centre_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def is_overdue(self) -> bool:
        return not self.is_final and self.due_at is not None and self.due_at < timezone.now()

    @property
    def shows_unit_details(self) -> bool:
        """Whether the person who started it may read the unit's model and warranty (not while ownership
        is in question or after it was refused)."""
        return self.ownership not in (RMAOwnership.TO_CONFIRM, RMAOwnership.REFUSED)


def proof_of_purchase_path(instance: ProofOfPurchase, filename: str) -> str:
    """Stored under a generated name with the suffix of its checked type; the uploaded name is only data."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"proofs/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ProofOfPurchase(models.Model):
    """A receipt or invoice uploaded on the status page of a return whose ownership is to confirm.

    Served only to staff, as a download (``diagnostics.downloads``).
    """

    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, related_name="proofs")
    file = models.FileField(upload_to=proof_of_purchase_path)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "proof of purchase"
        verbose_name_plural = "proofs of purchase"

    def __str__(self) -> str:
        return self.original_name or self.file.name or ""


class GoodwillGrant(models.Model):
    """A replacement outside warranty, given because the failed unit is kept for root-cause analysis."""

    rma = models.OneToOneField(RMA, on_delete=models.PROTECT, related_name="goodwill_grant")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="goodwill_grants")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(help_text="The approver's reason.")
    eligibility_reason = models.TextField(help_text="Why the policy found the unit worth keeping.")
    replacement_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [models.UniqueConstraint(fields=["rma"], name="goodwill_one_grant_per_rma")]

    def __str__(self) -> str:
        return f"Goodwill for {self.rma}"
