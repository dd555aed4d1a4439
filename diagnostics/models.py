"""Components, failure patterns, diagnoses and root-cause cases."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rma.models import RMA, Device, ProductModel


class Component(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class PatternStatus(models.TextChoices):
    NEW = "new", "New"
    INVESTIGATING = "investigating", "Investigating"
    ROOT_CAUSED = "root_caused", "Root caused"
    CORRECTIVE_ACTION = "corrective_action", "Corrective action"
    VERIFIED = "verified", "Verified"
    CLOSED = "closed", "Closed"


class FailurePattern(models.Model):
    Status = PatternStatus

    # Patterns in these statuses have a known cause: a unit that matches one is not worth keeping.
    CAUSE_KNOWN_STATUSES = (Status.ROOT_CAUSED, Status.CORRECTIVE_ACTION, Status.VERIFIED, Status.CLOSED)

    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="patterns")
    symptoms = models.TextField(blank=True, help_text="How the failure shows itself.")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW)
    samples_wanted = models.PositiveIntegerField(
        default=0, help_text="How many more failed units engineers want to examine."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_patterns"
    )
    affected_models = models.ManyToManyField(ProductModel, blank=True, related_name="failure_patterns")
    affected_lots = models.JSONField(default=list, blank=True)
    affected_firmware = models.JSONField(default=list, blank=True)
    root_cause = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    effectivity = models.CharField(
        max_length=200, blank=True, help_text="From which lot, firmware or date the fix applies."
    )
    public_summary = models.TextField(blank=True, help_text="What customers are told about this failure.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PatternStatus.values), name="pattern_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def cause_known(self) -> bool:
        return self.status in self.CAUSE_KNOWN_STATUSES


class DiagnosisOutcome(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed failure"
    NO_FAULT_FOUND = "no_fault_found", "No fault found"
    CUSTOMER_DAMAGE = "customer_damage", "Customer damage"
    CAUSE_UNKNOWN = "cause_unknown", "Cause unknown"


class PatternMatch(models.TextChoices):
    NONE = "", "No pattern"
    CONFIRMED = "confirmed", "Confirmed"
    SUSPECTED = "suspected", "Suspected"


class Diagnosis(models.Model):
    Outcome = DiagnosisOutcome

    PatternMatch = PatternMatch

    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, related_name="diagnoses")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="diagnoses")
    symptoms = models.TextField(blank=True)
    findings = models.TextField(blank=True)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    pattern = models.ForeignKey(
        FailurePattern, on_delete=models.PROTECT, null=True, blank=True, related_name="diagnoses"
    )
    pattern_match = models.CharField(max_length=16, choices=PatternMatch.choices, blank=True)
    minutes_spent = models.PositiveIntegerField(default=0)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="diagnoses"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=DiagnosisOutcome.values), name="diagnosis_outcome_valid"),
            models.CheckConstraint(
                condition=(Q(pattern__isnull=True) & Q(pattern_match=""))
                | (Q(pattern__isnull=False) & Q(pattern_match__in=["confirmed", "suspected"])),
                name="diagnosis_pattern_match_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["component", "outcome"], name="diagnosis_component_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rma_id}: {self.component_id} ({self.outcome})"


def attachment_path(instance: DiagnosisAttachment, filename: str) -> str:
    """Stored under a generated name: the uploaded name is kept only as data."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"diagnoses/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class DiagnosisAttachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        LOG = "log", "Log"

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name or self.file.name or ""


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RootCauseCase(models.Model):
    """Opened for every unit retained for root-cause analysis."""

    Status = CaseStatus

    rma = models.OneToOneField(RMA, on_delete=models.PROTECT, related_name="rca_case")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="rca_cases")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="rca_cases"
    )
    findings = models.TextField(blank=True)
    conclusion = models.TextField(blank=True)
    pattern = models.ForeignKey(
        FailurePattern, on_delete=models.PROTECT, null=True, blank=True, related_name="rca_cases"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at"]
        verbose_name = "root-cause case"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="rca_case_status_valid"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="rca_case_closed_at_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"RCA {self.rma_id}"
