"""Components, failure patterns, diagnoses and root-cause cases."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from rma.models import RMA, AppendOnlyModel, Device, ProductModel, Source


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
    """A recurring failure, followed like a FRACAS record from first sighting to a verified fix.

    Status moves only through ``diagnostics.patterns.pattern_transition`` (the table is in
    ``diagnostics.lifecycle``); every move is a ``PatternEvent``.
    """

    Status = PatternStatus

    # Patterns in these statuses have a known cause: a unit that matches one is not worth keeping.
    CAUSE_KNOWN_STATUSES = (Status.ROOT_CAUSED, Status.CORRECTIVE_ACTION, Status.VERIFIED, Status.CLOSED)

    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="patterns")
    symptoms = models.TextField(blank=True, help_text="How the failure shows itself.")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW, editable=False)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
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
    effectivity = models.CharField(max_length=200, blank=True, help_text="The fix and where it applies, in words.")
    # Where the fix applies, structured so a new failure can be told apart from a pre-fix unit: a unit
    # has the fix when it is from this lot or a later one, runs this firmware or a later one, or was
    # built on or after this date (any one is enough).
    effective_from_lot = models.CharField(max_length=64, blank=True, help_text="The first lot built with the fix.")
    effective_from_firmware = models.CharField(
        max_length=64, blank=True, help_text="The first firmware version with the fix."
    )
    effective_from_date = models.DateField(
        null=True, blank=True, help_text="Units built on or after this date have the fix."
    )
    public_summary = models.TextField(blank=True, help_text="What customers are told about this failure.")
    symptom_corpus = models.TextField(
        blank=True,
        editable=False,
        help_text="What technicians wrote on diagnoses of this pattern (varied, newest first): suggestions learn it.",
    )
    # Everything the suggestions match symptoms against; on PostgreSQL a GIN trigram index covers it
    # (created in the migration, as it exists only there).
    search_text = models.GeneratedField(
        expression=Concat(
            "title", Value("\n"), "symptoms", Value("\n"), "symptom_corpus", output_field=models.TextField()
        ),
        output_field=models.TextField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        permissions = [("manage_pattern", "Can move failure patterns through their lifecycle")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PatternStatus.values), name="pattern_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=["root_caused", "corrective_action", "verified"]) | ~Q(root_cause=""),
                name="pattern_root_caused_has_cause",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified")
                | (
                    ~Q(corrective_action="")
                    & ~Q(effective_from_lot="", effective_from_firmware="", effective_from_date__isnull=True)
                ),
                name="pattern_verified_has_fix",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def search_text_lines(self) -> list[str]:
        """The phrases suggestions compare a note with: the title with the description, then the corpus."""
        return [f"{self.title} {self.symptoms}", *self.symptom_corpus.splitlines()]

    @property
    def cause_known(self) -> bool:
        """Root caused, or closed with a cause (a pattern closed as a duplicate never found one)."""
        if self.status == PatternStatus.CLOSED:
            return bool(self.root_cause.strip())
        return self.status in self.CAUSE_KNOWN_STATUSES


class PatternEvent(AppendOnlyModel):
    """One row of a pattern's history: a status change or a notable action. Never edited, never deleted."""

    pattern = models.ForeignKey(FailurePattern, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "pattern event"
        constraints = [
            models.CheckConstraint(condition=Q(source__in=Source.values), name="pattern_event_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.pattern_id}: {self.action}"


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
            models.Index(fields=["pattern", "created_at"], name="diagnosis_pattern_recent_idx"),
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
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, editable=False)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="rca_cases"
    )
    assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    findings = models.TextField(blank=True, help_text="Dated entries, newest last.")
    conclusion = models.TextField(blank=True)
    pattern = models.ForeignKey(
        FailurePattern, on_delete=models.PROTECT, null=True, blank=True, related_name="rca_cases"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["opened_at"]
        verbose_name = "root-cause case"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="rca_case_status_valid"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="rca_case_closed_at_consistent",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(conclusion=""), name="rca_case_closed_has_conclusion"
            ),
        ]
        indexes = [models.Index(fields=["status", "opened_at"], name="rca_case_queue_idx")]

    def __str__(self) -> str:
        return f"Case of {self.rma.number}"

    @property
    def age(self) -> timedelta:
        """How long the case has been open (until it closed)."""
        return (self.closed_at or timezone.now()) - self.opened_at


