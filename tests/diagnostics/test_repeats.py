"""Repeat failures (SPEC §5) on the RMA and counted per pattern; a unit's earlier returns and diagnoses."""

from __future__ import annotations

import pytest

from diagnostics import selectors, services
from diagnostics.models import FailurePattern
from rma.models import RMA, Source
from tests.factories import FailurePatternFactory

pytestmark = pytest.mark.django_db
S = RMA.Status


@pytest.fixture
def fp(battery):
    return FailurePatternFactory(code="FP-0007", component=battery, status=FailurePattern.Status.INVESTIGATING)


def back_again(flow, rma, technician, battery, pattern, *, component=None):
    """The unit of a shipped return fails again and is diagnosed."""
    again = flow.create(rma.device)
    again = flow.to(again, S.DIAGNOSING)
    services.diagnosis_record(
        rma=again,
        actor=technician,
        source=Source.ADMIN,
        component=component or battery,
        outcome="confirmed",
        pattern=pattern if component is None else None,
        symptoms="Dead again.",
    )
    return RMA.objects.get(pk=again.pk)


def test_a_unit_back_with_the_same_fault_is_a_repeat_on_the_rma_and_the_pattern(build, flow, technician, battery, fp):
    first = build(S.CLOSED, outcome="confirmed", pattern=fp)
    again = back_again(flow, first, technician, battery, fp)
    assert (again.is_repeat, again.repeat_of) == (True, first)
    assert again.coverage == RMA.Coverage.WARRANTY
    counted = selectors.patterns_with_counts().get(pk=fp.pk)
    assert (counted.diagnosis_count, counted.repeat_count, counted.retained_count) == (2, 1, 0)


def test_a_different_fault_is_no_repeat_for_the_pattern(build, flow, technician, battery, fp):
    from tests.factories import ComponentFactory

    first = build(S.CLOSED, outcome="confirmed", pattern=fp)
    again = back_again(flow, first, technician, battery, fp, component=ComponentFactory(code="display", name="Display"))
    assert again.is_repeat is False
    assert selectors.patterns_with_counts().get(pk=fp.pk).repeat_count == 0


def test_retained_units_are_counted_once_even_when_scrapped(build, technician, engineer, fp):
    rma = build(S.DIAGNOSING, outcome="confirmed", pattern=fp)
    rma = services.unit_retain(rma=rma, actor=technician, source=Source.ADMIN)
    services.rca_case_close(case=rma.rca_case, actor=engineer, conclusion="Seen.", pattern=fp)
    services.unit_dispose(rma=rma, actor=technician, source=Source.ADMIN, disposition=RMA.Disposition.SCRAPPED)
    assert selectors.patterns_with_counts().get(pk=fp.pk).retained_count == 1


def test_the_units_history_lists_its_earlier_returns_with_diagnoses(
    build, flow, technician, battery, fp, django_assert_num_queries
):
    first = build(S.CLOSED, outcome="confirmed", pattern=fp)
    again = back_again(flow, first, technician, battery, fp)
    with django_assert_num_queries(2):
        history = selectors.device_history(again)
        rows = [
            (r.number, [(d.component.code, d.pattern.code if d.pattern else None) for d in r.diagnoses.all()])
            for r in history
        ]
    assert rows == [(first.number, [("battery", "FP-0007")])]
    assert selectors.device_history(first) == [again]


def test_the_history_of_a_replacement_shows_the_return_it_was_sent_on(build, flow, technician):
    first = build(S.REPLACING)
    from rma import services as rma_services

    first = rma_services.rma_ship(rma=first, actor=technician, source=Source.ADMIN, tracking_number="T-1")
    replacement_return = flow.create(first.replacement_device)
    assert [r.pk for r in selectors.device_history(replacement_return)] == [first.pk]
    assert replacement_return.is_repeat  # failed soon after we sent it
