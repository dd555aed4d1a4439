"""The API's face of the action registry: one ``POST .../{id}/<action>/`` route per declared action.

A viewset that mixes in ``ActionRoutesMixin`` and names its ``action_kind`` gets a route for every
declared action of that kind with ``api`` set. Each route checks the input with the action's serializer
(strict: unknown fields are refused), calls the action's service as the signed-in user and answers with
the object as the viewset's detail shows it. The OpenAPI schema documents each route with the action's
own request body and the detail as its answer; the permission check reads the action's declaration.
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action as route
from rest_framework.request import Request
from rest_framework.response import Response

from core.actions import Action, registry
from core.api.input import StrictInput, valid_input


class NoInput(StrictInput):
    """An action that takes no input: an empty JSON object (or no body)."""


def _handler(spec: Action):
    def handler(self, request: Request, **kwargs: Any) -> Response:
        obj = self.action_object(kwargs[self.lookup_url_kwarg or self.lookup_field])
        validated = valid_input(spec.serializer or NoInput, request)
        spec.perform_api(obj, actor=request.user, source=self.action_source, validated=validated)
        return Response(self.action_answer(obj))

    handler.__name__ = spec.name
    handler.__doc__ = spec.description
    return handler


class ActionRoutesMixin:
    """Lifecycle routes derived from the action registry; a viewset provides the object and its answer."""

    action_kind: ClassVar[str] = ""
    action_source: ClassVar[str] = "api"
    # The detail serializer each route answers with, and the path parameter's documentation.
    action_response: ClassVar[type | None] = None
    action_parameter: ClassVar[OpenApiParameter | None] = None
    # Permissions of the viewset's own (non-action) methods: list, retrieve, create, ...
    action_permissions: ClassVar[dict[str, str | tuple[str, ...]]] = {}
    _routes_installed: ClassVar[str] = ""

    def action_object(self, lookup: str) -> Any:
        raise NotImplementedError

    def action_answer(self, obj: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def declared_routes(cls) -> list[Action]:
        return [action for action in registry.of(cls.action_kind) if action.api]

    @classmethod
    def install_action_routes(cls) -> None:
        """Add one DRF ``@action`` per declared action (once per class, after the apps have declared theirs)."""
        if cls.__dict__.get("_routes_installed") == cls.action_kind:
            return
        for spec in cls.declared_routes():
            handler = route(detail=True, methods=["post"], url_path=spec.path, url_name=spec.path)(_handler(spec))
            # extend_schema must wrap the @action (it is lost when @action is applied over it)
            documented = extend_schema(
                operation_id=f"{cls.action_kind}_{spec.name}",
                summary=spec.label,
                description=spec.description,
                parameters=[cls.action_parameter] if cls.action_parameter else None,
                request=spec.serializer or NoInput,
                responses=cls.action_response,
            )(handler)
            setattr(cls, spec.name, documented)
        cls._routes_installed = cls.action_kind

    @classmethod
    def get_extra_actions(cls):
        cls.install_action_routes()
        return super().get_extra_actions()  # type: ignore[misc]

    @classmethod
    def permissions_for(cls, name: str) -> tuple[str, ...] | None:
        """The permissions the route or method ``name`` needs; None for one the viewset does not offer."""
        spec = registry.find(cls.action_kind, name) if cls.action_kind else None
        if spec is not None and spec.api:
            return spec.permissions
        wanted = cls.action_permissions.get(name)
        if wanted is None:
            return None
        return (wanted,) if isinstance(wanted, str) else wanted
