"""Engineers' work on fault signals: acknowledge, link to a failure pattern, dismiss.

The detection scan (``diagnostics.detection.scan``) raises and updates signals; these services are
the only other writers of a signal, and the only ones that change its status. Each locks the row,
checks the move against ``MOVES``, and records who did it and when.

One fault, one family (SPEC §7): a move on a family's leader is the move of the whole family, so its
members (the broader cells counting the same failures) follow, each where its own status allows the
move. The member's note says whose move it followed.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.actions import registry
from core.actors import Actor, staff_actor
from core.exceptions import InvalidInput, TransitionRefused
from diagnostics.models import FailurePattern, FaultSignal
from diagnostics.patterns import pattern_event_record
from rma.models import Source

S = FaultSignal.Status


def fault_signal_actions(signal: FaultSignal) -> list[str]:
    """The actions that the signal's status allows (permissions aside), as ``diagnostics.actions`` declares them."""
    return [action.name for action in registry.of("signal") if action.allowed_for(signal)]


def _require(actor: Actor, action: str) -> User:
    registry.get("signal", action).check_permission(actor)
    return cast(User, staff_actor(actor))  # checked above: only signed-in engineers work signals


def _lock(signal: FaultSignal, action: str) -> FaultSignal:
    locked = FaultSignal.objects.select_for_update().select_related("product_model", "component").get(pk=signal.pk)
    if not registry.get("signal", action).allowed_for(locked):
        done = {"acknowledge": "acknowledged", "link": "linked", "dismiss": "dismissed"}[action]
        raise TransitionRefused(
            f"A signal that is {locked.get_status_display().lower()} cannot be {done}.",
            code="signal_transition_not_allowed",
        )
    return locked


def _members(leader: FaultSignal, action: str) -> list[FaultSignal]:
    """The leader's family members the move applies to, locked (those whose status allows it)."""
    if leader.family_id is not None:
        return []
    members = FaultSignal.objects.select_for_update().filter(family=leader).order_by("pk")
    spec = registry.get("signal", action)
    return [member for member in members.select_related("product_model", "component") if spec.allowed_for(member)]


def _followed(note: str | None, leader: FaultSignal) -> str:
    return f"With its family's leader, {leader.cell_label}." + (f" {note}" if note else "")


def _save(signal: FaultSignal, user: User, *, status: str, note: str | None = None) -> FaultSignal:
    signal.status = status
    signal.status_changed_by = user
    signal.status_changed_at = timezone.now()
    fields = ["status", "pattern", "status_changed_by", "status_changed_at"]
    if note is not None:
        signal.note = note
        fields.append("note")
    signal.save(update_fields=fields)
    return signal


@transaction.atomic
def fault_signal_acknowledge(*, signal: FaultSignal, actor: Actor, note: str = "") -> FaultSignal:
    """An engineer has seen the signal and is looking into it."""
    user = _require(actor, "acknowledge")
    locked = _lock(signal, "acknowledge")
    for member in _members(locked, "acknowledge"):
        _save(member, user, status=S.ACKNOWLEDGED, note=_followed(note.strip(), locked))
    return _save(locked, user, status=S.ACKNOWLEDGED, note=note.strip() or None)


@transaction.atomic
def fault_signal_link(
    *, signal: FaultSignal, pattern: FailurePattern, actor: Actor, note: str = "", source: str = Source.ADMIN
) -> FaultSignal:
    """The signal is explained by ``pattern`` (of the same component); the pattern's history says so."""
    user = _require(actor, "link")
    locked = _lock(signal, "link")
    if pattern.component_id != locked.component_id:
        raise InvalidInput(
            f"{pattern.code} is a pattern of another component than the signal's ({locked.component.code}).",
            code="pattern_component_mismatch",
            field="pattern",
        )
    followers = []
    for member in _members(locked, "link"):
        if member.component_id == pattern.component_id and member.pattern_id != pattern.pk:
            member.pattern = pattern
            _save(member, user, status=S.LINKED, note=_followed(note.strip(), locked))
            followers.append(member.pk)
    if locked.pattern_id == pattern.pk:
        return locked
    locked.pattern = pattern
    _save(locked, user, status=S.LINKED, note=note.strip() or None)
    pattern_event_record(
        pattern=pattern,
        action="fault_signal_linked",
        actor=user,
        source=source,
        reason=note.strip(),
        data={
            "signal": locked.pk,
            "cell": locked.cell_label,
            "observed": locked.observed,
            "expected": round(locked.expected, 2),
            "first_detected_on": locked.first_detected_on.isoformat(),
            "family": followers,
        },
    )
    return locked


@transaction.atomic
def fault_signal_dismiss(*, signal: FaultSignal, actor: Actor, reason: str) -> FaultSignal:
    """Not a fault (a data problem, a known effect, chance): the reason is kept with the signal.

    A dismissed signal stays, so the same cell is never raised again; later scans still update its figures.
    """
    user = _require(actor, "dismiss")
    if not reason.strip():
        raise InvalidInput("Say why the signal is dismissed.", code="reason_required", field="reason")
    locked = _lock(signal, "dismiss")
    for member in _members(locked, "dismiss"):
        member.pattern = None
        _save(member, user, status=S.DISMISSED, note=_followed(reason.strip(), locked))
    locked.pattern = None
    return _save(locked, user, status=S.DISMISSED, note=reason.strip())
