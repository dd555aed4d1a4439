"""What happened to a return, append-only, and what it sent: timeline, custody, status links, e-mails, follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rma.models.returns import RMA
from rma.models.units import Customer, Device


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


class OutboxQueue(models.TextChoices):
    """Which line an e-mail waits in: customer mail (acknowledgements, updates) never waits behind bulk mail."""

    CUSTOMER = "customer", "Customer mail"
    BULK = "bulk", "Bulk mail"


class OutboxMessage(models.Model):
    """An e-mail written in the same transaction as the change it tells about, delivered after commit.

    ``key`` makes enqueueing idempotent; the status column is the claim that makes delivery happen
    once however many tasks or sweeps try. ``queue`` separates customer mail from bulk mail
    (follow-ups, advisories, programme notices), each with its own Celery queue.
    """

    Status = OutboxStatus
    Queue = OutboxQueue

    key = models.CharField(max_length=200, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="outbox_messages")
    to_email = models.EmailField()
    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, null=True, blank=True, related_name="outbox_messages")
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=8, choices=OutboxQueue.choices, default=OutboxQueue.CUSTOMER)
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
            models.CheckConstraint(condition=Q(queue__in=OutboxQueue.values), name="outbox_queue_valid"),
        ]
        indexes = [
            # What a drain claims (one queue's rows waiting or being sent, oldest due first) and the backlog metrics.
            models.Index(
                fields=["queue", "status", "next_attempt_at"],
                name="outbox_due_idx",
                condition=Q(status__in=["pending", "sending", "failed"]),
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
