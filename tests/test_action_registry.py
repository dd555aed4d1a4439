"""The action registry itself: declarations, order, and the refusals it derives."""

from __future__ import annotations

import pytest

from core.actions import Action, Kind, Registry
from core.exceptions import ActionNotPermitted, TransitionRefused
from tests.factories import UserFactory

TABLE = {"open": frozenset({"done"}), "done": frozenset()}
THING = Kind("thing", argument="thing", label="thing", transitions=TABLE)


class Thing:
    def __init__(self, status: str) -> None:
        self.status = status


def finish(*, thing, actor, source, note=""):
    return (thing, actor, source, note)


def declared(**overrides) -> Action:
    return Action(
        THING, overrides.pop("name", "finish"), "Finish", "auth.view_user", finish, to_status="done", **overrides
    )


def test_statuses_follow_the_kinds_table():
    action = declared()
    assert action.starts_from == frozenset({"open"})
    assert action.allowed_for(Thing("open")) and not action.allowed_for(Thing("done"))
    with pytest.raises(TransitionRefused) as refused:
        action.check_status(Thing("done"), name="T-1")
    assert refused.value.code == "transition_not_allowed"


def test_an_action_is_declared_once_and_later_apps_can_place_theirs():
    registry = Registry()
    first, last = declared(name="first"), declared(name="last")
    registry.declare(first, last)
    registry.declare(declared(name="middle", before="last"))
    assert [action.name for action in registry.of("thing")] == ["first", "middle", "last"]
    with pytest.raises(ValueError, match="declared twice"):
        registry.declare(declared(name="first"))


@pytest.mark.django_db
def test_permission_and_anonymous_sources_are_checked_from_the_declaration():
    action = declared(anonymous_sources=frozenset({"page"}), permission_message="Only staff finish things.")
    action.check_permission(None, "page")  # the customer on the public pages
    with pytest.raises(ActionNotPermitted):
        action.check_permission(None, "api")
    with pytest.raises(ActionNotPermitted, match=r"Only staff finish things\."):
        action.check_permission(UserFactory(), "admin")
    assert action.may(UserFactory(is_superuser=True))


def test_perform_calls_the_service_with_the_objects_keyword():
    thing = Thing("open")
    assert declared().perform_admin(thing, actor=None, source="admin", cleaned={"note": "x"}) == (
        thing,
        None,
        "admin",
        "x",
    )
