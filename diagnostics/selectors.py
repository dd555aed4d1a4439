"""Reads for diagnostics: what the latest diagnosis says, and what staff should be shown."""

from __future__ import annotations

from django.db.models import Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery

from diagnostics.models import Diagnosis, FailurePattern, FaultSignal, PatternEvent, RootCauseCase
from rma import policy
from rma.models import RMA, CustodyChange
from rma.services import goodwill_eligibility


def latest_diagnosis(rma_id: int) -> Diagnosis | None:
    return (
        Diagnosis.objects.select_related("component", "pattern")
        .filter(rma_id=rma_id)
        .order_by("-created_at", "-id")
        .first()
    )


def previous_failure(rma_id: int) -> Diagnosis | None:
    """The diagnosis of an earlier return, to tell whether a new one is the same fault."""
    return latest_diagnosis(rma_id)


def pattern_samples_still_wanted(pattern: FailurePattern) -> int:
    """Samples wanted minus the units already retained for the pattern.

    A unit counts once it has been retained, even after engineering analysed and scrapped it:
    the custody history says so, not the unit's current disposition.
    """
    retained = retained_rmas().filter(pattern_links(pattern.pk)).distinct().count()
    return max(pattern.samples_wanted - retained, 0)


def retained_rmas():
    """Returns whose unit was ever retained for analysis (from the custody history)."""
    ever = CustodyChange.objects.filter(to_disposition=RMA.Disposition.RETAINED_FOR_RCA).values("rma_id")
    return RMA.objects.filter(pk__in=ever)


def pattern_links(pattern_id) -> Q:
    """An RMA linked to a pattern: by one of its diagnoses, or by its root-cause case's conclusion."""
    return Q(diagnoses__pattern_id=pattern_id) | Q(rca_case__pattern_id=pattern_id)


def analysis_for_rma(rma: RMA, *, lock: bool = False) -> policy.Analysis:
    """Condition 3's facts, from the RMA's latest diagnosis and its pattern."""
    diagnosis = latest_diagnosis(rma.pk)
    if diagnosis is None:
        return policy.Analysis(outcome=None)
    pattern = diagnosis.pattern
    if pattern is None:
        return policy.Analysis(outcome=diagnosis.outcome)
    if lock:
        pattern = FailurePattern.objects.select_for_update().get(pk=pattern.pk)
    return policy.Analysis(
        outcome=diagnosis.outcome,
        pattern_code=pattern.code,
        pattern_cause_known=pattern.cause_known,
        samples_still_wanted=pattern_samples_still_wanted(pattern),
    )


def goodwill_suggestion(rma: RMA) -> policy.Decision:
    """Whether staff should be offered goodwill on this RMA, with the reason to show them."""
    return goodwill_eligibility(rma=rma, analysis=analysis_for_rma(rma))


def rca_cases_open():
    return rca_case_queue()


def rca_case_queue(*, engineer=None, unassigned: bool = False, status: str = RootCauseCase.Status.OPEN):
    """The engineers' queue: cases oldest first (``RootCauseCase.age`` says how old)."""
    cases = RootCauseCase.objects.select_related(
        "rma__customer", "device__product_model", "engineer", "pattern"
    ).order_by("opened_at", "pk")
    if status:
        cases = cases.filter(status=status)
    if engineer is not None:
        cases = cases.filter(engineer=engineer)
    if unassigned:
        cases = cases.filter(engineer__isnull=True)
    return cases


class SubqueryCount(Subquery):
    """How many rows a correlated subquery returns."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def patterns_with_counts():
    """Patterns with their diagnoses, units retained for analysis (ever) and repeat failures counted."""
    pattern = OuterRef("pk")
    return FailurePattern.objects.select_related("component", "owner").annotate(
        diagnosis_count=SubqueryCount(Diagnosis.objects.filter(pattern=pattern).order_by().values("pk")),
        retained_count=SubqueryCount(retained_rmas().filter(pattern_links(pattern)).order_by().values("pk").distinct()),
        repeat_count=SubqueryCount(
            RMA.objects.filter(is_repeat=True, diagnoses__pattern=pattern).order_by().values("pk").distinct()
        ),
        last_diagnosed_at=Subquery(
            Diagnosis.objects.filter(pattern=pattern).order_by("-created_at").values("created_at")[:1]
        ),
    )


def pattern_events(pattern: FailurePattern) -> QuerySet[PatternEvent]:
    return PatternEvent.objects.filter(pattern=pattern).select_related("actor").order_by("created_at", "id")


def device_history(rma: RMA) -> list[RMA]:
    """The unit's other returns, newest first, with their diagnoses: its own returns, and the one it
    was sent out on as a replacement."""
    return list(
        RMA.objects.filter(Q(device_id=rma.device_id) | Q(replacement_device_id=rma.device_id))
        .exclude(pk=rma.pk)
        .select_related("device")
        .prefetch_related(
            Prefetch(
                "diagnoses",
                queryset=Diagnosis.objects.select_related("component", "pattern").order_by("created_at", "id"),
            )
        )
        .order_by("-created_at")
    )


def case_diagnoses(case: RootCauseCase) -> list[Diagnosis]:
    """The diagnoses of the case's return, oldest first, with what their lines show."""
    return list(
        Diagnosis.objects.filter(rma_id=case.rma_id).select_related("component", "pattern").order_by("created_at")
    )


def signal_failures(signal: FaultSignal) -> QuerySet[Diagnosis]:
    """The units and returns behind a fault signal (SPEC §7, drill-down), earliest report first.

    The confirmed failures of the signal's component on the units of its cell, as the scan counts
    them: the return's latest diagnosis confirmed it, reported by the signal's evidence date, after
    the unit shipped and within its warranty. Each diagnosis comes with its return and unit.
    """
    cell = Q(rma__device__product_model_id=signal.product_model_id)
    if signal.lot is not None:
        cell &= Q(rma__device__lot=signal.lot)
    if signal.firmware_version is not None:
        cell &= Q(rma__device__firmware_version=signal.firmware_version)
    later = Diagnosis.objects.filter(rma_id=OuterRef("rma_id")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    in_warranty = Q(rma__device__warranty_ends_on__isnull=True) | Q(
        rma__reported_on__lte=F("rma__device__warranty_ends_on")
    )
    return (
        Diagnosis.objects.filter(
            cell,
            in_warranty,
            component_id=signal.component_id,
            outcome=Diagnosis.Outcome.CONFIRMED,
            rma__reported_on__lte=signal.evidence_as_of,
            rma__device__shipped_on__lte=F("rma__reported_on"),
        )
        .filter(~Exists(later))
        .select_related("rma", "rma__device", "rma__device__owner", "pattern")
        .order_by("rma__reported_on", "id")
    )
