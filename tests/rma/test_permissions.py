"""Who may do what (SPEC §2): the roles, anonymous customers and tasks, and users without a role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from core.actions import registry
from core.exceptions import ActionNotPermitted
from diagnostics.roles import ENGINEER, SUPERVISOR, TECHNICIAN
from rma.models import RMA, CustodyChange, GoodwillGrant, RMAEvent, Source
from tests.factories import CustomerFactory, UserFactory
from tests.helpers import last_event, perform, reload

ACTIONS = {action.name: action for action in registry.of("rma")}

pytestmark = pytest.mark.django_db

S = RMA.Status

# Where each action can be tried, so that only the permission decides: (status, in warranty).
SETUP = {
    "authorize": (S.SUBMITTED, True),
    "reject": (S.SUBMITTED, True),
    "cancel": (S.SUBMITTED, True),
    "receive": (S.AUTHORIZED, True),
    "start_diagnosis": (S.RECEIVED, True),
    "record_diagnosis": (S.DIAGNOSING, True),
    "quote": (S.DIAGNOSING, False),
    "accept_quote": (S.AWAITING_CUSTOMER, False),
    "decline_quote": (S.AWAITING_CUSTOMER, False),
    "repair": (S.DIAGNOSING, True),
    "replace": (S.DIAGNOSING, True),
    "grant_goodwill": (S.DIAGNOSING, False),
    "ship": (S.REPAIRING, True),
    "close": (S.SHIPPED, True),
    "refund": (S.DIAGNOSING, True),
    "retain_unit": (S.DIAGNOSING, True),
    "dispose_unit": (S.REPLACING, True),
    "note": (S.DIAGNOSING, True),
    "approve_compensation": (S.SHIPPED, True),
    "confirm_ownership": (S.SUBMITTED, True),
    "refuse_ownership": (S.SUBMITTED, True),
    "supersede": (S.SUBMITTED, True),
    "assign": (S.SUBMITTED, True),
    "take": (S.RECEIVED, True),
}
ALL_ACTIONS = sorted(SETUP)
# Tried on a return started by someone other than the unit's registered owner (ownership to confirm).
IN_QUESTION = {"confirm_ownership", "refuse_ownership", "supersede"}


def rma_for(action, build, make_device):
    status, in_warranty = SETUP[action]
    device = None
    if action in IN_QUESTION:
        device = make_device(in_warranty=in_warranty, owner=CustomerFactory(email="registered@example.com"))
    return build(status, in_warranty=in_warranty, device=device)


ROLE_MAY = {
    TECHNICIAN: set(ALL_ACTIONS)
    - {
        "reject",
        "refuse_ownership",
        "grant_goodwill",
        "approve_compensation",
        "refund",
        "accept_quote",
        "decline_quote",
        "assign",
    },
    SUPERVISOR: set(ALL_ACTIONS),
    ENGINEER: set(),
    None: set(),  # a signed-in user in no role
}

# Without a signed-in user: the customer on the public pages, and the periodic tasks.
ANONYMOUS_MAY = {
    ("cancel", Source.PAGE),
    ("cancel", Source.TASK),
    ("close", Source.TASK),
    ("accept_quote", Source.PAGE),
    ("decline_quote", Source.PAGE),
    ("supersede", Source.PAGE),  # the registered owner starting their own return on the public page
}
ANONYMOUS_SOURCES = [Source.PAGE, Source.TASK, Source.ADMIN, Source.API, Source.IMPORT]


def state(rma) -> tuple:
    fresh = reload(rma)
    return (
        fresh.status,
        fresh.coverage,
        fresh.disposition,
        fresh.updated_at,
        RMAEvent.objects.filter(rma=rma).count(),
        CustodyChange.objects.filter(rma=rma).count(),
        GoodwillGrant.objects.filter(rma=rma).count(),
    )


def test_every_action_is_covered():
    assert set(ALL_ACTIONS) == set(ACTIONS)


def test_anonymous_sources_are_as_documented():
    declared = {(action.name, source) for action in ACTIONS.values() for source in action.anonymous_sources}
    assert declared == ANONYMOUS_MAY


@pytest.mark.parametrize("action", ALL_ACTIONS)
@pytest.mark.parametrize("role", [TECHNICIAN, SUPERVISOR, ENGINEER, None], ids=lambda r: r or "no-role")
def test_role_may_or_may_not(role, action, build, make_device):
    # given a staff user in the role, and an RMA where only the permission stands in the way
    user = UserFactory(role=role)
    rma = rma_for(action, build, make_device)
    before = state(rma)

    if action in ROLE_MAY[role]:
        # when / then the action goes through, recorded against the user
        perform(action, rma, actor=user, source=Source.ADMIN)
        assert state(rma) != before
        assert last_event(rma).actor == user
        assert last_event(rma).action == action
    else:
        with pytest.raises(ActionNotPermitted) as refused:
            perform(action, rma, actor=user, source=Source.ADMIN)
        expected = "goodwill_not_approver" if action == "grant_goodwill" else "permission_denied"
        assert refused.value.code == expected
        assert refused.value.http_status == 403
        assert state(rma) == before


def test_technician_runs_a_return_from_start_to_finish(flow, make_device):
    # the flow fixture does everything as the technician
    rma = flow.to(flow.create(make_device()), S.CLOSED)
    actors = set(rma.events.exclude(action="create").values_list("actor__username", flat=True))
    assert actors == {"tech"}


def test_the_permission_is_checked_before_the_status(build):
    # an engineer is told they may not, rather than that the move is not possible now
    engineer = UserFactory(role=ENGINEER)
    rma = build(S.CLOSED)
    with pytest.raises(ActionNotPermitted):
        perform("authorize", rma, actor=engineer, source=Source.API)


def test_an_inactive_supervisor_may_do_nothing(build):
    user = UserFactory(role=SUPERVISOR, is_active=False)
    rma = build(S.SUBMITTED)
    with pytest.raises(ActionNotPermitted):
        perform("authorize", rma, actor=user, source=Source.ADMIN)
    assert reload(rma).status == S.SUBMITTED


def test_a_superuser_may_do_everything(build):
    admin = UserFactory(is_superuser=True)
    rma = perform("grant_goodwill", build(S.DIAGNOSING, in_warranty=False), actor=admin, source=Source.ADMIN)
    assert rma.coverage == RMA.Coverage.GOODWILL


@pytest.mark.parametrize("source", ANONYMOUS_SOURCES)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_anonymous_only_where_the_action_allows_the_source(action, source, build, make_device):
    status, _in_warranty = SETUP[action]
    rma = rma_for(action, build, make_device)
    before = state(rma)
    if (action, source) in ANONYMOUS_MAY:
        result = perform(action, rma, actor=None, source=source)
        event = last_event(rma)
        assert (event.action, event.actor, event.source) == (action, None, source)
        assert result.status == (ACTIONS[action].to_status or status)
    else:
        with pytest.raises(ActionNotPermitted) as refused:
            perform(action, rma, actor=None, source=source)
        if action == "grant_goodwill":
            assert refused.value.code == "goodwill_not_approver"
        assert state(rma) == before


def test_an_anonymous_user_object_is_treated_like_no_user(build):
    rma = build(S.AUTHORIZED)
    rma = perform("cancel", rma, actor=AnonymousUser(), source=Source.PAGE)
    assert rma.status == S.CANCELLED
    assert last_event(rma).actor is None
    with pytest.raises(ActionNotPermitted):
        perform("authorize", build(S.SUBMITTED), actor=AnonymousUser(), source=Source.PAGE)


def test_the_customer_cancels_from_the_status_page(build):
    rma = perform("cancel", build(S.SUBMITTED), actor=None, source=Source.PAGE)
    event = last_event(rma)
    assert rma.status == S.CANCELLED
    assert event.customer_message == ACTIONS["cancel"].customer_message.english()


def test_a_task_closes_a_shipped_return(build):
    rma = perform("close", build(S.SHIPPED), actor=None, source=Source.TASK)
    assert (rma.status, rma.resolution) == (S.CLOSED, RMA.Resolution.REPAIRED)
