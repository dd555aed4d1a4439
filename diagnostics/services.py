"""Writes for diagnoses, retained units and the goodwill grant that needs both apps' facts.

Failure patterns are written by ``diagnostics.patterns``, root-cause cases by ``diagnostics.cases``,
advisories by ``diagnostics.advisories``; their services are importable from here too.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.actors import Actor, staff_actor
from core.exceptions import ActionNotPermitted, InvalidInput
from core.phrases import Said, say
from diagnostics.advisories import (
    advisory_create,
    advisory_notify_owners,
    advisory_publish,
    advisory_update,
    advisory_withdraw,
)
from diagnostics.attachments import attachment_check
from diagnostics.cases import rca_case_add_findings, rca_case_assign, rca_case_attach, rca_case_close, rca_case_open
from diagnostics.matching import pattern_corpus_add
from diagnostics.models import Component, Diagnosis, DiagnosisAttachment, FailurePattern, RootCauseCase
from diagnostics.patterns import pattern_create, pattern_edit, pattern_recurrence_check, pattern_transition
from diagnostics.programmes import programme_facts
from diagnostics.selectors import analysis_for_rma, previous_failure
from rma import policy
from rma import services as rma_services
from rma.models import RMA


def outcome_message(outcome: str, component: str) -> Said:
    """What the customer is told a diagnosis found (``component`` is the part's name, as staff named it)."""
    if outcome == Diagnosis.Outcome.CONFIRMED:
        return say("Our technician has found the fault: the %(component)s failed.", component=component)
    if outcome == Diagnosis.Outcome.CAUSE_UNKNOWN:
        return say(
            "Our technician has found that the %(component)s failed; we are looking into why.", component=component
        )
    if outcome == Diagnosis.Outcome.CUSTOMER_DAMAGE:
        return say(
            "Our technician found damage to the %(component)s that is not covered. We will explain your options.",
            component=component,
        )
    return say("Our technician tested your device thoroughly and could not find a fault. We will return it to you.")


def component_get(code: str) -> Component:
    try:
        return Component.objects.get(code=code.strip().lower())
    except Component.DoesNotExist:
        raise InvalidInput(f"Unknown component “{code}”.", code="unknown_component", field="component") from None


@transaction.atomic
def component_create(*, code: str, name: str, actor: Actor) -> Component:
    """A new component; codes are slugs, stored lower-case."""
    _require_perm(actor, "diagnostics.add_component", "create components")
    code = code.strip().lower()
    if not code:
        raise InvalidInput("A component needs a code.", code="code_required", field="code")
    if not re.fullmatch(r"[a-z0-9_-]{1,64}", code):
        raise InvalidInput(
            "A component code is lower-case letters, digits, hyphens and underscores.",
            code="invalid_code",
            field="code",
        )
    if Component.objects.filter(code=code).exists():
        raise InvalidInput(f"Component {code} already exists.", code="component_exists", field="code")
    return Component.objects.create(code=code, name=name.strip() or code.replace("-", " ").title())


@transaction.atomic
def component_rename(*, component: Component, name: str, actor: Actor) -> Component:
    """Change a component's name; its code is what diagnoses and imports refer to, so it stays."""
    _require_perm(actor, "diagnostics.change_component", "change components")
    if not name.strip():
        raise InvalidInput("A component needs a name.", code="name_required", field="name")
    component.name = name.strip()
    component.save(update_fields=["name"])
    return component


def _require_perm(actor: Actor, permission: str, what: str) -> None:
    user = staff_actor(actor)
    if user is None or not user.has_perm(permission):
        raise ActionNotPermitted(f"You do not have permission to {what}.")


def pattern_get(code: str) -> FailurePattern:
    try:
        return FailurePattern.objects.get(code=code.strip().upper())
    except FailurePattern.DoesNotExist:
        raise InvalidInput(f"Unknown failure pattern “{code}”.", code="unknown_pattern", field="pattern") from None


@transaction.atomic
def diagnosis_record(
    *,
    rma: RMA,
    actor: Actor,
    source: str,
    component: Component,
    outcome: str,
    symptoms: str = "",
    findings: str = "",
    pattern: FailurePattern | None = None,
    pattern_match: str = "",
    minutes_spent: int = 0,
) -> Diagnosis:
    """Log a technician's diagnosis; a received RMA first moves to diagnosing.

    A linked pattern learns the symptom text for its suggestions, and a confirmed failure of a
    fixed pattern on a unit that has the fix reopens the pattern.
    """
    if outcome not in Diagnosis.Outcome.values:
        raise InvalidInput(f"Unknown outcome “{outcome}”.", code="invalid_outcome", field="outcome")
    if minutes_spent < 0:
        raise InvalidInput("Minutes spent cannot be negative.", code="invalid_minutes", field="minutes_spent")
    if pattern is not None and pattern.component_id != component.pk:
        raise InvalidInput(
            f"Pattern {pattern.code} is a {pattern.component} failure, not {component}.",
            code="pattern_component_mismatch",
            field="pattern",
        )
    if pattern is not None and outcome in (Diagnosis.Outcome.NO_FAULT_FOUND, Diagnosis.Outcome.CUSTOMER_DAMAGE):
        raise InvalidInput(
            "A failure pattern is linked only to a real failure.", code="pattern_needs_failure", field="pattern"
        )
    if pattern is None:
        pattern_match = ""
    elif pattern_match not in (Diagnosis.PatternMatch.CONFIRMED, Diagnosis.PatternMatch.SUSPECTED):
        pattern_match = Diagnosis.PatternMatch.CONFIRMED if outcome == Diagnosis.Outcome.CONFIRMED else "suspected"

    if pattern is not None:
        # Locked first, as the goodwill grant does: the pattern row before the RMA row.
        pattern = FailurePattern.objects.select_for_update().get(pk=pattern.pk)
    if rma.status == RMA.Status.RECEIVED:
        rma = rma_services.rma_start_diagnosis(rma=rma, actor=actor, source=source)

    repeat = None
    previous = rma.repeat_of if rma.is_repeat else None
    if previous is not None:
        earlier = previous_failure(previous.pk)
        repeat = policy.repeat_decide(
            reported_on=rma.reported_on,
            previous_shipped_on=timezone.localdate(previous.shipped_at) if previous.shipped_at else None,
            window_days=settings.REPEAT_FAILURE_DAYS,
            previous_component=earlier.component.code if earlier else None,
            current_component=component.code,
        )
    summary = f"{Diagnosis.Outcome(outcome).label}: {component}" + (f", pattern {pattern.code}" if pattern else "")
    rma = rma_services.rma_record_diagnosis(
        rma=rma,
        actor=actor,
        source=source,
        summary=summary,
        customer_message=outcome_message(outcome, component.name.lower()),
        repeat=repeat,
        programme=programme_facts(
            rma.device,
            reported_on=rma.reported_on,
            outcome=outcome,
            pattern=pattern,
            confirmed=pattern_match == Diagnosis.PatternMatch.CONFIRMED,
        ),
        data={
            "component": component.code,
            "outcome": outcome,
            "pattern": pattern.code if pattern else None,
            "pattern_match": pattern_match,
        },
    )
    diagnosis = Diagnosis.objects.create(
        rma=rma,
        component=component,
        outcome=outcome,
        symptoms=symptoms.strip(),
        findings=findings.strip(),
        pattern=pattern,
        pattern_match=pattern_match,
        minutes_spent=minutes_spent,
        technician=staff_actor(actor),
    )
    if pattern is not None:
        if diagnosis.symptoms:
            pattern_corpus_add(pattern=pattern, symptoms=diagnosis.symptoms)
        if outcome == Diagnosis.Outcome.CONFIRMED and pattern_match == Diagnosis.PatternMatch.CONFIRMED:
            pattern_recurrence_check(pattern=pattern, rma=rma, actor=actor, source=source)
    return diagnosis


@transaction.atomic
def diagnosis_attach(*, diagnosis: Diagnosis, actor: Actor, file: UploadedFile, kind: str) -> DiagnosisAttachment:
    """Store a photo or log on a diagnosis under a generated name (size and type checked from the content)."""
    user = staff_actor(actor)
    if user is None or not user.has_perm("diagnostics.add_diagnosisattachment"):
        raise ActionNotPermitted("Only technicians and supervisors attach files to diagnoses.")
    if kind not in DiagnosisAttachment.Kind.values:
        raise InvalidInput(f"Unknown attachment kind “{kind}”.", code="invalid_kind", field="kind")
    checked = attachment_check(file)
    original_name = (file.name or "")[-255:]
    file.name = f"upload{checked.suffix}"  # the stored name is generated; only its suffix comes from the content
    return DiagnosisAttachment.objects.create(diagnosis=diagnosis, kind=kind, file=file, original_name=original_name)


@transaction.atomic
def goodwill_grant(*, rma: RMA, actor: Actor, source: str, reason: str, replacement_serial: str) -> RMA:
    """Grant goodwill with the analysis facts taken from the latest diagnosis, and open its RCA case."""
    analysis = analysis_for_rma(rma, lock=True)
    rma = rma_services.goodwill_grant(
        rma=rma,
        actor=actor,
        source=source,
        reason=reason,
        replacement_serial=replacement_serial,
        analysis=analysis,
        on_retained=_open_case,
    )
    return rma


def _open_case(rma: RMA) -> None:
    rca_case_open(rma=rma)


@transaction.atomic
def unit_retain(*, rma: RMA, actor: Actor, source: str, note: str = "") -> RMA:
    """Keep a failed unit for root-cause analysis; its case opens in the same transaction."""
    return rma_services.rma_retain_unit(rma=rma, actor=actor, source=source, note=note, on_retained=_open_case)


@transaction.atomic
def unit_dispose(*, rma: RMA, actor: Actor, source: str, disposition: str, note: str = "") -> RMA:
    """Scrap or refurbish a failed unit; a retained unit's root-cause case must be closed first."""
    case = RootCauseCase.objects.select_for_update().filter(rma=rma).first()
    analysis_closed = case is not None and case.status == RootCauseCase.Status.CLOSED
    return rma_services.rma_dispose_unit(
        rma=rma,
        actor=actor,
        source=source,
        disposition=disposition,
        analysis_closed=analysis_closed,
        note=note,
    )


__all__ = [
    "advisory_create",
    "advisory_notify_owners",
    "advisory_publish",
    "advisory_update",
    "advisory_withdraw",
    "component_create",
    "component_get",
    "component_rename",
    "diagnosis_attach",
    "diagnosis_record",
    "goodwill_grant",
    "pattern_create",
    "pattern_edit",
    "pattern_get",
    "pattern_transition",
    "rca_case_add_findings",
    "rca_case_assign",
    "rca_case_attach",
    "rca_case_close",
    "rca_case_open",
    "unit_dispose",
    "unit_retain",
]
