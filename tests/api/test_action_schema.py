"""Every declared action's API route is documented with its own input and the object's detail as its answer."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings

from core.actions import registry
from diagnostics.api.views import FailurePatternViewSet, FaultSignalViewSet, RootCauseCaseViewSet
from rma.api.views import RMAViewSet

ROUTES = {
    "rma": ("/api/v1/rmas/{number}/", RMAViewSet),
    "pattern": ("/api/v1/failure-patterns/{code}/", FailurePatternViewSet),
    "case": ("/api/v1/rca-cases/{id}/", RootCauseCaseViewSet),
    "signal": ("/api/v1/fault-signals/{id}/", FaultSignalViewSet),
}
API_ACTIONS = [(kind, action) for kind in ROUTES for action in registry.of(kind) if action.api]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def component_name(serializer_class, *, request: bool) -> str:
    """The component drf-spectacular names for a serializer (``…Request`` for request bodies)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return name + "Request" if request and spectacular_settings.COMPONENT_SPLIT_REQUEST else name


def test_every_kind_with_routes_has_its_declared_actions_as_routes():
    for kind, (_, viewset) in ROUTES.items():
        # read routes (a signal's failures) are not actions: only the POST routes come from the registry
        routed = {extra.url_path for extra in viewset.get_extra_actions() if "post" in extra.mapping}
        assert routed == {action.path for action in registry.of(kind) if action.api}, kind


@pytest.mark.parametrize(("kind", "action"), API_ACTIONS, ids=lambda v: v if isinstance(v, str) else v.name)
def test_an_action_route_documents_its_own_input_and_the_detail_as_answer(schema, kind, action):
    prefix, viewset = ROUTES[kind]
    operation = schema["paths"][f"{prefix}{action.path}/"]["post"]
    body = operation.get("requestBody", {}).get("content", {})
    if action.serializer is None:
        assert body == {}, "an action without input documents no body"
    else:
        wanted = f"#/components/schemas/{component_name(action.serializer, request=True)}"
        assert body["application/json"]["schema"] == {"$ref": wanted}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": f"#/components/schemas/{component_name(viewset.action_response, request=False)}"}
    assert {"400", "403", "404", "409"} <= set(operation["responses"])
    assert operation["summary"] == action.label


def test_an_action_route_needs_the_declared_permissions():
    for kind, (_, viewset) in ROUTES.items():
        for action in registry.of(kind):
            if action.api:
                assert viewset.permissions_for(action.name) == action.permissions
