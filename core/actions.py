"""The action registry: every action on a domain object is declared here once.

An ``Action`` names what it does (label, style), who may do it (permission, and the sources that may
act without a signed-in user), where it may start (the statuses of its ``Kind``'s table), the service
it calls, and its inputs: the admin's form and the API's serializer. Everything else is derived from the
declaration:

- the one status door of each kind checks the permission and the statuses from it
  (``rma.services.transitions.rma_transition``, ``diagnostics.patterns.pattern_transition``, ...);
- the admin's buttons and forms (``core.admin.ActionModelAdmin``);
- the API's ``POST .../{id}/<action>/`` routes with their OpenAPI request and response schemas, and their
  permission checks (``core.api.actions.ActionRoutesMixin``);
- the tests' ``perform()`` helper (``tests/helpers.py``), from each action's ``example`` input.

Apps declare their actions in their own ``actions.py``, imported by their ``AppConfig.ready()``; a
higher app may declare actions on a lower app's kind (diagnostics declares the RMA's diagnosis and
goodwill steps) without the lower app importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.actors import Actor, staff_actor
from core.exceptions import ActionNotPermitted, TransitionRefused
from core.phrases import Said

Data = dict[str, Any]


def _always(obj: Any) -> bool:
    return True


def _never(obj: Any) -> bool:
    return False


@dataclass(frozen=True)
class Kind:
    """A kind of object that has actions: its status table and how a service names it."""

    name: str  # registry key, e.g. "rma"
    argument: str  # the keyword its services take the object by, e.g. "rma"
    label: str  # for messages, e.g. "return"
    # status -> the statuses it may move to; None for kinds without a status table
    transitions: Mapping[str, frozenset[str]] | None = None
    status_of: Callable[[Any], str] = lambda obj: obj.status


@dataclass(frozen=True)
class Action:
    """One action on one kind of object, declared once."""

    kind: Kind
    name: str  # python identifier, e.g. "accept_quote"
    label: str  # the button and the timeline say this
    permission: str | tuple[str, ...]  # every one is needed
    service: Callable[..., Any]
    # Where it may start. ``to_status`` set and ``from_statuses`` empty: every status the table lets move there.
    to_status: str | None = None
    from_statuses: frozenset[str] = frozenset()
    form: type | None = None  # admin input (a django Form); None: no admin button
    serializer: type | None = None  # API input; None with ``api``: an empty body
    api: bool = True  # offered as ``POST .../{id}/<url_path>/``
    url_path: str = ""  # default: the name with hyphens
    description: str = ""  # the API operation's description
    intro: str = ""  # what the admin's form says above its fields
    # Turn the form's cleaned data or the serializer's validated data into the service's keywords.
    admin_input: Callable[[Any, Data], Data] | None = None
    api_input: Callable[[Any, Data], Data] | None = None
    # Whether the button is worth showing for this object: only actions that can succeed are offered (the
    # service still decides).
    offer: Callable[[Any], bool] = _always
    # Whether it is a likely next step for this object: such buttons lead the page (SPEC §13).
    lead: Callable[[Any], bool] = _never
    style: str = "default"  # "primary", "default" or "danger" (a danger button always comes last)
    anonymous_sources: frozenset[str] = frozenset()  # sources that may act with no signed-in user
    customer_message: Said = field(default_factory=Said)  # what the customer reads on the timeline and in the e-mail
    reason_required: bool = False
    refresh_label: str = ""  # a second admin button redrawing the form without acting (e.g. suggestions)
    # A valid input for this object in the API's shape: the OpenAPI example and the tests' perform().
    example: Callable[[Any], Data] | None = None
    takes_source: bool = True  # whether the service takes ``source``
    permission_message: str = ""  # why an actor without the permission is refused (default: a plain sentence)
    before: str = ""  # declared by a later app: listed before this action of the kind (the lifecycle's order)

    @property
    def permissions(self) -> tuple[str, ...]:
        return (self.permission,) if isinstance(self.permission, str) else self.permission

    @property
    def path(self) -> str:
        return self.url_path or self.name.replace("_", "-")

    @property
    def starts_from(self) -> frozenset[str]:
        """The statuses the action may start from (empty for kinds without a status table)."""
        if self.from_statuses:
            return self.from_statuses
        table = self.kind.transitions or {}
        return frozenset(status for status, nexts in table.items() if self.to_status in nexts)

    def allowed_from(self, status: str) -> bool:
        """Whether the status table lets the action start from ``status``."""
        if self.kind.transitions is None:
            return not self.from_statuses or status in self.from_statuses
        if status not in self.starts_from:
            return False
        return self.to_status is None or self.to_status in self.kind.transitions.get(status, frozenset())

    def allowed_for(self, obj: Any) -> bool:
        return self.allowed_from(self.kind.status_of(obj))

    def may(self, actor: Actor) -> bool:
        user = staff_actor(actor)
        return user is not None and user.is_active and user.has_perms(self.permissions)

    def check_permission(self, actor: Actor, source: str = "") -> None:
        """Refuse (403, ``permission_denied``) an actor the declaration does not allow."""
        if staff_actor(actor) is None:
            if source in self.anonymous_sources:
                return
            raise ActionNotPermitted(f"“{self.label}” needs a signed-in member of staff.")
        if not self.may(actor):
            raise ActionNotPermitted(self.permission_message or f"You do not have permission to {self.label.lower()}.")

    def check_status(self, obj: Any, *, name: str) -> None:
        """Refuse (409, ``transition_not_allowed``) a start from a status the table does not allow."""
        if not self.allowed_for(obj):
            status = getattr(obj, "get_status_display", lambda: self.kind.status_of(obj))()
            raise TransitionRefused(
                f"{name} is {str(status).lower()}: it cannot be moved by “{self.label}”.",
                code="transition_not_allowed",
            )

    def perform(self, obj: Any, *, actor: Actor, source: str, data: Data | None = None) -> Any:
        """Call the service on ``obj`` with ``data`` already in the service's keywords."""
        kwargs: Data = {self.kind.argument: obj, "actor": actor, **(data or {})}
        if self.takes_source:
            kwargs["source"] = source
        return self.service(**kwargs)

    def perform_admin(self, obj: Any, *, actor: Actor, source: str, cleaned: Data) -> Any:
        data = self.admin_input(obj, dict(cleaned)) if self.admin_input else dict(cleaned)
        return self.perform(obj, actor=actor, source=source, data=data)

    def perform_api(self, obj: Any, *, actor: Actor, source: str, validated: Data) -> Any:
        data = self.api_input(obj, dict(validated)) if self.api_input else dict(validated)
        return self.perform(obj, actor=actor, source=source, data=data)


