"""The RMA lifecycle (SPEC §4): the status table, each action's preconditions, dates and the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from core.actions import registry
from core.exceptions import InvalidInput, TransitionRefused
from diagnostics import services as diagnostics_services
from diagnostics.models import RootCauseCase
from rma import lifecycle, services
from rma.models import RMA, CustodyChange, RMAEvent, Source
from rma.selectors import rma_overdue, rma_timeline
from tests.helpers import last_event, next_weekday, perform, reload

ACTIONS = {action.name: action for action in registry.of("rma")}

pytestmark = pytest.mark.django_db

S = RMA.Status
D = RMA.Disposition
STATUSES = list(RMA.Status.values)

# SPEC §4, copied by hand: the code's table must say exactly this.
SPEC_TABLE = {
    "submitted": {"authorized", "rejected", "cancelled"},
    "authorized": {"received", "cancelled"},
    "received": {"diagnosing"},
    "diagnosing": {"repairing", "replacing", "awaiting_customer", "shipped", "closed"},
    "awaiting_customer": {"repairing", "replacing", "shipped", "closed"},
    "repairing": {"shipped"},
    "replacing": {"shipped"},
    "shipped": {"closed"},
    "closed": set(),
    "rejected": set(),
    "cancelled": set(),
}
TABLE_PAIRS = {(src, dst) for src, nexts in SPEC_TABLE.items() for dst in nexts}

# One real way along every allowed move.
ALLOWED = [
    (S.SUBMITTED, S.AUTHORIZED, "authorize"),
    (S.SUBMITTED, S.REJECTED, "reject"),
    (S.SUBMITTED, S.CANCELLED, "cancel"),
    (S.AUTHORIZED, S.RECEIVED, "receive"),
    (S.AUTHORIZED, S.CANCELLED, "cancel"),
    (S.RECEIVED, S.DIAGNOSING, "start_diagnosis"),
    (S.DIAGNOSING, S.REPAIRING, "repair"),
    (S.DIAGNOSING, S.REPLACING, "replace"),
    (S.DIAGNOSING, S.AWAITING_CUSTOMER, "quote"),
    (S.DIAGNOSING, S.SHIPPED, "ship"),
    (S.DIAGNOSING, S.CLOSED, "refund"),
    (S.AWAITING_CUSTOMER, S.REPAIRING, "accept_quote"),
    (S.AWAITING_CUSTOMER, S.REPLACING, "grant_goodwill"),
    (S.AWAITING_CUSTOMER, S.SHIPPED, "ship"),
    (S.AWAITING_CUSTOMER, S.CLOSED, "refund"),
    (S.REPAIRING, S.SHIPPED, "ship"),
    (S.REPLACING, S.SHIPPED, "ship"),
    (S.SHIPPED, S.CLOSED, "close"),
]
REFUSED = [(src, dst) for src in STATUSES for dst in STATUSES if (src, dst) not in TABLE_PAIRS]

# Target dates when a move happens on a Wednesday at 10:00 (RMA_SERVICE_LEVELS in settings).
DUE_AFTER_WEDNESDAY = {
    S.AUTHORIZED: dt.timedelta(days=21),
    S.RECEIVED: dt.timedelta(days=1),  # one business day: Thursday
    S.DIAGNOSING: dt.timedelta(days=5),  # three business days: Monday
    S.AWAITING_CUSTOMER: dt.timedelta(days=14),
    S.REPAIRING: dt.timedelta(days=7),  # five business days: next Wednesday
    S.REPLACING: dt.timedelta(days=5),
    S.SHIPPED: dt.timedelta(days=10),
}


class Actions:
    """Performs any lifecycle action on an RMA with sensible arguments, through its service."""

    def __init__(self, technician, supervisor):
        self.technician = technician
        self.supervisor = supervisor

    def actor_for(self, action: str):
        if action in ("reject", "refuse_ownership", "grant_goodwill", "refund"):
            return self.supervisor, Source.ADMIN
        if action in ("accept_quote", "decline_quote"):
            return None, Source.PAGE
        return self.technician, Source.ADMIN

    def perform(self, action: str, rma: RMA, *, resolution: str = "") -> RMA:
        actor, source = self.actor_for(action)
        data = {"resolution": resolution} if action == "close" else {}
        return perform(action, rma, actor=actor, source=source, **data)


@pytest.fixture
def actions(technician, supervisor):
    return Actions(technician, supervisor)


def snapshot(rma: RMA) -> tuple:
    fresh = reload(rma)
    return (
        fresh.status,
        fresh.coverage,
        fresh.disposition,
        fresh.due_at,
        fresh.updated_at,
        fresh.replacement_device_id,
        RMAEvent.objects.filter(rma=rma).count(),
        CustodyChange.objects.filter(rma=rma).count(),
    )


# ---------------------------------------------------------------------------------------------
# The table


def test_the_status_table_is_the_spec_table():
    assert {status: set(nexts) for status, nexts in lifecycle.TRANSITIONS.items()} == SPEC_TABLE
    assert set(lifecycle.TRANSITIONS) == set(STATUSES)
    assert lifecycle.FINAL_STATUSES == {S.CLOSED, S.REJECTED, S.CANCELLED} == set(RMA.FINAL_STATUSES)


def test_every_allowed_move_is_exercised_once():
    assert {(src, dst) for src, dst, _action in ALLOWED} == TABLE_PAIRS
    for src, dst, action in ALLOWED:
        assert ACTIONS[action].to_status == dst
        assert ACTIONS[action].allowed_from(src)


def test_every_status_has_a_sentence_for_the_customer():
    assert set(lifecycle.CUSTOMER_SENTENCES) == set(STATUSES)
    assert all(str(sentence).strip() for sentence in lifecycle.CUSTOMER_SENTENCES.values())


@pytest.mark.parametrize(("from_status", "to_status", "action"), ALLOWED, ids=[f"{a}->{b}" for a, b, _ in ALLOWED])
def test_allowed_move(from_status, to_status, action, build, actions, clock):
    # given an RMA in from_status (out of warranty where a paid-repair quote is involved)
    rma = build(from_status, in_warranty=S.AWAITING_CUSTOMER not in (from_status, to_status))
    if (from_status, to_status) == (S.AWAITING_CUSTOMER, S.SHIPPED):
        rma = actions.perform("decline_quote", rma)
    events_before = RMAEvent.objects.filter(rma=rma).count()
    moment = clock.set(next_weekday(2))

    # when
    result = actions.perform(action, rma)

    # then the RMA moved, in memory and in the database
    assert result.status == to_status
    stored = reload(rma)
    assert stored.status == to_status
    assert stored.status_changed_at == moment
    # and one timeline row says who moved it, from where
    assert RMAEvent.objects.filter(rma=rma).count() == events_before + 1
    event = last_event(rma)
    actor, source = actions.actor_for(action)
    assert event.action == action
    assert (event.from_status, event.to_status) == (from_status, to_status)
    assert event.actor == actor
    assert event.source == source
    # and the next target date follows the service levels; a final status has none
    if to_status in lifecycle.FINAL_STATUSES:
        assert stored.due_at is None
        assert stored.closed_at == moment
        assert not stored.is_overdue
    else:
        assert stored.due_at == moment + DUE_AFTER_WEDNESDAY[to_status]
        assert stored.closed_at is None


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_refused_move(from_status, to_status, build, actions):
    moves_there = [a.name for a in ACTIONS.values() if a.to_status == to_status]
    if not moves_there:
        # Nothing can ever move an RMA back to submitted: it is where returns are created.
        assert to_status == S.SUBMITTED
        assert not any(to_status in nexts for nexts in lifecycle.TRANSITIONS.values())
        return
    rma = build(from_status)
    before = snapshot(rma)
    for action in moves_there:
        with pytest.raises(TransitionRefused) as refused:
            actions.perform(action, rma, resolution=RMA.Resolution.REFUNDED)
        assert refused.value.code == "transition_not_allowed", action
        assert refused.value.message
        assert snapshot(rma) == before


# The table allows the move, but the action has its own narrower start.
ONLY_FROM_REFUSED = [
    (status, action.name)
    for action in ACTIONS.values()
    if action.to_status
    for status in STATUSES
    if lifecycle.can_move(status, action.to_status) and not action.allowed_from(status)
]


def test_actions_narrower_than_the_table():
    assert sorted(ONLY_FROM_REFUSED) == [
        (S.AUTHORIZED, "supersede"),  # only a return still waiting for its ownership to be confirmed
        (S.AWAITING_CUSTOMER, "close"),
        (S.DIAGNOSING, "accept_quote"),
        (S.DIAGNOSING, "close"),
        (S.SHIPPED, "refund"),
    ]


@pytest.mark.parametrize(("from_status", "action"), ONLY_FROM_REFUSED)
def test_action_refused_outside_its_own_start(from_status, action, build, actions):
    rma = build(from_status)
    before = snapshot(rma)
    with pytest.raises(TransitionRefused) as refused:
        actions.perform(action, rma)
    assert refused.value.code == "transition_not_allowed"
    assert snapshot(rma) == before


# Actions that record something without moving the RMA are refused outside their statuses too.
RECORDING_REFUSED = [
    (action, status)
    for action in ("decline_quote", "retain_unit", "dispose_unit", "record_diagnosis")
    for status in STATUSES
    if status not in ACTIONS[action].starts_from
    # A diagnosis on a received RMA first starts the diagnosis.
    and not (action == "record_diagnosis" and status == S.RECEIVED)
]


@pytest.mark.parametrize(("action", "from_status"), RECORDING_REFUSED)
def test_recording_action_refused_outside_its_statuses(action, from_status, build, actions, technician, battery):
    rma = build(from_status)
    before = snapshot(rma)
    kw = {"rma": rma, "actor": technician, "source": Source.ADMIN}
    with pytest.raises(TransitionRefused) as refused:
        match action:
            case "decline_quote":
                actions.perform(action, rma)
            case "retain_unit":
                diagnostics_services.unit_retain(**kw)
            case "dispose_unit":
                diagnostics_services.unit_dispose(**kw, disposition=D.REFURBISHED_STOCK)
            case "record_diagnosis":
                diagnostics_services.diagnosis_record(**kw, component=battery, outcome="confirmed")
    assert refused.value.code == "transition_not_allowed"
    assert snapshot(rma) == before


@pytest.mark.parametrize("status", STATUSES)
def test_a_note_can_be_added_in_every_status(status, build, technician):
    rma = build(status)
    rma = services.rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, note="Customer phoned.")
    assert rma.status == status
    event = last_event(rma)
    assert (event.action, event.internal_note, event.customer_message) == ("note", "Customer phoned.", "")
    assert (event.from_status, event.to_status) == (status, "")


def test_the_full_happy_path_leaves_one_event_per_step(build):
    rma = build(S.CLOSED)
    rows = list(rma.events.values_list("action", "from_status", "to_status"))
    assert rows == [
        ("create", "", S.SUBMITTED),
        ("authorize", S.SUBMITTED, S.AUTHORIZED),
        ("receive", S.AUTHORIZED, S.RECEIVED),
        ("start_diagnosis", S.RECEIVED, S.DIAGNOSING),
        ("record_diagnosis", S.DIAGNOSING, ""),
        ("repair", S.DIAGNOSING, S.REPAIRING),
        ("ship", S.REPAIRING, S.SHIPPED),
        ("close", S.SHIPPED, S.CLOSED),
    ]


# ---------------------------------------------------------------------------------------------
# Preconditions of the actions


def test_repair_refused_when_not_covered(build, actions):
    rma = build(S.DIAGNOSING, in_warranty=False)
    before = snapshot(rma)
    with pytest.raises(TransitionRefused) as refused:
        actions.perform("repair", rma)
    assert refused.value.code == "not_covered"
    assert snapshot(rma) == before


def test_replace_refused_when_not_covered(build, actions):
    rma = build(S.DIAGNOSING, in_warranty=False)
    before = snapshot(rma)
    with pytest.raises(TransitionRefused) as refused:
        actions.perform("replace", rma)
    assert refused.value.code == "not_covered"
    assert snapshot(rma) == before


def test_quote_refused_when_covered(build, actions):
    rma = build(S.DIAGNOSING, in_warranty=True)
    before = snapshot(rma)
    with pytest.raises(TransitionRefused) as refused:
        actions.perform("quote", rma)
    assert refused.value.code == "quote_not_needed"
    assert snapshot(rma) == before


@pytest.mark.parametrize("amount", ["0", "-5", "lots", "100000000"])
def test_quote_needs_a_positive_amount(amount, build, technician):
    rma = build(S.DIAGNOSING, in_warranty=False)
    with pytest.raises(InvalidInput) as invalid:
        services.rma_quote(rma=rma, actor=technician, source=Source.ADMIN, amount=amount)
    assert invalid.value.code == "invalid_amount"
    assert reload(rma).status == S.DIAGNOSING


def test_quote_then_accept_is_a_paid_repair(build, actions):
    rma = build(S.AWAITING_CUSTOMER)
    assert (rma.quote_status, rma.quote_amount) == (RMA.QuoteStatus.PENDING, 79)
    assert "79.00" in last_event(rma).customer_message
    rma = actions.perform("accept_quote", rma)
    assert (rma.status, rma.quote_status, rma.coverage) == (S.REPAIRING, RMA.QuoteStatus.ACCEPTED, RMA.Coverage.PAID)
    assert "79.00" in rma.coverage_reason


@pytest.mark.parametrize("answer", ["accept_quote", "decline_quote"])
def test_quote_answer_needs_a_pending_quote(answer, build, actions):
    # given a quote the customer has already declined
    rma = actions.perform("decline_quote", build(S.AWAITING_CUSTOMER))
    assert (rma.status, rma.quote_status) == (S.AWAITING_CUSTOMER, RMA.QuoteStatus.DECLINED)
    before = snapshot(rma)
    # when the customer answers again, then
    with pytest.raises(TransitionRefused) as refused:
        actions.perform(answer, rma)
    assert refused.value.code == "no_pending_quote"
    assert snapshot(rma) == before


def test_declined_quote_returns_the_unit_unrepaired(build, actions, technician):
    rma = actions.perform("decline_quote", build(S.AWAITING_CUSTOMER))
    rma = actions.perform("ship", rma)
    assert (rma.status, rma.disposition) == (S.SHIPPED, D.RETURNED_TO_CUSTOMER)
    rma = services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    assert rma.resolution == RMA.Resolution.RETURNED_UNREPAIRED


@pytest.mark.parametrize("tracking", ["", "   "])
def test_ship_needs_a_tracking_number(tracking, build, technician):
    rma = build(S.REPAIRING)
    before = snapshot(rma)
    with pytest.raises(InvalidInput) as invalid:
        services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number=tracking)
    assert invalid.value.code == "tracking_required"
    assert invalid.value.field == "tracking_number"
    assert snapshot(rma) == before


def test_ship_records_the_tracking_number_and_returns_the_unit(build, technician):
    rma = build(S.REPAIRING)
    rma = services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="  1Z999  ")
    assert rma.outbound_tracking == "1Z999"
    assert rma.shipped_at is not None
    assert rma.disposition == D.RETURNED_TO_CUSTOMER
    assert "1Z999" in last_event(rma).customer_message
    custody = CustodyChange.objects.filter(rma=rma).order_by("id").last()
    assert (custody.from_disposition, custody.to_disposition) == (D.IN_REPAIR_CENTRE, D.RETURNED_TO_CUSTOMER)


def test_a_retained_unit_can_never_be_shipped_back(build, technician):
    # given a unit kept for root-cause analysis, with nothing to send in its place
    rma = diagnostics_services.unit_retain(
        rma=build(S.DIAGNOSING), actor=technician, source=Source.ADMIN, note="Engineering wants it."
    )
    assert rma.disposition == D.RETAINED_FOR_RCA
    assert RootCauseCase.objects.get(rma=rma).status == RootCauseCase.Status.OPEN
    before = snapshot(rma)
    # when / then
    with pytest.raises(TransitionRefused) as refused:
        services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="TRK-1")
    assert refused.value.code == "unit_retained"
    assert snapshot(rma) == before


def test_retaining_a_unit_twice_is_refused(build, technician):
    rma = diagnostics_services.unit_retain(rma=build(S.DIAGNOSING), actor=technician, source=Source.ADMIN)
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_retain(rma=rma, actor=technician, source=Source.ADMIN)
    assert refused.value.code == "already_retained"


def test_a_unit_under_repair_is_not_retained(build, technician):
    rma = build(S.REPAIRING)
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_retain(rma=rma, actor=technician, source=Source.ADMIN)
    assert refused.value.code == "unit_owed_to_customer"
    assert not RootCauseCase.objects.filter(rma=rma).exists()


def test_a_retained_unit_is_scrapped_only_after_its_case_is_closed(build, technician, engineer):
    # given a retained unit whose root-cause case is open
    rma = diagnostics_services.unit_retain(rma=build(S.DIAGNOSING), actor=technician, source=Source.ADMIN)
    kw = {"rma": rma, "actor": technician, "source": Source.ADMIN}

    # then it can be neither scrapped nor refurbished
    before = snapshot(rma)
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(**kw, disposition=D.SCRAPPED)
    assert refused.value.code == "analysis_open"
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(**kw, disposition=D.REFURBISHED_STOCK)
    assert refused.value.code == "unit_retained"
    assert snapshot(rma) == before

    # when the engineer closes the case
    case = diagnostics_services.rca_case_close(
        case=RootCauseCase.objects.get(rma=rma), actor=engineer, conclusion="Cracked solder joint on the PMIC."
    )
    assert case.status == RootCauseCase.Status.CLOSED
    assert case.engineer == engineer

    # then it may be scrapped, but still never refurbished
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(**kw, disposition=D.REFURBISHED_STOCK)
    assert refused.value.code == "unit_retained"
    rma = diagnostics_services.unit_dispose(**kw, disposition=D.SCRAPPED, note="Scrapped after analysis.")
    assert rma.disposition == D.SCRAPPED
    custody = CustodyChange.objects.filter(rma=rma).order_by("id").last()
    assert (custody.from_disposition, custody.to_disposition, custody.actor) == (
        D.RETAINED_FOR_RCA,
        D.SCRAPPED,
        technician,
    )


def test_a_case_is_closed_only_once_and_with_a_conclusion(build, technician, engineer):
    rma = diagnostics_services.unit_retain(rma=build(S.DIAGNOSING), actor=technician, source=Source.ADMIN)
    case = RootCauseCase.objects.get(rma=rma)
    with pytest.raises(InvalidInput) as invalid:
        diagnostics_services.rca_case_close(case=case, actor=engineer, conclusion="  ")
    assert invalid.value.code == "conclusion_required"
    diagnostics_services.rca_case_close(case=case, actor=engineer, conclusion="Done.")
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.rca_case_close(case=case, actor=engineer, conclusion="Again.")
    assert refused.value.code == "case_closed"


def test_the_customers_own_unit_is_not_disposed_of(build, technician):
    rma = build(S.DIAGNOSING)
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(
            rma=rma, actor=technician, source=Source.ADMIN, disposition=D.REFURBISHED_STOCK
        )
    assert refused.value.code == "unit_owed_to_customer"


def test_a_unit_replaced_under_warranty_can_be_refurbished(build, technician):
    rma = build(S.REPLACING)
    rma = diagnostics_services.unit_dispose(
        rma=rma, actor=technician, source=Source.ADMIN, disposition=D.REFURBISHED_STOCK
    )
    assert rma.disposition == D.REFURBISHED_STOCK
    assert rma.status == S.REPLACING


def test_a_unit_that_went_back_to_the_customer_cannot_be_disposed_of(build, technician):
    rma = build(S.SHIPPED)
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(rma=rma, actor=technician, source=Source.ADMIN, disposition=D.SCRAPPED)
    assert refused.value.code == "unit_not_in_custody"


def test_dispose_to_an_unknown_disposition_is_invalid(build, technician):
    with pytest.raises(InvalidInput) as invalid:
        diagnostics_services.unit_dispose(
            rma=build(S.REPLACING), actor=technician, source=Source.ADMIN, disposition=D.WITH_CUSTOMER
        )
    assert invalid.value.code == "invalid_disposition"


# Closing: the resolution must match what happened.


def test_close_after_shipping_infers_the_resolution(build):
    assert build(S.CLOSED).resolution == RMA.Resolution.REPAIRED


def test_close_after_a_replacement_is_replaced(build, actions, technician):
    rma = actions.perform("ship", build(S.REPLACING))
    rma = services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    assert rma.resolution == RMA.Resolution.REPLACED
    assert rma.due_at is None


@pytest.mark.parametrize(
    ("status", "resolution", "code", "error"),
    [
        (S.SHIPPED, "broken", "invalid_resolution", InvalidInput),
        (S.DIAGNOSING, RMA.Resolution.REPLACED, "transition_not_allowed", TransitionRefused),
        (S.DIAGNOSING, RMA.Resolution.REFUNDED, "transition_not_allowed", TransitionRefused),
        (S.DIAGNOSING, "", "transition_not_allowed", TransitionRefused),
        (S.AWAITING_CUSTOMER, RMA.Resolution.RETURNED_UNREPAIRED, "transition_not_allowed", TransitionRefused),
        # a repair of a confirmed-by-diagnosis failure, shipped back
        (S.SHIPPED, RMA.Resolution.REPLACED, "resolution_mismatch", TransitionRefused),
        (S.SHIPPED, RMA.Resolution.REFUNDED, "resolution_mismatch", TransitionRefused),
        (S.SHIPPED, RMA.Resolution.NO_FAULT_FOUND, "resolution_mismatch", TransitionRefused),
        (S.SHIPPED, RMA.Resolution.RETURNED_UNREPAIRED, "resolution_mismatch", TransitionRefused),
    ],
)
def test_close_refused_when_the_resolution_does_not_fit(status, resolution, code, error, build, technician):
    rma = build(status)
    before = snapshot(rma)
    with pytest.raises(error) as refused:
        services.rma_close(rma=rma, actor=technician, source=Source.ADMIN, resolution=resolution)
    assert refused.value.code == code
    assert snapshot(rma) == before


def test_a_unit_shipped_back_unrepaired_closes_as_returned_unrepaired(build, actions, technician):
    # given a unit shipped back straight from a diagnosis that found its battery failed
    rma = actions.perform("ship", build(S.DIAGNOSING))
    # then it cannot be called "no fault found", and closes as what happened
    with pytest.raises(TransitionRefused) as refused:
        services.rma_close(rma=rma, actor=technician, source=Source.ADMIN, resolution="no_fault_found")
    assert refused.value.code == "resolution_mismatch"
    rma = services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    assert (rma.status, rma.resolution) == (S.CLOSED, RMA.Resolution.RETURNED_UNREPAIRED)


def test_a_unit_with_no_fault_found_closes_as_no_fault_found(build, actions, technician):
    rma = actions.perform("ship", build(S.DIAGNOSING, outcome="no_fault_found"))
    rma = services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    assert (rma.status, rma.resolution) == (S.CLOSED, RMA.Resolution.NO_FAULT_FOUND)


def test_a_refund_closes_the_return_and_keeps_the_unit(build, supervisor):
    rma = build(S.DIAGNOSING)
    services.rma_refund(
        rma=rma,
        actor=supervisor,
        source=Source.ADMIN,
        amount="129.00",
        currency="EUR",
        method="bank_transfer",
        reason="No stock to repair it.",
    )
    rma = reload(rma)
    assert (rma.status, rma.resolution, rma.disposition) == (S.CLOSED, "refunded", D.IN_REPAIR_CENTRE)


# ---------------------------------------------------------------------------------------------
# One open return per device


def test_one_open_rma_per_device(flow, make_device):
    device = make_device()
    first = flow.create(device)
    with pytest.raises(TransitionRefused) as refused:
        flow.create(device)
    assert refused.value.code == "open_rma_exists"
    assert first.number in refused.value.message
    assert RMA.objects.filter(device=device).count() == 1

    # once the first is final, a new return may be opened
    flow.to(first, S.CLOSED)
    second = flow.create(device)
    assert second.status == S.SUBMITTED
    assert RMA.objects.filter(device=device).count() == 2


@pytest.mark.parametrize("final", [S.REJECTED, S.CANCELLED])
def test_a_rejected_or_cancelled_return_does_not_block_a_new_one(final, build, flow):
    rma = build(final)
    assert flow.create(rma.device).status == S.SUBMITTED


def test_the_database_allows_one_open_rma_per_device(flow, make_device):
    device = make_device()
    first = flow.create(device)
    with pytest.raises(IntegrityError), transaction.atomic():
        RMA.objects.create(device=device, customer=first.customer, number="RMA-DUPLICATE", fault_description="x")


# ---------------------------------------------------------------------------------------------
# Dates: targets, overdue, promises, expiry


def test_created_rma_is_due_within_one_business_day(flow, make_device, clock):
    friday = clock.set(next_weekday(4))
    rma = flow.create(make_device())
    assert rma.due_at == friday + dt.timedelta(days=3)  # Monday


def test_business_days_are_counted_in_the_repair_centres_time_zone(flow, make_device, clock, settings):
    # Thursday 23:30 UTC in summer is already Friday 00:30 in London.
    assert settings.TIME_ZONE == "Europe/London"
    clock.set(dt.datetime(2026, 7, 2, 23, 30, tzinfo=dt.UTC))
    rma = flow.create(make_device())
    due = timezone.localtime(rma.due_at)
    # One business day after a Friday is Monday, never a Saturday.
    assert due.weekday() == 0
    assert (due.date(), due.hour, due.minute) == (dt.date(2026, 7, 6), 0, 30)


def test_overdue_is_computed_from_the_target_date(flow, make_device, clock, technician):
    # given an RMA submitted on a Wednesday: due on Thursday at the same time
    start = clock.set(next_weekday(2))
    rma = flow.create(make_device())
    due = start + dt.timedelta(days=1)
    assert rma.due_at == due
    assert not rma.is_overdue
    assert list(rma_overdue()) == []

    # at the target time it is not yet overdue; a moment later it is
    clock.set(due)
    assert not reload(rma).is_overdue
    assert list(rma_overdue()) == []
    clock.advance(seconds=1)
    assert reload(rma).is_overdue
    assert list(rma_overdue()) == [rma]
    # the selector can be asked about any moment
    assert list(rma_overdue(now=start)) == []
    assert list(rma_overdue(now=due + dt.timedelta(days=30))) == [rma]

    # moving on sets a new target; an RMA in a final status is never overdue
    rma = services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    assert rma.due_at == clock.current + dt.timedelta(days=21)
    assert not rma.is_overdue
    rma = services.rma_cancel(rma=rma, actor=technician, source=Source.ADMIN)
    clock.advance(days=365)
    assert not reload(rma).is_overdue
    assert list(rma_overdue()) == []


def test_overdue_list_is_ordered_by_target_date(flow, make_device, clock):
    start = clock.set(next_weekday(2))
    older = flow.create(make_device())
    clock.advance(hours=2)
    newer = flow.create(make_device())
    assert list(rma_overdue(now=start + dt.timedelta(days=10))) == [older, newer]


def test_receive_sets_the_promised_date(build, technician, clock):
    rma = build(S.AUTHORIZED)
    wednesday = clock.set(next_weekday(2))
    rma = services.rma_receive(rma=rma, actor=technician, source=Source.ADMIN, inbound_tracking=" IN-77 ")
    # seven business days after a Wednesday is the Friday of the next week
    promised = wednesday.date() + dt.timedelta(days=9)
    assert rma.promised_on == promised
    assert reload(rma).promised_on == promised
    assert rma.received_at == wednesday
    assert rma.inbound_tracking == "IN-77"
    assert rma.disposition == D.IN_REPAIR_CENTRE
    event = last_event(rma)
    assert f"{promised:%A} {promised.day} {promised:%B}" in event.customer_message
    assert event.data["promised_on"] == promised.isoformat()
    custody = CustodyChange.objects.get(rma=rma)
    assert (custody.from_disposition, custody.to_disposition, custody.holder) == (
        D.WITH_CUSTOMER,
        D.IN_REPAIR_CENTRE,
        "Repair centre",
    )


def test_declining_a_quote_sets_a_target_for_the_return(build, actions, clock):
    rma = build(S.AWAITING_CUSTOMER)
    wednesday = clock.set(next_weekday(2))
    rma = actions.perform("decline_quote", rma)
    assert rma.due_at == wednesday + DUE_AFTER_WEDNESDAY[S.REPLACING]


def test_stale_authorizations_expire(flow, make_device, clock, settings):
    assert settings.RMA_AUTHORIZATION_EXPIRY_DAYS == 30
    start = clock.set(next_weekday(2))
    stale = flow.to(flow.create(make_device()), S.AUTHORIZED)
    clock.advance(days=5)
    fresh = flow.to(flow.create(make_device()), S.AUTHORIZED)
    submitted = flow.create(make_device())
    received = flow.to(flow.create(make_device()), S.RECEIVED)

    # exactly thirty days after authorization nothing has expired yet
    clock.set(start + dt.timedelta(days=30))
    assert services.rma_expire_stale_authorizations() == []

    # a moment later the first one has
    clock.advance(seconds=1)
    expired = services.rma_expire_stale_authorizations()
    assert [rma.pk for rma in expired] == [stale.pk]
    stale = reload(stale)
    assert stale.status == S.CANCELLED
    event = last_event(stale)
    assert (event.action, event.from_status, event.to_status) == ("cancel", S.AUTHORIZED, S.CANCELLED)
    assert (event.actor, event.source) == (None, Source.TASK)
    assert "within 30 days" in event.customer_message
    assert event.internal_note == "Authorization expired."
    assert reload(fresh).status == S.AUTHORIZED
    assert reload(submitted).status == S.SUBMITTED
    assert reload(received).status == S.RECEIVED

    # the task can be asked about a later moment; a second run changes nothing more
    assert [rma.pk for rma in services.rma_expire_stale_authorizations(now=start + dt.timedelta(days=40))] == [fresh.pk]
    assert services.rma_expire_stale_authorizations(now=start + dt.timedelta(days=40)) == []


# ---------------------------------------------------------------------------------------------
# What the customer is told, and when


def test_every_step_of_the_happy_path_tells_the_customer(build):
    rma = build(S.CLOSED)
    events = list(rma_timeline(rma))
    assert all(event.customer_message for event in events)
    assert [e.customer_message for e in events if e.action == "authorize"] == [
        ACTIONS["authorize"].customer_message.english()
    ]
    assert rma.number in events[0].customer_message


def test_internal_notes_are_not_shown_to_the_customer(build, technician):
    rma = build(S.DIAGNOSING)
    services.rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, note="Smells of coffee.")
    services.rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, customer_message="We are on it.")
    visible = list(rma_timeline(rma, customer_visible=True).values_list("action", "customer_message"))
    everything = list(rma_timeline(rma).values_list("action", flat=True))
    assert ("note", "We are on it.") in visible
    assert everything.count("note") == 2
    assert [action for action, _ in visible].count("note") == 1


def test_a_rejection_tells_the_customer_why(build, supervisor):
    rma = build(S.SUBMITTED)
    with pytest.raises(InvalidInput) as invalid:
        services.rma_reject(rma=rma, actor=supervisor, source=Source.ADMIN, reason=" ")
    assert invalid.value.code == "reason_required"
    rma = services.rma_reject(rma=rma, actor=supervisor, source=Source.ADMIN, reason="Serial belongs to a demo unit.")
    assert last_event(rma).customer_message.endswith("Serial belongs to a demo unit.")


def test_email_is_sent_only_after_commit(flow, make_device, django_capture_on_commit_callbacks):
    # when a return is opened inside a transaction
    with django_capture_on_commit_callbacks() as callbacks:
        rma = flow.create(make_device())
        # then nothing has been sent yet
        assert mail.outbox == []
    assert mail.outbox == []
    assert len(callbacks) == 1

    # and the e-mail goes out when the commit runs the queued callback
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    assert rma.number in message.subject
    assert last_event(rma).customer_message in message.body


def test_every_customer_visible_event_sends_one_email(flow, make_device, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rma = flow.to(flow.create(make_device()), S.CLOSED)
    visible = rma_timeline(rma, customer_visible=True).count()
    assert visible == rma.events.count()
    assert len(mail.outbox) == visible
    assert {tuple(message.to) for message in mail.outbox} == {("owner@example.com",)}


def test_no_email_for_an_internal_note(build, technician, django_capture_on_commit_callbacks):
    rma = build(S.DIAGNOSING)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, note="Internal only.")
    assert callbacks == []
    assert mail.outbox == []


def test_no_email_when_the_change_is_rolled_back(build, technician, django_capture_on_commit_callbacks):
    rma = build(S.SUBMITTED)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
        raise RuntimeError("the request failed after the move")
    assert callbacks == []
    assert mail.outbox == []
    assert reload(rma).status == S.SUBMITTED


def test_no_email_for_a_refused_move(build, technician, django_capture_on_commit_callbacks):
    rma = build(S.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TransitionRefused):
        services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="T")
    assert callbacks == []
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# The timeline is append-only


@pytest.fixture
def history(build):
    """An RMA with some timeline rows and one custody change."""
    rma = build(S.RECEIVED)
    return rma, last_event(rma), CustodyChange.objects.get(rma=rma)


@pytest.mark.parametrize("row", ["event", "custody"])
def test_history_rows_cannot_be_changed_or_deleted_through_the_orm(row, history):
    _rma, event, custody = history
    obj = event if row == "event" else custody
    model = type(obj)
    original = model.objects.get(pk=obj.pk).created_at

    def refused():
        return pytest.raises(TypeError, match="append-only")

    with refused(), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(created_at=original - dt.timedelta(days=1))
    with refused(), transaction.atomic():
        model.objects.filter(pk=obj.pk).delete()
    with refused(), transaction.atomic():
        model.objects.all().delete()
    obj.created_at = original - dt.timedelta(days=1)
    with refused(), transaction.atomic():
        obj.save()
    with refused(), transaction.atomic():
        obj.save(force_update=True)
    with refused(), transaction.atomic():
        model.objects.bulk_update([obj], ["created_at"])
    with refused(), transaction.atomic():
        obj.delete()

    assert model.objects.get(pk=obj.pk).created_at == original


def test_a_new_event_cannot_overwrite_an_existing_one(history):
    rma, event, _custody = history
    forged = RMAEvent(pk=event.pk, rma=rma, action="forged", source=Source.ADMIN, internal_note="rewritten")
    with pytest.raises((IntegrityError, TypeError)), transaction.atomic():
        forged.save()
    stored = RMAEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.internal_note) == (event.action, event.internal_note)


def test_a_bulk_insert_cannot_overwrite_existing_events(history):
    rma, event, _custody = history
    forged = RMAEvent(pk=event.pk, rma=rma, action="forged", source=Source.ADMIN, internal_note="rewritten")
    with pytest.raises((IntegrityError, TypeError)), transaction.atomic():
        RMAEvent.objects.bulk_create(
            [forged], update_conflicts=True, unique_fields=["id"], update_fields=["action", "internal_note"]
        )
    stored = RMAEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.internal_note) == (event.action, event.internal_note)


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["rma_rmaevent", "rma_custodychange"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET created_at = created_at - interval '1 day' WHERE id = %s",
        "DELETE FROM {table} WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_history(table, statement, history):
    _rma, event, custody = history
    pk = event.pk if table == "rma_rmaevent" else custody.pk
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table), [pk])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [pk])
        assert cursor.fetchone() == (1,)
