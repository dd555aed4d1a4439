"""Writes for failure patterns: creation, edits, the status lifecycle, recurrence and thanking customers.

``pattern_transition`` is the one door for a pattern's status: it locks the row, checks the table
in ``diagnostics.lifecycle`` and what the move needs, saves, and appends a ``PatternEvent``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.actions import Action, registry
from core.actors import Actor, staff_actor
from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from core.webhooks import webhook_emit
from diagnostics import lifecycle
from diagnostics.models import Component, FailurePattern, PatternEvent
from rma import public
from rma.models import RMA, Device, OutboxMessage, Source
from rma.notifications import outbox_enqueue

MANAGE_PATTERN = "diagnostics.manage_pattern"
CHANGE_PATTERN = "diagnostics.change_failurepattern"
ADD_PATTERN = "diagnostics.add_failurepattern"

# What engineers may edit on a pattern directly; its status moves only through ``pattern_transition``.
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "component",
        "symptoms",
        "samples_wanted",
        "owner",
        "affected_models",
        "affected_lots",
        "affected_firmware",
        "root_cause",
        "corrective_action",
        "effectivity",
        "effective_from_lot",
        "effective_from_firmware",
        "effective_from_date",
        "public_summary",
    }
)
CODE_PATTERN = re.compile(r"^FP-(\d+)$")


def _require(actor: Actor, permission: str, what: str) -> None:
    user = staff_actor(actor)
    if user is None or not user.has_perm(permission):
        raise ActionNotPermitted(f"You do not have permission to {what}.")


def pattern_event_record(
    *,
    pattern: FailurePattern,
    action: str,
    actor: Actor,
    source: str,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> PatternEvent:
    return PatternEvent.objects.create(
        created_at=at or timezone.now(),
        pattern=pattern,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=staff_actor(actor),
        source=source,
        reason=reason,
        data=data or {},
    )


def _clean(name: str, value: Any) -> Any:
    if name in ("affected_lots", "affected_firmware"):
        return sorted({str(item).strip() for item in value or [] if str(item).strip()})
    if isinstance(value, str):
        return value.strip()
    return value


def _apply_fields(pattern: FailurePattern, fields: dict[str, Any]) -> list[str]:
    """Set the editable ``fields`` on ``pattern``; the names of those that changed (M2M excluded)."""
    unknown = set(fields) - EDITABLE_FIELDS
    if "status" in unknown:
        raise InvalidInput(
            "A pattern's status changes only through its lifecycle actions.", code="status_not_editable", field="status"
        )
    if unknown:
        raise InvalidInput(f"Unknown pattern fields: {', '.join(sorted(unknown))}.", code="invalid")
    if "title" in fields and not str(fields["title"] or "").strip():
        raise InvalidInput("A pattern needs a title.", code="title_required", field="title")
    changed = []
    for name, value in fields.items():
        if name == "affected_models":
            continue
        value = _clean(name, value)
        if getattr(pattern, name, None) != value:  # a new pattern has no component yet
            setattr(pattern, name, value)
            changed.append(name)
    return changed


def _next_code() -> str:
    numbers = [
        int(match.group(1))
        for match in (CODE_PATTERN.match(code) for code in FailurePattern.objects.values_list("code", flat=True))
        if match
    ]
    return f"FP-{max(numbers, default=0) + 1:04d}"


@transaction.atomic
def pattern_create(
    *,
    title: str,
    component: Component,
    code: str = "",
    actor: Actor = None,
    source: str = Source.ADMIN,
    **fields: Any,
) -> FailurePattern:
    """A new pattern in status ``new``; without a ``code`` it gets the next free FP-NNNN."""
    if actor is not None:
        _require(actor, ADD_PATTERN, "create failure patterns")
    code = code.strip().upper()
    if code and FailurePattern.objects.filter(code=code).exists():
        raise InvalidInput(f"Pattern {code} already exists.", code="pattern_exists", field="code")
    pattern = FailurePattern()
    _apply_fields(pattern, {"title": title, "component": component, **fields})
    for _attempt in range(5):
        pattern.code = code or _next_code()
        try:
            with transaction.atomic():
                pattern.save(force_insert=True)
            break
        except IntegrityError:
            if code or not FailurePattern.objects.filter(code=pattern.code).exists():
                raise
            pattern.pk = None  # another engineer took that number meanwhile: draw the next
    else:
        raise TransitionRefused("Could not draw a free pattern code; try again.", code="pattern_code_busy")
    if "affected_models" in fields:
        pattern.affected_models.set(fields["affected_models"])
    pattern_event_record(
        pattern=pattern, action="create", actor=actor, source=source, to_status=pattern.status, data={"code": code}
    )
    return pattern


@transaction.atomic
def pattern_edit(*, pattern: FailurePattern, actor: Actor, source: str, **fields: Any) -> FailurePattern:
    """Engineers' edits of a pattern's description, scope and fix; recorded in its history."""
    _require(actor, CHANGE_PATTERN, "change failure patterns")
    locked = FailurePattern.objects.select_for_update().get(pk=pattern.pk)
    if "component" in fields and fields["component"].pk != locked.component_id and locked.diagnoses.exists():
        raise TransitionRefused(
            f"Diagnoses already link {locked.code} to {locked.component}: its component cannot change.",
            code="pattern_in_use",
        )
    if locked.status == lifecycle.VERIFIED:
        # The table's invariants hold whatever is edited: a verified fix keeps its description and effectivity.
        after = {name: _clean(name, fields.get(name, getattr(locked, name))) for name in _FIX_FIELDS}
        if lifecycle.requirements_missing(registry.get("pattern", "verify"), _facts_from(after)):
            raise TransitionRefused(
                f"{locked.code} is verified: its root cause, corrective action and effectivity cannot be emptied "
                "(reopen it first).",
                code="pattern_fix_required",
            )
    emptied_cause = "root_cause" in fields and not str(fields["root_cause"] or "").strip()
    if locked.status in (lifecycle.ROOT_CAUSED, lifecycle.CORRECTIVE_ACTION) and emptied_cause:
        raise TransitionRefused(
            f"{locked.code} is root caused: its root cause cannot be emptied (reopen it first).",
            code="root_cause_required",
        )
    changed = _apply_fields(locked, fields)
    models_changed = False
    if "affected_models" in fields:
        wanted = {model.pk for model in fields["affected_models"]}
        models_changed = wanted != set(locked.affected_models.values_list("pk", flat=True))
        if models_changed:
            locked.affected_models.set(list(wanted))
    if not changed and not models_changed:
        return locked
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*changed, "updated_at"])
    pattern_event_record(
        pattern=locked,
        action="edit",
        actor=actor,
        source=source,
        data={"fields": sorted(changed + (["affected_models"] if models_changed else []))},
    )
    return locked


_FIX_FIELDS = (
    "root_cause",
    "public_summary",
    "corrective_action",
    "effective_from_lot",
    "effective_from_firmware",
    "effective_from_date",
)


def _facts_from(values: Any) -> lifecycle.PatternFacts:
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return lifecycle.PatternFacts(
        root_cause=get("root_cause") or "",
        public_summary=get("public_summary") or "",
        corrective_action=get("corrective_action") or "",
        effective_from_lot=get("effective_from_lot") or "",
        effective_from_firmware=get("effective_from_firmware") or "",
        effective_from_date=get("effective_from_date"),
    )


def _move(
    *,
    locked: FailurePattern,
    spec: Action,
    actor: Actor,
    source: str,
    reason: str,
    data: dict[str, Any],
) -> FailurePattern:
    """Check the table and the move's needs, save the new status and write the event (row already locked)."""
    from_status = locked.status
    if not spec.allowed_from(from_status):
        raise TransitionRefused(
            f"{locked.code} is {locked.get_status_display().lower()}: it cannot be moved by “{spec.label}”.",
            code="pattern_transition_not_allowed",
        )
    if spec.reason_required and not reason.strip():
        raise InvalidInput(f"“{spec.label}” needs a reason.", code="reason_required", field="reason")
    missing = lifecycle.requirements_missing(spec, _facts_from(locked))
    if missing:
        raise TransitionRefused(" ".join(refusal.message for refusal in missing), code=missing[0].code)
    now = timezone.now()
    to_status = spec.to_status or from_status  # every pattern move has a status to go to
    locked.status = to_status
    locked.status_changed_at = now
    locked.updated_at = now
    locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    event = pattern_event_record(
        pattern=locked,
        action=spec.name,
        actor=actor,
        source=source,
        from_status=from_status,
        to_status=to_status,
        reason=reason.strip(),
        data=data,
        at=now,
    )
    webhook_emit(
        "pattern.status_changed",
        {
            "code": locked.code,
            "title": locked.title,
            "status": to_status,
            "from_status": from_status,
            "action": spec.name,
            "updated_at": now,
        },
        key=f"pattern-event:{event.pk}",
        at=now,
    )
    if spec.to_status == lifecycle.ROOT_CAUSED:
        thanked = pattern_thanks_send(pattern=locked)
        if thanked:
            pattern_event_record(
                pattern=locked, action="thank_customers", actor=actor, source=source, data={"customers": thanked}
            )
    return locked


