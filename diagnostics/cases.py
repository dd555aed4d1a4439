"""Root-cause cases: one for every unit retained for analysis, worked by an engineer until its conclusion.

Closing a case is what allows its unit to be scrapped (``diagnostics.services.unit_dispose``).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.actions import registry
from core.actors import Actor, staff_actor
from core.exceptions import InvalidInput, TransitionRefused
from diagnostics.attachments import attachment_check
from diagnostics.models import CaseAttachment, Component, FailurePattern, RootCauseCase
from diagnostics.patterns import pattern_create, pattern_event_record
from diagnostics.selectors import latest_diagnosis
from rma.models import RMA, Source

WORK_ON_CASES = "diagnostics.change_rootcausecase"


def _require(actor: Actor, action: str) -> User:
    """The signed-in engineer doing ``action`` (declared in ``diagnostics.actions``), else refused."""
    registry.get("case", action).check_permission(actor)
    return cast(User, staff_actor(actor))


def _lock_open(case: RootCauseCase) -> RootCauseCase:
    locked = RootCauseCase.objects.select_for_update().get(pk=case.pk)
    if locked.status == RootCauseCase.Status.CLOSED:
        raise TransitionRefused(f"The case of {locked.rma} is closed.", code="case_closed")
    return locked


def default_engineer(rma: RMA) -> User | None:
    """Who a new case goes to: the owner of the pattern the unit was diagnosed with, if any."""
    diagnosis = latest_diagnosis(rma.pk)
    pattern = diagnosis.pattern if diagnosis is not None else None
    owner = pattern.owner if pattern is not None else None
    if owner is not None and owner.is_active and owner.has_perm(WORK_ON_CASES):
        return owner
    return None


def rca_case_open(*, rma: RMA) -> RootCauseCase:
    """The root-cause case of a retained unit, opened on the first call and found again on the next.

    Called inside the retention's transaction with the RMA row locked, and the RMA is unique on the
    case, so however a unit comes to be retained it has exactly one case.
    """
    case = RootCauseCase.objects.filter(rma=rma).first()
    if case is not None:
        return case
    engineer = default_engineer(rma)
    case, _ = RootCauseCase.objects.get_or_create(
        rma=rma,
        defaults={
            "device_id": rma.device_id,
            "engineer": engineer,
            "opened_at": timezone.now(),
            "assigned_at": timezone.now() if engineer else None,
        },
    )
    return case


@transaction.atomic
def rca_case_assign(*, case: RootCauseCase, actor: Actor, engineer: User | None) -> RootCauseCase:
    """Give the case to an engineer (or take it back with ``None``)."""
    _require(actor, "assign")
    locked = _lock_open(case)
    if engineer is not None and (not engineer.is_active or not engineer.has_perm(WORK_ON_CASES)):
        raise InvalidInput(f"{engineer} is not an engineer.", code="not_an_engineer", field="engineer")
    if locked.engineer_id == (engineer.pk if engineer else None):
        return locked
    locked.engineer = engineer
    locked.assigned_at = timezone.now() if engineer else None
    locked.save(update_fields=["engineer", "assigned_at"])
    return locked


@transaction.atomic
def rca_case_add_findings(*, case: RootCauseCase, actor: Actor, text: str) -> RootCauseCase:
    """Append a dated, signed entry to the case's findings."""
    user = _require(actor, "add_findings")
    if not text.strip():
        raise InvalidInput("Write what you found.", code="findings_required", field="text")
    locked = _lock_open(case)
    stamp = timezone.localtime(timezone.now())
    entry = f"{stamp:%d %b %Y %H:%M}, {user.get_full_name() or user.get_username()}:\n{text.strip()}"
    locked.findings = f"{locked.findings.rstrip()}\n\n{entry}" if locked.findings.strip() else entry
    fields = ["findings"]
    if locked.engineer_id is None:
        locked.engineer, locked.assigned_at = user, timezone.now()
        fields += ["engineer", "assigned_at"]
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def rca_case_attach(*, case: RootCauseCase, actor: Actor, file: UploadedFile, kind: str) -> CaseAttachment:
    """Store a photo, log or report on an open case under a generated name (size and type checked)."""
    user = _require(actor, "attach")
    if kind not in CaseAttachment.Kind.values:
        raise InvalidInput(f"Unknown attachment kind “{kind}”.", code="invalid_kind", field="kind")
    checked = attachment_check(file)
    locked = _lock_open(case)
    original_name = (file.name or "")[-255:]
    file.name = f"upload{checked.suffix}"  # the stored name is generated; only its suffix comes from the content
    return CaseAttachment.objects.create(
        case=locked,
        kind=kind,
        file=file,
        original_name=original_name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=user,
    )


@transaction.atomic
def rca_case_close(
    *,
    case: RootCauseCase,
    actor: Actor,
    conclusion: str,
    pattern: FailurePattern | None = None,
    new_pattern: dict[str, Any] | None = None,
    source: str = Source.ADMIN,
) -> RootCauseCase:
    """Close the case with its conclusion, linking an existing pattern or creating one.

    ``new_pattern`` holds ``title`` and ``component`` (and optionally ``symptoms`` and the other
    editable pattern fields); the new pattern gets the next free code. A case may also close on
    no pattern (a one-off failure). Closing lets the unit be scrapped.
    """
    user = _require(actor, "close")
    if not conclusion.strip():
        raise InvalidInput("Closing a case needs a conclusion.", code="conclusion_required", field="conclusion")
    if pattern is not None and new_pattern is not None:
        raise InvalidInput("Link a pattern or create one, not both.", code="pattern_ambiguous", field="pattern")
    locked = _lock_open(case)
    if new_pattern is not None:
        fields = dict(new_pattern)
        title, component = fields.pop("title", ""), fields.pop("component", None)
        if not isinstance(component, Component):
            raise InvalidInput("A new pattern needs a component.", code="component_required", field="component")
        fields.setdefault("owner", user)
        pattern = pattern_create(title=title, component=component, actor=actor, source=source, **fields)
    locked.status = RootCauseCase.Status.CLOSED
    locked.conclusion = conclusion.strip()
    locked.closed_at = timezone.now()
    locked.closed_by = user
    if pattern is not None:
        locked.pattern = pattern
    if locked.engineer_id is None:
        locked.engineer, locked.assigned_at = user, locked.closed_at
    locked.save(update_fields=["status", "conclusion", "closed_at", "closed_by", "pattern", "engineer", "assigned_at"])
    if pattern is not None:
        pattern_event_record(
            pattern=pattern,
            action="case_concluded",
            actor=actor,
            source=source,
            reason=locked.conclusion,
            data={"rma": locked.rma.number, "case": locked.pk, "created": new_pattern is not None},
        )
    return locked
