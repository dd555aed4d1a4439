"""Warranty, goodwill and repeat-failure policy.

Pure functions: every fact is passed in, nothing touches the database. Each decision carries a
stable ``code`` and a plain-language ``reason`` that the services store on the RMA event.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

WARRANTY = "warranty"
GOODWILL = "goodwill"
PROGRAMME = "programme"
PAID = "paid"
NONE = "none"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class CoverageDecision:
    coverage: str
    in_warranty: bool
    code: str
    reason: str
    programme: str = ""  # the service programme's code when ``coverage`` is ``programme``


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of shorter months (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(starts_on: date, months: int) -> date:
    """The last day of a period of ``months`` that starts on ``starts_on`` (counted in).

    The day before the anniversary of the start; when the last month has no such day (a period
    from 31 January, or from 29 February), the period runs to the end of that month.
    """
    anniversary = add_months(starts_on, months)
    if anniversary.day != starts_on.day:
        return anniversary  # clamped to the month's last day: the missing day falls after it
    return anniversary - timedelta(days=1)


def warranty_end(*, starts_on: date | None, months: int, extension_months: int = 0) -> date | None:
    """The last day of cover: the day before the anniversary of the start. None while the unit is unsold."""
    if starts_on is None:
        return None
    return period_end(starts_on, months + extension_months)


def warranty_decide(*, reported_on: date, warranty_ends_on: date | None) -> CoverageDecision:
    """In warranty when the fault was reported on or before the warranty end."""
    if warranty_ends_on is None:
        return CoverageDecision(
            coverage=WARRANTY,
            in_warranty=True,
            code="warranty_not_started",
            reason="The unit has no recorded ship or purchase date, so its warranty has not started running.",
        )
    if reported_on <= warranty_ends_on:
        return CoverageDecision(
            coverage=WARRANTY,
            in_warranty=True,
            code="in_warranty",
            reason=f"Reported on {reported_on:%d %b %Y}, within the warranty that runs to {warranty_ends_on:%d %b %Y}.",
        )
    days = (reported_on - warranty_ends_on).days
    return CoverageDecision(
        coverage=NONE,
        in_warranty=False,
        code="out_of_warranty",
        reason=(
            f"Reported on {reported_on:%d %b %Y}, {days} day{'s' if days != 1 else ''} after the warranty "
            f"ended on {warranty_ends_on:%d %b %Y}: a paid repair can be quoted."
        ),
    )


# Service programmes (SPEC §11) ---------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeCover:
    """An active service programme the unit is eligible for, as facts for the policy."""

    code: str
    pattern_code: str
    covered_until: date


@dataclass(frozen=True)
class ProgrammeFacts:
    """What the diagnosis found, and the programmes that cover the unit."""

    outcome: str | None
    pattern_code: str | None
    pattern_confirmed: bool
    programmes: Sequence[ProgrammeCover] = field(default_factory=tuple)


def programme_covered_until(
    *, warranty_starts_on: date | None, coverage_years: int | None, covered_until: date | None
) -> date | None:
    """The last day a programme covers a unit: a fixed day, or years from the unit's warranty start.

    None when the programme counts from a warranty start the unit does not have (it is not in service).
    """
    if covered_until is not None:
        return covered_until
    if coverage_years is None or warranty_starts_on is None:
        return None
    return period_end(warranty_starts_on, 12 * coverage_years)


def programme_decide(*, reported_on: date, warranty_covers: bool, facts: ProgrammeFacts) -> CoverageDecision | None:
    """Programme cover, or None when no programme covers this return.

    A return is covered by a programme when the diagnosis confirmed the programme's pattern and the
    fault was reported within the programme's period for this unit. A programme never takes away
    cover the warranty gives: when the warranty covers, the warranty decides.
    """
    if warranty_covers:
        return None
    if facts.outcome != "confirmed" or not facts.pattern_confirmed or not facts.pattern_code:
        return None
    matching = [cover for cover in facts.programmes if cover.pattern_code == facts.pattern_code]
    for cover in sorted(matching, key=lambda cover: (-cover.covered_until.toordinal(), cover.code)):
        if reported_on <= cover.covered_until:
            return CoverageDecision(
                coverage=PROGRAMME,
                in_warranty=False,
                code="service_programme",
                reason=(
                    f"Service programme {cover.code}: the diagnosis confirmed pattern {facts.pattern_code}, "
                    f"which the programme covers free on this unit until {cover.covered_until:%d %b %Y}."
                ),
                programme=cover.code,
            )
    return None


@dataclass(frozen=True)
class Analysis:
    """What the latest diagnosis says about the failure, as facts for the goodwill policy."""

    outcome: str | None  # confirmed, no_fault_found, customer_damage, cause_unknown; None if not diagnosed
    pattern_code: str | None = None
    pattern_cause_known: bool = False  # the pattern is root-caused or further along
    samples_still_wanted: int = 0  # how many more units the pattern's engineers want


def analysis_value(analysis: Analysis) -> Decision:
    """Condition 3: is the failed unit worth keeping for root-cause analysis?"""
    if analysis.outcome is None:
        return Decision(False, "goodwill_not_diagnosed", "The unit has not been diagnosed yet.")
    if analysis.outcome == "no_fault_found":
        return Decision(False, "goodwill_no_fault_found", "No fault was found, so there is nothing to analyse.")
    if analysis.outcome == "customer_damage":
        return Decision(False, "goodwill_customer_damage", "The failure was caused by damage, not by the product.")
    if analysis.pattern_code is None:
        return Decision(True, "cause_unknown", "Cause unknown: no known failure pattern matches this unit.")
    if analysis.pattern_cause_known:
        return Decision(
            False,
            "goodwill_cause_known",
            f"Pattern {analysis.pattern_code} is already root-caused; this unit would teach us nothing new.",
        )
    if analysis.samples_still_wanted > 0:
        n = analysis.samples_still_wanted
        return Decision(
            True,
            "pattern_needs_samples",
            f"Pattern {analysis.pattern_code} needs {n} more sample{'s' if n != 1 else ''}.",
        )
    return Decision(
        False,
        "goodwill_enough_samples",
        f"Pattern {analysis.pattern_code} is under investigation but has all the samples it asked for.",
    )


def goodwill_eligibility(
    *,
    reported_on: date,
    warranty_ends_on: date | None,
    goodwill_window_months: int,
    in_custody: bool,
    analysis: Analysis,
    last_goodwill_on: date | None,
    lookback_months: int,
    today: date,
) -> Decision:
    """Conditions 1 to 4 of the goodwill policy: whether the unit is eligible, whoever approves."""
    if warranty_ends_on is None or reported_on <= warranty_ends_on:
        return Decision(False, "goodwill_in_warranty", "The unit is in warranty: replace it under warranty instead.")
    # The window is a period of its own, starting the day after the warranty ended.
    window_ends_on = period_end(warranty_ends_on + timedelta(days=1), goodwill_window_months)
    if reported_on > window_ends_on:
        return Decision(
            False,
            "goodwill_outside_window",
            f"Reported on {reported_on:%d %b %Y}, after the goodwill window closed on {window_ends_on:%d %b %Y} "
            f"({goodwill_window_months} months after warranty expiry).",
        )
    if not in_custody:
        return Decision(
            False, "goodwill_not_in_custody", "The failed unit is not in the repair centre, so it cannot be kept."
        )
    value = analysis_value(analysis)
    if not value:
        return value
    if last_goodwill_on is not None and today < add_months(last_goodwill_on, lookback_months):
        return Decision(
            False,
            "goodwill_recent_grant",
            f"The customer already had a goodwill replacement on {last_goodwill_on:%d %b %Y} "
            f"(at most one every {lookback_months} months).",
        )
    return value


def goodwill_decide(
    *,
    reported_on: date,
    warranty_ends_on: date | None,
    goodwill_window_months: int,
    in_custody: bool,
    analysis: Analysis,
    last_goodwill_on: date | None,
    lookback_months: int,
    today: date,
    approver_may_approve: bool,
    reason: str,
) -> Decision:
    """All five goodwill conditions; the first that fails gives the refusal its code and reason."""
    eligibility = goodwill_eligibility(
        reported_on=reported_on,
        warranty_ends_on=warranty_ends_on,
        goodwill_window_months=goodwill_window_months,
        in_custody=in_custody,
        analysis=analysis,
        last_goodwill_on=last_goodwill_on,
        lookback_months=lookback_months,
        today=today,
    )
    if not eligibility:
        return eligibility
    if not approver_may_approve:
        return Decision(False, "goodwill_not_approver", "Only a supervisor can approve a goodwill replacement.")
    if not reason.strip():
        return Decision(False, "goodwill_reason_required", "The approver must give a reason for the goodwill grant.")
    return eligibility


def repeat_decide(
    *,
    reported_on: date,
    previous_shipped_on: date | None,
    window_days: int,
    previous_component: str | None = None,
    current_component: str | None = None,
) -> Decision:
    """A unit back within ``window_days`` of being shipped is a repeat failure.

    Before diagnosis the components are unknown and the return is treated as a repeat; once both
    are known, only the same fault (the same failed component) counts.
    """
    if previous_shipped_on is None:
        return Decision(False, "not_repeat", "The unit has not been back to us before.")
    days = (reported_on - previous_shipped_on).days
    if days > window_days:
        return Decision(False, "not_repeat", f"Back {days} days after we shipped it, more than {window_days}.")
    if previous_component and current_component and previous_component != current_component:
        return Decision(
            False,
            "not_repeat_other_fault",
            f"Back {days} days after we shipped it, but with a different fault ({current_component}, "
            f"previously {previous_component}).",
        )
    return Decision(
        True,
        "repeat_failure",
        f"Repeat failure: back {days} day{'s' if days != 1 else ''} after we shipped it; "
        "covered whatever the warranty says.",
    )


# Compensation -----------------------------------------------------------------------------------

NO_COMPENSATION = "none"
EXTENDED_WARRANTY = "extended_warranty"
SERVICE_CREDIT = "service_credit"


@dataclass(frozen=True)
class Promise:
    """A date we gave the customer, and the day we kept it (None while it is still open)."""

    what: str
    due_on: date
    kept_on: date | None


def days_late(*, promises: list[Promise], today: date) -> int:
    """How many days longer than we said the customer waited, over all the promises we made."""
    return sum(max(((promise.kept_on or today) - promise.due_on).days, 0) for promise in promises)


@dataclass(frozen=True)
class CompensationRule:
    """How compensation scales with the harm (from settings; defaults: a month of warranty a week late)."""

    kind: str = EXTENDED_WARRANTY
    months_per_week: int = 1
    max_months: int = 6
    credit_per_week: Decimal = Decimal("10.00")
    max_credit: Decimal = Decimal("60.00")
    grace_days: int = 0


@dataclass(frozen=True)
class CompensationSuggestion:
    kind: str
    months: int
    amount: Decimal
    days_late: int
    repeat_failure: bool
    code: str
    reason: str

    def __bool__(self) -> bool:
        return self.kind != NO_COMPENSATION


def compensation_suggest(*, days_late: int, repeat_failure: bool, rule: CompensationRule) -> CompensationSuggestion:
    """Compensation in proportion to the harm.

    Every started week beyond the promised dates (after ``grace_days``) earns ``months_per_week`` of
    extended warranty (or ``credit_per_week`` of service credit); a repeat failure adds one week's
    worth, so it always earns at least a month. Both are capped.
    """
    late = max(days_late - rule.grace_days, 0)
    weeks = -(-late // 7)  # every started week counts
    units = weeks + (1 if repeat_failure else 0)
    if units == 0:
        return CompensationSuggestion(
            NO_COMPENSATION, 0, Decimal("0.00"), days_late, repeat_failure, "on_time", "We kept the dates we gave."
        )
    harms = []
    if weeks:
        harms.append(f"{days_late} day{'s' if days_late != 1 else ''} later than we said")
    if repeat_failure:
        harms.append("a repeat failure")
    harm = " and ".join(harms)
    if rule.kind == SERVICE_CREDIT:
        amount = min(rule.credit_per_week * units, rule.max_credit).quantize(Decimal("0.01"))
        return CompensationSuggestion(
            SERVICE_CREDIT,
            0,
            amount,
            days_late,
            repeat_failure,
            "late_or_repeat",
            f"{harm.capitalize()}: a service credit of {amount}.",
        )
    months = min(rule.months_per_week * units, rule.max_months)
    return CompensationSuggestion(
        EXTENDED_WARRANTY,
        months,
        Decimal("0.00"),
        days_late,
        repeat_failure,
        "late_or_repeat",
        f"{harm.capitalize()}: {months} month{'s' if months != 1 else ''} of extended warranty.",
    )
