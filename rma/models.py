"""The returns domain: product models, devices (the installed base), customers, RMAs and their history."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
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


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only.")

    def bulk_create(
        self,
        objs,
        batch_size=None,
        ignore_conflicts=False,
        update_conflicts=False,
        update_fields=None,
        unique_fields=None,
    ):
        if update_conflicts:  # an upsert would rewrite the rows it collides with
            raise TypeError(f"{self.model.__name__} rows are append-only.")
        return super().bulk_create(
            objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts, unique_fields=unique_fields
        )


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields") is not None:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        # Always an INSERT: a new instance given an existing primary key must not overwrite that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


class Source(models.TextChoices):
    ADMIN = "admin", "Admin"
    API = "api", "API"
    PAGE = "page", "Public page"
    TASK = "task", "Task"
    IMPORT = "import", "Import"


class RMAEvent(AppendOnlyModel):
    """One row of an RMA's timeline: never edited, never deleted."""

    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    customer_message = models.TextField(blank=True, help_text="Shown to the customer; empty for internal events.")
    internal_note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "RMA event"
        constraints = [models.CheckConstraint(condition=Q(source__in=Source.values), name="rma_event_source_valid")]

    def __str__(self) -> str:
        return f"{self.rma_id}: {self.action}"


class CustodyChange(AppendOnlyModel):
    """Where the failed unit went, and who holds it."""

    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, related_name="custody_changes")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="custody_changes")
    from_disposition = models.CharField(max_length=24, choices=RMA.Disposition.choices)
    to_disposition = models.CharField(max_length=24, choices=RMA.Disposition.choices)
    holder = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.from_disposition} → {self.to_disposition}"


class StatusLink(models.Model):
    """A secret link to an RMA's status page. Only the SHA-256 of the token is stored."""

    rma = models.ForeignKey(RMA, on_delete=models.CASCADE, related_name="status_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["rma", "expires_at"], name="status_link_rma_idx")]

    def __str__(self) -> str:
        return f"Status link for {self.rma_id} until {self.expires_at:%Y-%m-%d}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class OutboxMessage(models.Model):
    """An e-mail written in the same transaction as the change it tells about, delivered after commit.

    ``key`` makes enqueueing idempotent; the status column is the claim that makes delivery happen
    once however many tasks or sweeps try.
    """

    Status = OutboxStatus

    key = models.CharField(max_length=200, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="outbox_messages")
    to_email = models.EmailField()
    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, null=True, blank=True, related_name="outbox_messages")
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbox e-mail"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_sent_at"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="outbox_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email} ({self.status})"


class FollowUpAnswer(models.TextChoices):
    NONE = "", "Not answered"
    WORKING = "working", "Working"
    STILL_FAILING = "still_failing", "Still failing"


class FollowUp(models.Model):
    """The "is your device still working?" check after a return closes: one per RMA."""

    Answer = FollowUpAnswer

    rma = models.OneToOneField(RMA, on_delete=models.PROTECT, related_name="follow_up")
    sent_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=16, choices=FollowUpAnswer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    repeat_rma = models.OneToOneField(RMA, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_up_of")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "follow-up"
        constraints = [
            models.CheckConstraint(
                condition=Q(answer="") | Q(answer__in=FollowUpAnswer.values), name="follow_up_answer_valid"
            ),
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True) | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="follow_up_answered_at_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up of {self.rma_id}"


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
