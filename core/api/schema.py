"""OpenAPI post-processing: every operation documents the API's error answers, all ``{"code", "message"}``,
including 429 with ``Retry-After`` (``core.api.throttling``); every creating POST its ``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

HEADER = "Idempotency-Key"

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
            too_many = (
                "Too many sign-in attempts for this username or from this address."
                if path.endswith("/auth/token/")
                else "Too many requests of this scope (reads, writes, reports) by this user; wait `Retry-After` s."
            )
            responses["429"] = {
                "description": too_many,
                "headers": {"Retry-After": RETRY_AFTER},
                "content": {"application/json": {"schema": reference}},
            }
            if method == "post" and "{" not in path and "/auth/" not in path:
                parameters = operation.setdefault("parameters", [])
                if not any(parameter.get("name") == HEADER for parameter in parameters):
                    parameters.append(IDEMPOTENCY_HEADER)
    return result


RETRY_AFTER: dict[str, Any] = {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}
IDEMPOTENCY_HEADER: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Any unique string (a UUID). Sent again within 24 hours with the same body, the first answer is "
    "returned (with `Idempotent-Replayed: true`) and nothing is created twice; with another body, 409 "
    "`idempotency_key_reused`.",
}