def case_attachment_path(instance: CaseAttachment, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"rca-cases/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class CaseAttachment(models.Model):
    """A photo, log or report on a root-cause case, stored under a generated name."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        LOG = "log", "Log"
        REPORT = "report", "Report"

    case = models.ForeignKey(RootCauseCase, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=case_attachment_path)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "case attachment"

    def __str__(self) -> str:
        return self.original_name or self.file.name or ""


class Advisory(models.Model):
    """A customer-facing notice about a failure pattern, for the units it affects.

    A unit is affected when its model is listed and, where lots or firmware versions are listed,
    its lot or firmware is among them. Published advisories show on affected returns' status pages;
    owners of affected units can be e-mailed.
    """

    pattern = models.ForeignKey(FailurePattern, on_delete=models.PROTECT, related_name="advisories")
    title = models.CharField(max_length=200, help_text="Public: customers read it.")
    body = models.TextField(help_text="Public: what happened, what it means for the customer, what to do.")
    affected_models = models.ManyToManyField(ProductModel, related_name="advisories")
    affected_lots = models.JSONField(default=list, blank=True, help_text="Empty: every lot.")
    affected_firmware = models.JSONField(default=list, blank=True, help_text="Empty: every firmware version.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    owners_notified_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When e-mailing the owners of affected units was started."
    )
    programme = models.ForeignKey(
        "Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="advisories",
        help_text="The service programme whose free remedy the advisory announces (needed to promise one).",
    )

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name_plural = "advisories"
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(published_at__isnull=False),
                name="advisory_withdrawn_after_published",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(published_by__isnull=False),
                name="advisory_published_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["published_at", "withdrawn_at"], name="advisory_live_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.published_at is not None and self.withdrawn_at is None

    @property
    def state(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "published" if self.published_at is not None else "draft"


class FaultSignalCell(models.TextChoices):
    MODEL = "model", "Model × component"
    LOT = "lot", "Model × lot × component"
    FIRMWARE = "firmware", "Model × firmware × component"


class FaultSignalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    LINKED = "linked", "Linked to a pattern"
    DISMISSED = "dismissed", "Dismissed"


class FaultSignal(models.Model):
    """A cell whose confirmed failures run above what its installed base leads one to expect (SPEC §7).

    Raised once per cell by the detection scan (``diagnostics.detection.scan``) and updated by later
    scans as evidence grows; engineers acknowledge it, link it to a failure pattern, or dismiss it
    (``diagnostics.fault_signals``). ``lot`` is set only on lot cells, ``firmware_version`` only on
    firmware cells.
    """

    Cell = FaultSignalCell
    Status = FaultSignalStatus

    cell = models.CharField(max_length=16, choices=Cell.choices, editable=False)
    product_model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="fault_signals")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="fault_signals")
    # NULL, not "", outside lot (firmware) cells: "no lot in this cell" is not "a unit with a blank lot".
    lot = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    firmware_version = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The evidence, as of the latest scan that saw the cell.
    observed = models.PositiveIntegerField(help_text="Confirmed failures of the component in the cell.")
    expected = models.FloatField(help_text="Failures the baseline hazard expects from the cell's units in service.")
    units_in_service = models.PositiveIntegerField()
    rate_ratio = models.FloatField(help_text="Observed over expected.")
    statistic = models.FloatField(help_text="The sequential test's statistic (log likelihood ratio).")
    threshold = models.FloatField(help_text="The statistic's alarm threshold for this cell.")
    first_detected_on = models.DateField(help_text="The scan date on which the statistic first crossed its threshold.")
    # Magnitude (SPEC §7): how big the problem is, as of the same scan.
    affected_customers = models.PositiveIntegerField(default=0, help_text="Customers who own units in the cell.")
    excess_to_date = models.FloatField(
        default=0.0, help_text="Failures so far beyond the expected (observed − expected)."
    )
    projected_excess = models.FloatField(
        default=0.0, help_text="Failures beyond the baseline still to come before the cell's warranties end."
    )
    projected_excess_low = models.FloatField(default=0.0, help_text="The projected excess's 80 % interval: low end.")
    projected_excess_high = models.FloatField(default=0.0, help_text="The projected excess's 80 % interval: high end.")
    # One fault, one family: the signal that leads this one's family (null for a leader).
    family = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="family_members", editable=False
    )
    evidence_as_of = models.DateField(help_text="The scan date of the figures shown.")
    last_updated = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, editable=False)
    pattern = models.ForeignKey(
        FailurePattern, on_delete=models.PROTECT, null=True, blank=True, related_name="fault_signals", editable=False
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    note = models.TextField(blank=True, editable=False, help_text="Why it was dismissed, or what the engineer noted.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-first_detected_on", "-statistic"]
        permissions = [("manage_faultsignal", "Can acknowledge, link and dismiss fault signals")]
        constraints = [
            models.CheckConstraint(condition=Q(cell__in=FaultSignalCell.values), name="fault_signal_cell_valid"),
            models.CheckConstraint(condition=Q(status__in=FaultSignalStatus.values), name="fault_signal_status_valid"),
            models.CheckConstraint(
                condition=Q(cell="model", lot__isnull=True, firmware_version__isnull=True)
                | Q(cell="lot", lot__isnull=False, firmware_version__isnull=True)
                | Q(cell="firmware", lot__isnull=True, firmware_version__isnull=False),
                name="fault_signal_cell_keys",
            ),
            models.CheckConstraint(
                condition=Q(status="linked", pattern__isnull=False) | (~Q(status="linked") & Q(pattern__isnull=True)),
                name="fault_signal_linked_has_pattern",
            ),
            # One signal per cell, whatever its status: raised once, then updated.
            models.UniqueConstraint(
                fields=["product_model", "component"], condition=Q(cell="model"), name="fault_signal_model_cell_unique"
            ),
            models.UniqueConstraint(
                fields=["product_model", "component", "lot"],
                condition=Q(cell="lot"),
                name="fault_signal_lot_cell_unique",
            ),
            models.UniqueConstraint(
                fields=["product_model", "component", "firmware_version"],
                condition=Q(cell="firmware"),
                name="fault_signal_firmware_cell_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "first_detected_on"], name="fault_signal_queue_idx")]

    def __str__(self) -> str:
        return f"{self.cell_label}: {self.observed} vs {self.expected:.1f} expected"

    @property
    def is_family_leader(self) -> bool:
        return self.family_id is None

    @property
    def cell_key(self) -> str:
        """The cell as text (``lot:PHN-1:L07:battery``), as ``--json`` and the API name it."""
        from diagnostics.detection.families import cell_key_text

        return cell_key_text((self.cell, self.product_model.sku, self.lot, self.firmware_version, self.component.code))

    @property
    def family_key(self) -> str:
        """The cell key of the signal leading this one's family (its own for a leader)."""
        return (self.family or self).cell_key

    @property
    def cell_label(self) -> str:
        where = [self.product_model.sku]
        if self.lot is not None:
            where.append(f"lot {self.lot}")
        if self.firmware_version is not None:
            where.append(f"firmware {self.firmware_version}")
        return f"{' · '.join(where)} · {self.component.code}"


# Service programmes (SPEC §11) -----------------------------------------------------------------------------------


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class ProgrammeRemedy(models.TextChoices):
    REPAIR = "repair", "Free repair"
    REPLACE = "replace", "Free replacement"
    REFUND = "refund", "Refund"


class Programme(models.Model):
    """A service programme: a known fault fixed free for every affected unit for a stated period.

    The population is the listed product models, narrowed by each rule that is set (lots, firmware
    versions, build-date and ship-date ranges, an uploaded serial list: ``ProgrammeSerial``). Status
    moves only through ``diagnostics.programmes.programme_transition``.
    """

    Status = ProgrammeStatus
    Remedy = ProgrammeRemedy

    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200, help_text="Public: customers read it.")
    summary = models.TextField(help_text="Public: the fault and what the programme does about it, in plain words.")
    pattern = models.ForeignKey(FailurePattern, on_delete=models.PROTECT, related_name="programmes")
    product_models = models.ManyToManyField(ProductModel, related_name="programmes")
    lots = models.JSONField(default=list, blank=True, help_text="Empty: every lot.")
    firmware_versions = models.JSONField(default=list, blank=True, help_text="Empty: every firmware version.")
    built_from = models.DateField(null=True, blank=True)
    built_to = models.DateField(null=True, blank=True)
    shipped_from = models.DateField(null=True, blank=True)
    shipped_to = models.DateField(null=True, blank=True)
    has_serial_list = models.BooleanField(
        default=False, editable=False, help_text="Only the serials uploaded to the programme are covered."
    )
    remedy = models.CharField(max_length=8, choices=ProgrammeRemedy.choices, default=ProgrammeRemedy.REPAIR)
    coverage_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Covered for this many years from the unit's warranty start."
    )
    covered_until = models.DateField(null=True, blank=True, help_text="Or: covered until this day.")
    reimburse_paid_repairs = models.BooleanField(
        default=True, help_text="Pay back customers who paid for a repair of this fault before the programme."
    )
    status = models.CharField(
        max_length=8, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_programmes"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    owners_notified = models.PositiveIntegerField(
        default=0, editable=False, help_text="Owners e-mailed about the programme so far."
    )
    owners_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("manage_programme", "Can activate, close and announce service programmes"),
            ("approve_reimbursement", "Can approve reimbursements of service programmes"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ProgrammeStatus.values), name="programme_status_valid"),
            models.CheckConstraint(condition=Q(remedy__in=ProgrammeRemedy.values), name="programme_remedy_valid"),
            models.CheckConstraint(
                condition=Q(coverage_years__isnull=True) | Q(covered_until__isnull=True),
                name="programme_one_coverage_period",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(coverage_years__isnull=False) | Q(covered_until__isnull=False),
                name="programme_live_has_period",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(activated_at__isnull=False), name="programme_activated_at"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="programme_status_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ProgrammeSerial(models.Model):
    """One serial number of a programme's uploaded list."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="serials")
    serial_number = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["serial_number", "programme"], name="programme_serial_unique"),
        ]

    def __str__(self) -> str:
        return self.serial_number


class ReimbursementStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class Reimbursement(models.Model):
    """Money paid for a repair of a programme's fault before the programme, to be paid back."""

    Status = ReimbursementStatus

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="reimbursements")
    rma = models.ForeignKey(RMA, on_delete=models.PROTECT, related_name="reimbursements")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=8, choices=ReimbursementStatus.choices, default=ReimbursementStatus.PROPOSED, editable=False
    )
    proposed_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "rma"], name="reimbursement_once_per_repair"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reimbursement_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=ReimbursementStatus.values), name="reimbursement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_by__isnull=False), name="reimbursement_decided_by_someone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.rma}"
