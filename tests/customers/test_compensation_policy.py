"""Compensation in proportion to the harm: the pure policy (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from rma.policy import CompensationRule, Promise, compensation_suggest, days_late

RULE = CompensationRule()
D = dt.date


@pytest.mark.parametrize(
    ("late", "months"),
    [(0, 0), (1, 1), (7, 1), (8, 2), (14, 2), (15, 3), (35, 5), (36, 6), (200, 6)],
)
def test_a_month_of_extended_warranty_per_started_week_late_capped(late, months):
    suggestion = compensation_suggest(days_late=late, repeat_failure=False, rule=RULE)
    assert suggestion.months == months
    assert bool(suggestion) is (months > 0)
    if months:
        assert suggestion.kind == "extended_warranty"
        assert f"{late} day" in suggestion.reason


def test_a_repeat_failure_earns_at_least_a_month_and_adds_to_lateness():
    assert compensation_suggest(days_late=0, repeat_failure=True, rule=RULE).months == 1
    assert compensation_suggest(days_late=10, repeat_failure=True, rule=RULE).months == 3
    assert "repeat failure" in compensation_suggest(days_late=0, repeat_failure=True, rule=RULE).reason


def test_a_service_credit_scales_the_same_way():
    rule = CompensationRule(kind="service_credit", credit_per_week=Decimal("15.00"), max_credit=Decimal("50.00"))
    assert compensation_suggest(days_late=9, repeat_failure=False, rule=rule).amount == Decimal("30.00")
    assert compensation_suggest(days_late=90, repeat_failure=False, rule=rule).amount == Decimal("50.00")


def test_grace_days_forgive_a_small_slip():
    rule = CompensationRule(grace_days=2)
    assert not compensation_suggest(days_late=2, repeat_failure=False, rule=rule)
    assert compensation_suggest(days_late=3, repeat_failure=False, rule=rule).months == 1


def test_days_late_adds_up_every_promise_we_missed():
    today = D(2025, 6, 30)
    promises = [
        Promise("reply", due_on=D(2025, 6, 2), kept_on=D(2025, 6, 5)),  # 3 days late
        Promise("back", due_on=D(2025, 6, 20), kept_on=None),  # still open: 10 days late today
        Promise("early", due_on=D(2025, 6, 20), kept_on=D(2025, 6, 1)),  # early counts nothing
    ]
    assert days_late(promises=promises, today=today) == 13
