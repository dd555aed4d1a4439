"""OpenAPI post-processing: every operation documents the API's error answers, all ``{"code", "message"}``."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable, machine-readable code, e.g. `transition_not_allowed`."},
        "message": {"type": "string", "description": "What went wrong, in words a person can act on."},
        "field": {"type": "string", "description": "The input field the error is about, when there is one."},
        "errors": {"type": "object", "additionalProperties": {}, "description": "Field errors of a 400."},
    },
    "required": ["code", "message"],
}

ERRORS: dict[str, str] = {
    "400": "Bad input (field errors under `errors`).",
    "401": "No credentials, or invalid ones (`WWW-Authenticate: Token`).",
    "403": "Signed in, but the role does not allow this.",
    "404": "Unknown object or page.",
    "409": "Refused by the lifecycle or the policy.",
}


def document_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status == "409" and method == "get":
                    continue
                if status in ("401", "403") and path.endswith("/auth/token/"):
                    continue
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
            if path.endswith("/auth/token/"):
                responses["429"] = {
                    "description": "Too many sign-in attempts for this username or from this address (`Retry-After`).",
                    "content": {"application/json": {"schema": reference}},
                }
    return result