@transaction.atomic
def pattern_transition(
    *,
    pattern: FailurePattern,
    action: str,
    actor: Actor,
    source: str,
    reason: str = "",
    samples_wanted: int | None = None,
    **fields: Any,
) -> FailurePattern:
    """Move a pattern by ``action`` (declared in ``diagnostics.actions``): the only way its status changes.

    ``fields`` are edits made in the same step (the root cause with ``root_cause``, the fix and its
    effectivity with ``corrective_action``/``verify``); ``samples_wanted`` sets how many more units a
    reopened pattern asks for. Reaching ``root_caused`` thanks the customers whose units helped.
    """
    spec = registry.find("pattern", action)
    if spec is None:
        raise InvalidInput(f"Unknown pattern action “{action}”.", code="invalid_action", field="action")
    spec.check_permission(actor, source)
    if fields:
        pattern = pattern_edit(pattern=pattern, actor=actor, source=source, **fields)
    locked = FailurePattern.objects.select_for_update().get(pk=pattern.pk)
    data: dict[str, Any] = {}
    if samples_wanted is not None:
        if samples_wanted < 0:
            raise InvalidInput("Samples wanted cannot be negative.", code="invalid_samples", field="samples_wanted")
        if spec.to_status != lifecycle.INVESTIGATING:
            raise InvalidInput(
                "Samples are asked for while investigating.", code="samples_need_investigation", field="samples_wanted"
            )
        data["samples_wanted"] = {"from": locked.samples_wanted, "to": samples_wanted}
        locked.samples_wanted = samples_wanted
        locked.save(update_fields=["samples_wanted"])
    return _move(locked=locked, spec=spec, actor=actor, source=source, reason=reason, data=data)


