"""The OpenAPI schema says what the API really does: JSON bodies only, every field typed, blank and null
values where the data has them, dates as dates, CSV as operations of their own, the token scheme in
machine-readable form. (A client generated from the schema is run against the API in
``test_generated_client.py``.)"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.db import models
from drf_spectacular.generators import SchemaGenerator

from core.api.output import ModelOutput
from diagnostics.api import serializers as diagnostics_serializers
from rma.api import serializers as rma_serializers

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(schema, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def accepts(schema, node: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` fits ``node`` as far as blank, null, enums and types go (enough for these checks)."""
    node = resolve(schema, node)
    if value is None and node.get("nullable"):
        return True
    if "allOf" in node:
        return all(accepts(schema, part, value) for part in node["allOf"])
    if "oneOf" in node or "anyOf" in node:
        return any(accepts(schema, part, value) for part in node.get("oneOf") or node["anyOf"])
    if "enum" in node:
        return value in node["enum"]
    kind = node.get("type")
    if value is None:
        return False
    if kind == "string":
        return isinstance(value, str) and len(value) >= node.get("minLength", 0)
    return kind is not None


def output_serializers() -> list[type[ModelOutput]]:
    found = []
    for module in (rma_serializers, diagnostics_serializers):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ModelOutput) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def model_path(model: type[models.Model], source: str) -> list[models.Field]:
    """The model fields a dotted ``source`` goes through (empty when it is not a model field)."""
    fields = []
    for name in source.split("."):
        try:
            field = model._meta.get_field(name)
        except Exception:
            return []
        if not field.concrete or field.many_to_many:
            return []  # a list of related rows: never null
        fields.append(field)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return fields


def test_request_bodies_are_json_only(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)


def test_every_answer_has_one_media_type(schema):
    for path, method, operation in operations(schema):
        for status, answer in operation["responses"].items():
            assert len(answer.get("content", {})) <= 1, (method, path, status)


def test_every_property_is_typed(schema):
    for name, component in schema["components"]["schemas"].items():
        for prop, node in (component.get("properties") or {}).items():
            assert {"type", "$ref", "allOf", "oneOf", "anyOf"} & set(node), f"{name}.{prop} has no type"
            if node.get("type") == "array":
                assert {"type", "$ref", "allOf", "oneOf"} & set(node["items"]), f"{name}.{prop} items have no type"


@pytest.mark.parametrize("serializer_class", output_serializers(), ids=lambda cls: cls.__name__)
def test_blank_and_null_values_are_declared_where_the_data_has_them(schema, serializer_class):
    component = schema["components"]["schemas"][serializer_class.__name__.removesuffix("Serializer")]
    model = serializer_class.Meta.model
    for name, field in serializer_class().fields.items():
        path = model_path(model, field.source)
        if not path:
            continue
        node = component["properties"][name]
        last = path[-1]
        if any(step.null for step in path):
            assert accepts(schema, node, None), f"{serializer_class.__name__}.{name} can be null"
        if last.blank and isinstance(last, (models.CharField, models.TextField)):
            assert accepts(schema, node, ""), f"{serializer_class.__name__}.{name} can be blank"


def test_an_open_returns_blank_resolution_is_in_the_schema(schema):
    rma = schema["components"]["schemas"]["RMA"]
    assert accepts(schema, rma["properties"]["resolution"], "")
    assert accepts(schema, rma["properties"]["resolution"], "repaired")
    assert not accepts(schema, rma["properties"]["resolution"], "nonsense")


def test_date_parameters_are_dates(schema):
    for path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if name.startswith("date_") or name in ("since",) or name.endswith(("_on", "_after", "_before")):
                assert parameter["schema"].get("format") in ("date", "date-time"), (path, name)


def test_reports_answer_typed_json_and_csv_is_an_operation_of_its_own(schema):
    reports = [path for path in schema["paths"] if "/reports/" in path]
    json_paths = [path for path in reports if path.endswith("/")]
    assert len(json_paths) >= 8
    for path in json_paths:
        operation = schema["paths"][path]["get"]
        answer = operation["responses"]["200"]["content"]
        assert list(answer) == ["application/json"], path
        body = resolve(schema, answer["application/json"]["schema"])
        assert body.get("additionalProperties") in (None, False), path
        assert {"report", "filters", "columns", "rows"} <= set(body["properties"]), path
        assert "format" not in {parameter["name"] for parameter in operation.get("parameters", [])}, path
        csv = schema["paths"][path.removesuffix("/") + ".csv"]["get"]
        assert list(csv["responses"]["200"]["content"]) == ["text/csv"], path
        assert csv["operationId"] == operation["operationId"] + "_csv"


def test_the_token_is_documented_as_bearer_or_token(schema):
    schemes = schema["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert schemes["tokenAuth"]["type"] == "apiKey"
    rmas = schema["paths"]["/api/v1/rmas/"]["get"]
    # any one of them is enough (one requirement naming two schemes would need both)
    assert {"bearerAuth": []} in rmas["security"] and {"tokenAuth": []} in rmas["security"]
