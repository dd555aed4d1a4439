"""The warranty, goodwill and repeat-failure policy: pure functions, tested without a database."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest

from rma import policy
from rma.policy import Analysis

D = date

# ---------------------------------------------------------------------------------------------
# warranty_end


@pytest.mark.parametrize(
    ("starts_on", "months", "expected"),
    [
        (D(2024, 3, 15), 12, D(2025, 3, 14)),
        (D(2025, 1, 1), 12, D(2025, 12, 31)),
        (D(2024, 11, 15), 3, D(2025, 2, 14)),
        (D(2024, 1, 15), 24, D(2026, 1, 14)),
        # The day before the anniversary can itself be a month end.
        (D(2024, 5, 1), 1, D(2024, 5, 31)),
        (D(2023, 3, 1), 12, D(2024, 2, 29)),
        (D(2024, 3, 1), 12, D(2025, 2, 28)),
    ],
)
def test_warranty_end_is_the_day_before_the_anniversary(starts_on, months, expected):
    assert policy.warranty_end(starts_on=starts_on, months=months) == expected


@pytest.mark.parametrize(
    ("starts_on", "months", "expected"),
    [
        # The anniversary does not exist in the last month: cover runs to the end of that month.
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 30), 1, D(2024, 2, 29)),
        (D(2024, 3, 31), 1, D(2024, 4, 30)),
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        # Bought on a leap day.
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 28)),
    ],
)
def test_warranty_end_when_the_anniversary_day_is_missing(starts_on, months, expected):
    assert policy.warranty_end(starts_on=starts_on, months=months) == expected


def test_warranty_end_never_shortens_cover_for_a_later_start():
    # given every start day over four years, including a leap year
    starts = [D(2023, 1, 1) + timedelta(days=n) for n in range(4 * 366)]

    # when
    ends = [policy.warranty_end(starts_on=day, months=12) for day in starts]

    # then the end never goes backwards, and the first day without cover is the anniversary, or
    # the first of the next month when the anniversary day does not exist
    assert all(a <= b for a, b in itertools.pairwise(ends))
    for start, end in zip(starts, ends, strict=True):
        first_uncovered = end + timedelta(days=1)
        assert first_uncovered.day in (start.day, 1), (start, end)


def test_warranty_end_adds_extension_months():
    base = policy.warranty_end(starts_on=D(2024, 3, 15), months=12)
    extended = policy.warranty_end(starts_on=D(2024, 3, 15), months=12, extension_months=6)
    assert base == D(2025, 3, 14)
    assert extended == D(2025, 9, 14)


def test_warranty_end_extension_across_a_month_end():
    assert policy.warranty_end(starts_on=D(2024, 8, 31), months=12, extension_months=6) == D(2026, 2, 28)


def test_warranty_end_is_none_while_the_unit_is_unsold():
    assert policy.warranty_end(starts_on=None, months=12) is None
    assert policy.warranty_end(starts_on=None, months=12, extension_months=3) is None


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_shorter_months(day, months, expected):
    assert policy.add_months(day, months) == expected


# ---------------------------------------------------------------------------------------------
# warranty_decide

WARRANTY_END = D(2025, 6, 30)


def test_reported_on_the_last_day_of_warranty_is_covered():
    decision = policy.warranty_decide(reported_on=WARRANTY_END, warranty_ends_on=WARRANTY_END)
    assert decision.coverage == policy.WARRANTY
    assert decision.in_warranty is True
    assert decision.code == "in_warranty"
    assert "30 Jun 2025" in decision.reason


def test_reported_the_day_after_warranty_is_not_covered():
    decision = policy.warranty_decide(reported_on=WARRANTY_END + timedelta(days=1), warranty_ends_on=WARRANTY_END)
    assert decision.coverage == policy.NONE
    assert decision.in_warranty is False
    assert decision.code == "out_of_warranty"
    assert "1 day after" in decision.reason
    assert "paid repair" in decision.reason


def test_reported_well_after_warranty_counts_the_days():
    decision = policy.warranty_decide(reported_on=WARRANTY_END + timedelta(days=45), warranty_ends_on=WARRANTY_END)
    assert decision.code == "out_of_warranty"
    assert "45 days after" in decision.reason


def test_reported_long_before_warranty_end_is_covered():
    decision = policy.warranty_decide(reported_on=D(2024, 7, 1), warranty_ends_on=WARRANTY_END)
    assert decision.coverage == policy.WARRANTY


def test_a_unit_whose_warranty_never_started_is_covered():
    decision = policy.warranty_decide(reported_on=D(2025, 1, 1), warranty_ends_on=None)
    assert decision.coverage == policy.WARRANTY
    assert decision.in_warranty is True
    assert decision.code == "warranty_not_started"


# ---------------------------------------------------------------------------------------------
# analysis_value (goodwill condition 3)


@pytest.mark.parametrize(
    ("analysis", "allowed", "code"),
    [
        (Analysis(outcome=None), False, "goodwill_not_diagnosed"),
        (Analysis(outcome="no_fault_found"), False, "goodwill_no_fault_found"),
        (Analysis(outcome="customer_damage"), False, "goodwill_customer_damage"),
        (Analysis(outcome="cause_unknown"), True, "cause_unknown"),
        (Analysis(outcome="confirmed"), True, "cause_unknown"),
        (
            Analysis(outcome="confirmed", pattern_code="FP-0012", pattern_cause_known=True, samples_still_wanted=0),
            False,
            "goodwill_cause_known",
        ),
        (
            # A root-caused pattern teaches nothing new, even if its sample count was never lowered.
            Analysis(outcome="confirmed", pattern_code="FP-0012", pattern_cause_known=True, samples_still_wanted=5),
            False,
            "goodwill_cause_known",
        ),
        (Analysis(outcome="confirmed", pattern_code="FP-0012", samples_still_wanted=3), True, "pattern_needs_samples"),
        (
            Analysis(outcome="cause_unknown", pattern_code="FP-0012", samples_still_wanted=1),
            True,
            "pattern_needs_samples",
        ),
        (
            Analysis(outcome="confirmed", pattern_code="FP-0012", samples_still_wanted=0),
            False,
            "goodwill_enough_samples",
        ),
    ],
)
def test_analysis_value(analysis, allowed, code):
    decision = policy.analysis_value(analysis)
    assert decision.allowed is allowed
    assert bool(decision) is allowed
    assert decision.code == code
    assert decision.reason


def test_analysis_value_reasons_name_the_pattern_and_the_samples():
    three = policy.analysis_value(Analysis(outcome="confirmed", pattern_code="FP-0012", samples_still_wanted=3))
    one = policy.analysis_value(Analysis(outcome="confirmed", pattern_code="FP-0012", samples_still_wanted=1))
    unknown = policy.analysis_value(Analysis(outcome="cause_unknown"))
    assert three.reason == "Pattern FP-0012 needs 3 more samples."
    assert one.reason == "Pattern FP-0012 needs 1 more sample."
    assert unknown.reason.startswith("Cause unknown")


# ---------------------------------------------------------------------------------------------
# goodwill_eligibility and goodwill_decide: the five conditions

TODAY = D(2025, 9, 1)
ELIGIBLE = {
    "reported_on": D(2025, 8, 20),
    "warranty_ends_on": D(2025, 6, 30),
    "goodwill_window_months": 6,
    "in_custody": True,
    "analysis": Analysis(outcome="cause_unknown"),
    "last_goodwill_on": None,
    "lookback_months": 12,
    "today": TODAY,
}
APPROVAL = {"approver_may_approve": True, "reason": "Loyal customer; unknown failure worth a look."}


def decide(**changes):
    return policy.goodwill_decide(**{**ELIGIBLE, **APPROVAL, **changes})


def eligibility(**changes):
    return policy.goodwill_eligibility(**{**ELIGIBLE, **changes})


def test_goodwill_all_conditions_hold_for_an_unknown_cause():
    decision = decide()
    assert decision.allowed
    assert decision.code == "cause_unknown"
    assert decision.reason.startswith("Cause unknown")
    assert eligibility() == decision


def test_goodwill_all_conditions_hold_for_a_pattern_that_needs_samples():
    analysis = Analysis(outcome="confirmed", pattern_code="FP-0012", samples_still_wanted=3)
    decision = decide(analysis=analysis)
    assert decision.allowed
    assert decision.code == "pattern_needs_samples"
    assert decision.reason == "Pattern FP-0012 needs 3 more samples."


REFUSALS = [
    pytest.param({"reported_on": D(2025, 6, 30)}, "goodwill_in_warranty", "in warranty", id="reported-on-last-day"),
    pytest.param({"reported_on": D(2025, 1, 10)}, "goodwill_in_warranty", "in warranty", id="well-in-warranty"),
    pytest.param({"warranty_ends_on": None}, "goodwill_in_warranty", "in warranty", id="warranty-not-started"),
    pytest.param(
        {"reported_on": D(2026, 1, 1), "today": D(2026, 1, 2)},
        "goodwill_outside_window",
        "goodwill window closed on 31 Dec 2025",
        id="outside-window",
    ),
    pytest.param({"in_custody": False}, "goodwill_not_in_custody", "not in the repair centre", id="not-in-custody"),
    pytest.param(
        {"analysis": Analysis(outcome="confirmed", pattern_code="FP-0007", pattern_cause_known=True)},
        "goodwill_cause_known",
        "FP-0007 is already root-caused",
        id="cause-known",
    ),
    pytest.param(
        {"analysis": Analysis(outcome="confirmed", pattern_code="FP-0007", samples_still_wanted=0)},
        "goodwill_enough_samples",
        "all the samples",
        id="enough-samples",
    ),
    pytest.param(
        {"analysis": Analysis(outcome="no_fault_found")}, "goodwill_no_fault_found", "No fault was found", id="nff"
    ),
    pytest.param(
        {"analysis": Analysis(outcome="customer_damage")}, "goodwill_customer_damage", "damage", id="customer-damage"
    ),
    pytest.param(
        {"analysis": Analysis(outcome=None)}, "goodwill_not_diagnosed", "not been diagnosed", id="no-diagnosis"
    ),
    pytest.param(
        {"last_goodwill_on": D(2025, 3, 1)},
        "goodwill_recent_grant",
        "already had a goodwill replacement on 01 Mar 2025",
        id="recent-goodwill",
    ),
    pytest.param({"approver_may_approve": False}, "goodwill_not_approver", "supervisor", id="not-approver"),
    pytest.param({"reason": ""}, "goodwill_reason_required", "reason", id="empty-reason"),
    pytest.param({"reason": "   \n"}, "goodwill_reason_required", "reason", id="blank-reason"),
]


@pytest.mark.parametrize(("changes", "code", "reason_part"), REFUSALS)
def test_goodwill_refused_when_one_condition_fails(changes, code, reason_part):
    decision = decide(**changes)
    assert not decision.allowed
    assert decision.code == code
    assert reason_part in decision.reason


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        (values, code)
        for param in REFUSALS
        for values, code, _reason in [param.values]
        if not {"approver_may_approve", "reason"} & set(values)
    ],
)
def test_eligibility_refuses_the_same_way_whoever_approves(changes, code):
    decision = eligibility(**changes)
    assert not decision.allowed
    assert decision.code == code


def test_eligibility_does_not_look_at_the_approver():
    assert eligibility().allowed
    assert not decide(approver_may_approve=False).allowed


def test_goodwill_window_edges():
    # Warranty ended 30 Jun 2025; the six-month window runs to the end of December.
    assert decide(reported_on=D(2025, 7, 1)).allowed
    assert decide(reported_on=D(2025, 12, 31), today=D(2026, 1, 5)).allowed
    assert decide(reported_on=D(2026, 1, 1), today=D(2026, 1, 5)).code == "goodwill_outside_window"


def test_goodwill_window_mid_month():
    facts = {"warranty_ends_on": D(2025, 3, 14), "today": D(2025, 9, 20)}
    assert decide(reported_on=D(2025, 9, 14), **facts).allowed
    assert decide(reported_on=D(2025, 9, 15), **facts).code == "goodwill_outside_window"


def test_goodwill_window_of_zero_months_allows_nothing_after_expiry():
    assert decide(goodwill_window_months=0).code == "goodwill_outside_window"


def test_goodwill_lookback_edges():
    # Twelve months after the last grant the customer may have another one, not a day earlier.
    assert decide(last_goodwill_on=D(2024, 9, 1)).allowed
    assert decide(last_goodwill_on=D(2024, 9, 2)).code == "goodwill_recent_grant"
    assert decide(last_goodwill_on=D(2025, 3, 1), lookback_months=6).allowed
    assert decide(last_goodwill_on=D(2025, 3, 1), lookback_months=0).allowed


def test_goodwill_first_failing_condition_gives_the_code():
    decision = decide(in_custody=False, analysis=Analysis(outcome=None), reason="")
    assert decision.code == "goodwill_not_in_custody"


def test_goodwill_decision_carries_a_plain_reason_for_every_outcome():
    for param in REFUSALS:
        changes, _code, _part = param.values
        reason = decide(**changes).reason
        assert reason.endswith(".") or reason.endswith(")")
        assert "_" not in reason


def test_goodwill_decision_is_a_value_object():
    decision = decide()
    with pytest.raises(AttributeError):
        decision.allowed = False  # type: ignore[misc]
    assert replace(decision, allowed=False).allowed is False


# ---------------------------------------------------------------------------------------------
# repeat_decide

SHIPPED = D(2025, 3, 1)


def test_not_a_repeat_when_never_shipped_before():
    decision = policy.repeat_decide(reported_on=D(2025, 3, 10), previous_shipped_on=None, window_days=90)
    assert not decision.allowed
    assert decision.code == "not_repeat"


@pytest.mark.parametrize(
    ("days", "is_repeat"), [(0, True), (1, True), (89, True), (90, True), (91, False), (400, False)]
)
def test_repeat_window_edge(days, is_repeat):
    decision = policy.repeat_decide(
        reported_on=SHIPPED + timedelta(days=days), previous_shipped_on=SHIPPED, window_days=90
    )
    assert decision.allowed is is_repeat
    assert decision.code == ("repeat_failure" if is_repeat else "not_repeat")
    assert f"{days} day" in decision.reason


def test_repeat_reason_says_it_is_covered():
    decision = policy.repeat_decide(
        reported_on=SHIPPED + timedelta(days=1), previous_shipped_on=SHIPPED, window_days=90
    )
    assert decision.reason.startswith("Repeat failure: back 1 day after")
    assert "covered whatever the warranty says" in decision.reason


def test_repeat_with_the_same_component():
    decision = policy.repeat_decide(
        reported_on=SHIPPED + timedelta(days=30),
        previous_shipped_on=SHIPPED,
        window_days=90,
        previous_component="battery",
        current_component="battery",
    )
    assert decision.allowed
    assert decision.code == "repeat_failure"


def test_not_a_repeat_with_a_different_component():
    decision = policy.repeat_decide(
        reported_on=SHIPPED + timedelta(days=30),
        previous_shipped_on=SHIPPED,
        window_days=90,
        previous_component="battery",
        current_component="display",
    )
    assert not decision.allowed
    assert decision.code == "not_repeat_other_fault"
    assert "display" in decision.reason
    assert "battery" in decision.reason


@pytest.mark.parametrize(("previous", "current"), [(None, "display"), ("battery", None), (None, None)])
def test_repeat_until_both_components_are_known(previous, current):
    decision = policy.repeat_decide(
        reported_on=SHIPPED + timedelta(days=30),
        previous_shipped_on=SHIPPED,
        window_days=90,
        previous_component=previous,
        current_component=current,
    )
    assert decision.allowed


def test_a_different_component_outside_the_window_is_simply_not_a_repeat():
    decision = policy.repeat_decide(
        reported_on=SHIPPED + timedelta(days=120),
        previous_shipped_on=SHIPPED,
        window_days=90,
        previous_component="battery",
        current_component="display",
    )
    assert decision.code == "not_repeat"
