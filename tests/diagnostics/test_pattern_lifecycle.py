"""The failure-pattern lifecycle (SPEC §6): the status table, what each move needs, history, recurrence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from core.actions import registry
from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from diagnostics.lifecycle import TRANSITIONS, fix_applies, version_key
from diagnostics.models import FailurePattern, PatternEvent
from diagnostics.patterns import pattern_create, pattern_edit, pattern_transition
from rma.models import RMA, Source
from tests.factories import FailurePatternFactory
from tests.helpers import PATTERN_PATH, pattern_move

ACTIONS = {action.name: action for action in registry.of("pattern")}

pytestmark = pytest.mark.django_db
P = FailurePattern.Status
FULL = {
    "root_cause": "Seal fails under thermal cycling.",
    "public_summary": "A seal could let moisture in.",
    "corrective_action": "New seal supplier from lot L2510.",
    "effective_from_lot": "L2510",
}


def make_pattern(status: str, engineer, **fields) -> FailurePattern:
    pattern = FailurePatternFactory(status=P.NEW, **fields)
    if status == P.NEW:
        return pattern
    return pattern_move(pattern, status, engineer=engineer) if status in PATTERN_PATH else pattern


def move(pattern, action, engineer, **kwargs):
    return pattern_transition(pattern=pattern, action=action, actor=engineer, source=Source.ADMIN, **kwargs)


ALLOWED = [
    (status, action.name) for status in TRANSITIONS for action in ACTIONS.values() if action.allowed_from(status)
]
REFUSED = [
    (status, action.name) for status in TRANSITIONS for action in ACTIONS.values() if not action.allowed_from(status)
]


def test_the_table_is_the_documented_one():
    assert sorted(ALLOWED) == sorted(
        [
            ("new", "investigate"),
            ("new", "dismiss"),
            ("investigating", "root_cause"),
            ("investigating", "dismiss"),
            ("root_caused", "start_corrective_action"),
            ("root_caused", "reopen"),
            ("corrective_action", "verify"),
            ("corrective_action", "reopen"),
            ("verified", "close"),
            ("verified", "reopen"),
            ("closed", "reopen"),
        ]
    )


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_every_allowed_move(status, action, engineer):
    # given a pattern in ``status`` with everything any move needs written down
    pattern = make_pattern(status, engineer, **FULL)
    if status == P.CLOSED and not pattern.root_cause:
        pattern_edit(pattern=pattern, actor=engineer, source=Source.ADMIN, **FULL)
    events = PatternEvent.objects.filter(pattern=pattern).count()
    # when
    moved = move(pattern, action, engineer, reason="Because." if ACTIONS[action].reason_required else "")
    # then it is in the new status, and the history says who moved it, when, from where to where
    assert moved.status == ACTIONS[action].to_status == FailurePattern.objects.get(pk=pattern.pk).status
    event = PatternEvent.objects.filter(pattern=pattern).order_by("-id").first()
    assert PatternEvent.objects.filter(pattern=pattern).count() >= events + 1
    assert (event.action, event.from_status, event.to_status, event.actor) in [
        (action, status, ACTIONS[action].to_status, engineer),
        ("thank_customers", "", "", engineer),
    ]
    transition = PatternEvent.objects.get(pattern=pattern, action=action, from_status=status)
    assert transition.actor == engineer
    assert moved.status_changed_at == transition.created_at


@pytest.mark.parametrize(("status", "action"), REFUSED)
def test_every_move_the_table_does_not_allow_is_refused(status, action, engineer):
    pattern = make_pattern(status, engineer, **FULL)
    events = PatternEvent.objects.filter(pattern=pattern).count()
    with pytest.raises(TransitionRefused) as refused:
        move(pattern, action, engineer, reason="Because.")
    assert refused.value.code == "pattern_transition_not_allowed"
    assert FailurePattern.objects.get(pk=pattern.pk).status == status
    assert PatternEvent.objects.filter(pattern=pattern).count() == events


@pytest.mark.parametrize(
    ("status", "action", "missing", "code"),
    [
        ("investigating", "root_cause", {"root_cause": ""}, "root_cause_required"),
        ("investigating", "root_cause", {"public_summary": ""}, "public_summary_required"),
        ("root_caused", "start_corrective_action", {"corrective_action": ""}, "corrective_action_required"),
        ("corrective_action", "verify", {"effective_from_lot": ""}, "effectivity_required"),
    ],
)
def test_a_move_is_refused_without_what_it_needs(status, action, missing, code, engineer):
    pattern = make_pattern(status, engineer)
    pattern_edit(pattern=pattern, actor=engineer, source=Source.ADMIN, **{**FULL, **missing})
    with pytest.raises(TransitionRefused) as refused:
        move(pattern, action, engineer)
    assert refused.value.code == code
    assert refused.value.message
    assert FailurePattern.objects.get(pk=pattern.pk).status == status


def test_verified_needs_a_corrective_action_and_its_effectivity(engineer):
    # the corrective action cannot be emptied on the way either
    pattern = make_pattern(P.CORRECTIVE_ACTION, engineer)
    with pytest.raises(TransitionRefused) as refused:
        move(pattern, "verify", engineer, corrective_action="", effective_from_firmware="2.1.0")
    assert refused.value.code == "corrective_action_required"
    moved = move(pattern, "verify", engineer, effective_from_firmware="2.1.0")
    assert moved.status == P.VERIFIED


@pytest.mark.parametrize(
    "effectivity", [{"effective_from_firmware": "2.1"}, {"effective_from_date": dt.date(2030, 1, 1)}]
)
def test_any_one_effectivity_is_enough(effectivity, engineer):
    pattern = make_pattern(P.CORRECTIVE_ACTION, engineer)
    assert move(pattern, "verify", engineer, **effectivity).status == P.VERIFIED


def test_the_fields_written_in_the_same_step_are_recorded_too(engineer):
    pattern = make_pattern(P.INVESTIGATING, engineer)
    moved = move(pattern, "root_cause", engineer, root_cause="Cracked solder joint.", public_summary="A joint cracked.")
    assert (moved.status, moved.root_cause) == (P.ROOT_CAUSED, "Cracked solder joint.")
    edit = PatternEvent.objects.get(pattern=pattern, action="edit")
    assert edit.data["fields"] == ["public_summary", "root_cause"]
    assert edit.actor == engineer


@pytest.mark.parametrize("action", ["reopen", "dismiss"])
def test_reopening_and_dismissing_need_a_reason(action, engineer):
    pattern = make_pattern(P.CLOSED if action == "reopen" else P.NEW, engineer, **FULL)
    with pytest.raises(InvalidInput) as refused:
        move(pattern, action, engineer, reason="  ")
    assert refused.value.code == "reason_required"


def test_reopening_can_ask_for_more_samples(engineer):
    pattern = make_pattern(P.VERIFIED, engineer, **FULL)
    moved = move(pattern, "reopen", engineer, reason="Returns from lot L2512 too.", samples_wanted=4)
    assert (moved.status, moved.samples_wanted) == (P.INVESTIGATING, 4)
    event = PatternEvent.objects.get(pattern=pattern, action="reopen")
    assert event.reason == "Returns from lot L2512 too."
    assert event.data["samples_wanted"]["to"] == 4


def test_a_dismissed_pattern_knows_no_cause(engineer):
    pattern = make_pattern(P.INVESTIGATING, engineer)
    moved = move(pattern, "dismiss", engineer, reason="Duplicate of FP-0001.")
    assert moved.status == P.CLOSED
    assert not moved.cause_known


def test_only_engineers_move_patterns(technician, supervisor, engineer):
    pattern = make_pattern(P.NEW, engineer)
    for user in (technician, supervisor, None):
        with pytest.raises(ActionNotPermitted):
            move(pattern, "investigate", user)
    assert FailurePattern.objects.get(pk=pattern.pk).status == P.NEW


def test_unknown_action(engineer):
    with pytest.raises(InvalidInput) as refused:
        move(make_pattern(P.NEW, engineer), "promote", engineer)
    assert refused.value.code == "invalid_action"


def test_status_is_not_an_edit(engineer):
    pattern = make_pattern(P.NEW, engineer)
    with pytest.raises(InvalidInput) as refused:
        pattern_edit(pattern=pattern, actor=engineer, source=Source.ADMIN, status=P.CLOSED)
    assert refused.value.code == "status_not_editable"
    assert "status" not in [
        field.name for field in FailurePattern._meta.get_fields() if getattr(field, "editable", False)
    ]


def test_a_verified_fix_cannot_be_emptied(engineer):
    pattern = make_pattern(P.VERIFIED, engineer)
    with pytest.raises(TransitionRefused) as refused:
        pattern_edit(pattern=pattern, actor=engineer, source=Source.ADMIN, effective_from_lot="")
    assert refused.value.code == "pattern_fix_required"
    with pytest.raises(TransitionRefused):
        pattern_edit(pattern=make_pattern(P.ROOT_CAUSED, engineer), actor=engineer, source=Source.ADMIN, root_cause="")


def test_the_database_holds_the_invariants(engineer):
    pattern = make_pattern(P.NEW, engineer)
    with pytest.raises(IntegrityError), transaction.atomic():
        FailurePattern.objects.filter(pk=pattern.pk).update(status=P.ROOT_CAUSED)
    verified = make_pattern(P.VERIFIED, engineer)
    with pytest.raises(IntegrityError), transaction.atomic():
        FailurePattern.objects.filter(pk=verified.pk).update(effective_from_lot="")


@pytest.mark.postgres
def test_history_rows_are_append_only_in_postgresql(engineer):
    pattern = make_pattern(P.INVESTIGATING, engineer)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE diagnostics_patternevent SET reason = 'rewritten' WHERE pattern_id = %s", [pattern.pk])


def test_history_rows_cannot_be_edited_through_the_orm(engineer):
    event = PatternEvent.objects.filter(pattern=make_pattern(P.INVESTIGATING, engineer)).first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        PatternEvent.objects.all().delete()


def test_pattern_create_draws_the_next_code_and_records_it(engineer, battery):
    FailurePatternFactory(code="FP-0041", component=battery)
    pattern = pattern_create(title="Swelling in the heat", component=battery, actor=engineer, source=Source.API)
    assert (pattern.code, pattern.status) == ("FP-0042", P.NEW)
    event = PatternEvent.objects.get(pattern=pattern)
    assert (event.action, event.to_status, event.actor, event.source) == ("create", P.NEW, engineer, Source.API)
    with pytest.raises(InvalidInput) as refused:
        pattern_create(title="Again", component=battery, code="fp-0042", actor=engineer)
    assert refused.value.code == "pattern_exists"


# Recurrence after the fix ------------------------------------------------------------------------------


@pytest.fixture
def fixed(engineer, battery):
    """A pattern whose fix applies from lot L2510, verified."""
    pattern = FailurePatternFactory(code="FP-0300", component=battery, status=P.NEW)
    return pattern_move(pattern, P.VERIFIED, engineer=engineer)


def diagnose(build, make_device, *, lot, pattern, outcome="confirmed", firmware="1.0.0"):
    device = make_device(lot=lot, firmware_version=firmware)
    return build(RMA.Status.DIAGNOSING, device=device, outcome=outcome, pattern=pattern)


@pytest.mark.parametrize("status", [P.CORRECTIVE_ACTION, P.VERIFIED, P.CLOSED])
def test_a_failure_on_a_unit_with_the_fix_reopens_the_pattern(status, build, make_device, engineer, battery):
    pattern = pattern_move(
        FailurePatternFactory(code="FP-0301", component=battery, status=P.NEW), status, engineer=engineer
    )
    if not pattern.effective_from_lot:
        pattern = pattern_edit(pattern=pattern, actor=engineer, source=Source.ADMIN, effective_from_lot="L2510")
    rma = diagnose(build, make_device, lot="L2511", pattern=pattern)
    pattern.refresh_from_db()
    assert pattern.status == P.INVESTIGATING
    event = PatternEvent.objects.get(pattern=pattern, action="reopen")
    assert (event.from_status, event.source, event.data["automatic"]) == (status, Source.ADMIN, True)
    assert rma.number in event.reason
    assert "lot L2511" in event.reason and "from lot L2510" in event.reason


def test_a_failure_on_a_unit_built_before_the_fix_changes_nothing(build, make_device, fixed):
    diagnose(build, make_device, lot="L2509", pattern=fixed)
    fixed.refresh_from_db()
    assert fixed.status == P.VERIFIED
    assert not PatternEvent.objects.filter(pattern=fixed, action="reopen").exists()


def test_a_suspected_match_or_an_unknown_cause_does_not_reopen(build, make_device, fixed):
    diagnose(build, make_device, lot="L2511", pattern=fixed, outcome="cause_unknown")
    fixed.refresh_from_db()
    assert fixed.status == P.VERIFIED


def test_a_root_caused_pattern_has_no_fix_yet(build, make_device, engineer, battery):
    pattern = pattern_move(
        FailurePatternFactory(code="FP-0302", component=battery, status=P.NEW), P.ROOT_CAUSED, engineer=engineer
    )
    pattern_edit(pattern=pattern, actor=engineer, source=Source.ADMIN, effective_from_lot="L2510")
    diagnose(build, make_device, lot="L2511", pattern=pattern)
    pattern.refresh_from_db()
    assert pattern.status == P.ROOT_CAUSED


def test_a_firmware_fix_applies_to_units_running_it(build, make_device, engineer, battery):
    pattern = FailurePatternFactory(code="FP-0303", component=battery, status=P.NEW)
    pattern = pattern_move(pattern, P.CORRECTIVE_ACTION, engineer=engineer)
    pattern = move(pattern, "verify", engineer, effective_from_firmware="2.10")
    diagnose(build, make_device, lot="L2401", pattern=pattern, firmware="2.9.3")
    pattern.refresh_from_db()
    assert pattern.status == P.VERIFIED
    diagnose(build, make_device, lot="L2401", pattern=pattern, firmware="2.10.1")
    pattern.refresh_from_db()
    assert pattern.status == P.INVESTIGATING


# Pure rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"lot": "L2511", "from_lot": "L2510"}, True),
        ({"lot": "L2510", "from_lot": "L2510"}, True),
        ({"lot": "L2509", "from_lot": "L2510"}, False),
        ({"lot": "L999", "from_lot": "L1000"}, False),
        ({"firmware": "1.10.0", "from_firmware": "1.9"}, True),
        ({"firmware": "1.9.9", "from_firmware": "1.10"}, False),
        ({"built_on": dt.date(2026, 3, 1), "from_date": dt.date(2026, 3, 1)}, True),
        ({"built_on": dt.date(2026, 2, 28), "from_date": dt.date(2026, 3, 1)}, False),
        ({"lot": "L2509", "firmware": "2.0", "from_lot": "L2510", "from_firmware": "2.0"}, True),
        ({"lot": "L2509"}, None),
        ({"from_lot": "L2510"}, None),
    ],
)
def test_fix_applies(kwargs, expected):
    facts = {"lot": "", "firmware": "", "built_on": None, **kwargs}
    assert fix_applies(**facts) is expected


def test_versions_and_lots_sort_naturally():
    assert version_key("1.10") > version_key("1.9")
    assert version_key("L2510") > version_key("L2509")
    assert version_key("2.0-rc1") < version_key("2.0-rc2")