def pattern_fix_applies(pattern: FailurePattern, device: Device) -> bool | None:
    return lifecycle.fix_applies(
        lot=device.lot,
        firmware=device.firmware_version,
        built_on=device.manufactured_on,
        from_lot=pattern.effective_from_lot,
        from_firmware=pattern.effective_from_firmware,
        from_date=pattern.effective_from_date,
    )


def pattern_recurrence_check(*, pattern: FailurePattern, rma: RMA, actor: Actor, source: str) -> FailurePattern:
    """Reopen a fixed pattern when a confirmed failure of it shows on a unit that has the fix.

    A failure on a unit built before the fix is expected and changes nothing. The reopening is the
    system's rule, so it needs no engineer's permission; the technician whose diagnosis caused it
    is recorded.
    """
    locked = FailurePattern.objects.select_for_update().get(pk=pattern.pk)
    if locked.status not in lifecycle.FIX_STATUSES:
        return locked
    device = rma.device
    if not pattern_fix_applies(locked, device):
        return locked
    where = ", ".join(
        part
        for part in (
            f"lot {device.lot}" if device.lot else "",
            f"firmware {device.firmware_version}" if device.firmware_version else "",
            f"built {device.manufactured_on:%d %b %Y}" if device.manufactured_on else "",
        )
        if part
    )
    reason = (
        f"Recurrence after the fix: {rma.number}, unit {device.serial_number} ({where}) failed the same way "
        f"although the fix applies to it ({effectivity_text(locked)})."
    )
    return _move(
        locked=locked,
        spec=registry.get("pattern", "reopen"),
        actor=actor,
        source=source,
        reason=reason,
        data={"rma": rma.number, "serial_number": device.serial_number, "automatic": True},
    )


def effectivity_text(pattern: FailurePattern) -> str:
    parts = []
    if pattern.effective_from_lot:
        parts.append(f"from lot {pattern.effective_from_lot}")
    if pattern.effective_from_firmware:
        parts.append(f"from firmware {pattern.effective_from_firmware}")
    if pattern.effective_from_date:
        parts.append(f"built from {pattern.effective_from_date:%d %b %Y}")
    return ", or ".join(parts) or "no effectivity given"


# Thanking the customers whose units helped ---------------------------------------------------------


def contributing_rmas(pattern: FailurePattern):
    """Returns whose failed unit was kept for analysis and helped find ``pattern``'s cause.

    A unit helped when its root-cause case concluded on the pattern, or, while its case names no
    pattern, when its diagnosis linked the pattern. A unit counts once it was retained (from the
    custody history), even if it has been scrapped since.
    """
    retained = RMA.objects.filter(custody_changes__to_disposition=RMA.Disposition.RETAINED_FOR_RCA).values("pk")
    return (
        RMA.objects.filter(pk__in=retained, customer__isnull=False)
        .filter(Q(rca_case__pattern=pattern) | Q(rca_case__pattern__isnull=True, diagnoses__pattern=pattern))
        .distinct()
        .select_related("customer", "device__product_model")
        .order_by("created_at", "pk")
    )


def pattern_thanks_send(*, pattern: FailurePattern) -> int:
    """Queue a thank-you e-mail with the public summary to each customer whose unit helped: once per
    customer and pattern, however often the pattern is root-caused. Returns how many were queued now."""
    queued = 0
    seen: set[int] = set()
    for rma in contributing_rmas(pattern):
        customer = rma.customer
        if customer is None or customer.pk in seen:
            continue
        seen.add(customer.pk)
        key = f"pattern-thanks:{pattern.pk}:{customer.pk}"
        if OutboxMessage.objects.filter(key=key).exists():
            continue  # thanked when the pattern was root-caused before
        outbox_enqueue(
            customer=customer,
            template="pattern_thanks",
            context={
                "pattern_code": pattern.code,
                "public_summary": pattern.public_summary,
                "device": public.unit_phrase(rma.device),
            },
            key=key,
            rma=rma,
        )
        queued += 1
    return queued
