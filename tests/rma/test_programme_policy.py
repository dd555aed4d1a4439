"""Programme cover in the pure warranty policy (SPEC §11): no database."""

from __future__ import annotations

import datetime as dt

from rma import policy

DAY = dt.date(2026, 3, 1)
COVER = policy.ProgrammeCover(code="SP-0003", pattern_code="FP-0001", covered_until=dt.date(2027, 1, 31))


def facts(**fields):
    return policy.ProgrammeFacts(
        **{
            "outcome": "confirmed",
            "pattern_code": "FP-0001",
            "pattern_confirmed": True,
            "programmes": [COVER],
            **fields,
        }
    )


def test_confirmed_pattern_within_the_period_is_covered_by_the_programme():
    decision = policy.programme_decide(reported_on=DAY, warranty_covers=False, facts=facts())
    assert decision is not None
    assert (decision.coverage, decision.programme, decision.code) == ("programme", "SP-0003", "service_programme")
    assert decision.reason.startswith("Service programme SP-0003")


def test_no_programme_cover_for_another_pattern_a_suspicion_or_another_outcome():
    assert policy.programme_decide(reported_on=DAY, warranty_covers=False, facts=facts(pattern_code="FP-0002")) is None
    assert policy.programme_decide(reported_on=DAY, warranty_covers=False, facts=facts(pattern_confirmed=False)) is None
    assert policy.programme_decide(reported_on=DAY, warranty_covers=False, facts=facts(outcome="cause_unknown")) is None
    assert policy.programme_decide(reported_on=DAY, warranty_covers=False, facts=facts(programmes=[])) is None


def test_the_warranty_wins_when_it_covers():
    assert policy.programme_decide(reported_on=DAY, warranty_covers=True, facts=facts()) is None


def test_outside_the_period_is_not_covered():
    late = dt.date(2027, 2, 1)
    assert policy.programme_decide(reported_on=late, warranty_covers=False, facts=facts()) is None
    assert policy.programme_decide(reported_on=COVER.covered_until, warranty_covers=False, facts=facts()) is not None


def test_the_longest_cover_decides_between_two_programmes():
    longer = policy.ProgrammeCover(code="SP-0009", pattern_code="FP-0001", covered_until=dt.date(2028, 1, 1))
    decision = policy.programme_decide(reported_on=DAY, warranty_covers=False, facts=facts(programmes=[COVER, longer]))
    assert decision is not None and decision.programme == "SP-0009"


def test_covered_until_a_fixed_day_or_years_from_the_warranty_start():
    start = dt.date(2024, 5, 10)
    assert policy.programme_covered_until(warranty_starts_on=start, coverage_years=3, covered_until=None) == dt.date(
        2027, 5, 9
    )
    fixed = dt.date(2026, 12, 31)
    assert policy.programme_covered_until(warranty_starts_on=None, coverage_years=None, covered_until=fixed) == fixed
    assert policy.programme_covered_until(warranty_starts_on=None, coverage_years=3, covered_until=None) is None
