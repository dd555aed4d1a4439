"""Reads for diagnostics: what the latest diagnosis says, and what staff should be shown."""

from __future__ import annotations

from django.db.models import Count, Q

from diagnostics.models import Diagnosis, FailurePattern, RootCauseCase
from rma import policy
from rma.models import RMA
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
    retained = (
        RMA.objects.filter(diagnoses__pattern=pattern, custody_changes__to_disposition=RMA.Disposition.RETAINED_FOR_RCA)
        .distinct()
        .count()
    )
    return max(pattern.samples_wanted - retained, 0)


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
    return (
        RootCauseCase.objects.filter(status=RootCauseCase.Status.OPEN)
        .select_related("rma", "device__product_model", "engineer", "pattern")
        .order_by("opened_at")
    )


def patterns_with_counts():
    return FailurePattern.objects.select_related("component", "owner").annotate(
        diagnosis_count=Count("diagnoses", distinct=True),
        retained_count=Count(
            "diagnoses__rma",
            filter=Q(diagnoses__rma__disposition=RMA.Disposition.RETAINED_FOR_RCA),
            distinct=True,
        ),
    )