@dataclass
class Registry:
    """Actions by kind, in the order they were declared (the order of the lifecycle)."""

    kinds: dict[str, Kind] = field(default_factory=dict)
    actions: dict[str, dict[str, Action]] = field(default_factory=dict)

    def declare(self, *actions: Action) -> None:
        for action in actions:
            known = self.kinds.setdefault(action.kind.name, action.kind)
            if known is not action.kind:
                raise ValueError(f"Two kinds are called {action.kind.name}.")
            of_kind = self.actions.setdefault(action.kind.name, {})
            if action.name in of_kind and of_kind[action.name] is not action:
                raise ValueError(f"{action.kind.name}.{action.name} is declared twice.")
            of_kind[action.name] = action
            if action.before in of_kind:
                names = [name for name in of_kind if name != action.name]
                names.insert(names.index(action.before), action.name)
                self.actions[action.kind.name] = {name: of_kind[name] for name in names}

    def of(self, kind: str | Kind) -> list[Action]:
        name = kind if isinstance(kind, str) else kind.name
        return list(self.actions.get(name, {}).values())

    def get(self, kind: str | Kind, name: str) -> Action:
        key = kind if isinstance(kind, str) else kind.name
        try:
            return self.actions[key][name]
        except KeyError:
            raise LookupError(f"No action {name} is declared for {key}.") from None

    def find(self, kind: str | Kind, name: str) -> Action | None:
        key = kind if isinstance(kind, str) else kind.name
        return self.actions.get(key, {}).get(name)


registry = Registry()
declare = registry.declare
