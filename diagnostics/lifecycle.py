"""The failure-pattern status table (SPEC §6), what each move needs, and where a fix applies.

Pure: no database access. ``diagnostics.patterns.pattern_transition`` is the one place that applies it.

    new → investigating → root_caused → corrective_action → verified → closed

A pattern goes back to ``investigating`` when what was believed turns out wrong (the root cause, or
a fix that did not hold), or when the failure recurs on a unit that already has the fix. A pattern
that is not one (a duplicate, a one-off) may be closed early, with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

NEW = "new"
INVESTIGATING = "investigating"
ROOT_CAUSED = "root_caused"
CORRECTIVE_ACTION = "corrective_action"
VERIFIED = "verified"
CLOSED = "closed"

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({INVESTIGATING, CLOSED}),
    INVESTIGATING: frozenset({ROOT_CAUSED, CLOSED}),
    ROOT_CAUSED: frozenset({CORRECTIVE_ACTION, INVESTIGATING}),
    CORRECTIVE_ACTION: frozenset({VERIFIED, INVESTIGATING}),
    VERIFIED: frozenset({CLOSED, INVESTIGATING}),
    CLOSED: frozenset({INVESTIGATING}),
}

# Statuses in which a fix exists: a failure on a unit that has it is a recurrence.
FIX_STATUSES = frozenset({CORRECTIVE_ACTION, VERIFIED, CLOSED})


class Move(Protocol):
    """A pattern move as ``diagnostics.actions`` declares it."""

    @property
    def name(self) -> str: ...

    @property
    def to_status(self) -> str | None: ...


@dataclass(frozen=True)
class PatternFacts:
    """What the checks of a move look at."""

    root_cause: str
    public_summary: str
    corrective_action: str
    effective_from_lot: str = ""
    effective_from_firmware: str = ""
    effective_from_date: date | None = None

    @property
    def has_effectivity(self) -> bool:
        return bool(self.effective_from_lot.strip() or self.effective_from_firmware.strip() or self.effective_from_date)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def requirements_missing(action: Move, facts: PatternFacts) -> list[Refusal]:
    """What the pattern lacks for ``action``: empty when it may move."""
    missing: list[Refusal] = []
    needs_cause = action.to_status in (ROOT_CAUSED, CORRECTIVE_ACTION, VERIFIED) or action.name == "close"
    if needs_cause and not facts.root_cause.strip():
        missing.append(Refusal("root_cause_required", "Write down the root cause first."))
    if action.to_status == ROOT_CAUSED and not facts.public_summary.strip():
        missing.append(
            Refusal(
                "public_summary_required",
                "Write the public summary first: customers who sent their unit are thanked with it.",
            )
        )
    if action.to_status in (CORRECTIVE_ACTION, VERIFIED) and not facts.corrective_action.strip():
        missing.append(Refusal("corrective_action_required", "Describe the corrective action first."))
    if action.to_status == VERIFIED and not facts.has_effectivity:
        missing.append(
            Refusal(
                "effectivity_required",
                "Say where the fix applies (from which lot, firmware version or build date) before verifying it.",
            )
        )
    return missing


# Where a fix applies ----------------------------------------------------------------------------------


def version_key(value: str) -> tuple:
    """Order lots and firmware versions naturally: 1.10 after 1.9, L2510 after L2509."""
    parts = re.findall(r"\d+|[A-Za-z]+", value.strip())
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in parts)


def fix_applies(
    *,
    lot: str,
    firmware: str,
    built_on: date | None,
    from_lot: str = "",
    from_firmware: str = "",
    from_date: date | None = None,
) -> bool | None:
    """Whether a unit has the fix: from the effective lot on, the effective firmware on, or built after the date.

    Any one is enough (a hardware fix from a lot, or a firmware fix installed later). ``None`` when
    the pattern gives no effectivity, or the unit lacks the facts to tell.
    """
    answers: list[bool] = []
    if from_lot.strip() and lot.strip():
        answers.append(version_key(lot) >= version_key(from_lot))
    if from_firmware.strip() and firmware.strip():
        answers.append(version_key(firmware) >= version_key(from_firmware))
    if from_date is not None and built_on is not None:
        answers.append(built_on >= from_date)
    if not answers:
        return None
    return any(answers)
