"""Errors to Sentry when ``SENTRY_DSN`` is set (SPEC §15), without personal data or secret links.

``sentry_init`` is called by the settings; without a DSN nothing is imported or sent. Every event and
breadcrumb passes ``scrub`` on its way out: secret status links, e-mail addresses and tokens are
replaced wherever they appear (messages, exception values, local variables, request data, headers),
values under names that hold secrets or contact details are dropped, and the user is kept as an id only.
"""

from __future__ import annotations

import re
from typing import Any

from core.logging import redact

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CREDENTIALS = re.compile(r"\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# A value under one of these names (any case, anywhere in a key) is never sent.
SECRET_NAMES = re.compile(
    r"pass|secret|token|auth|cookie|session|csrf|signature|api[_-]?key|email|e-mail|phone|address|"
    r"customer_name|full_name|first_name|last_name|username",
    re.IGNORECASE,
)
# The SDK's own description of itself and of the machine: sent as they are.
KEPT_SECTIONS = ("sdk", "modules", "contexts")
FILTERED = "[Filtered]"


def scrub_text(text: str) -> str:
    text = redact(text)
    text = EMAIL.sub("[email]", text)
    return CREDENTIALS.sub(r"\1 [redacted]", text)


def scrub(value: Any, key: str = "") -> Any:
    """``value`` with every secret link, e-mail address and token removed, recursively."""
    if key and SECRET_NAMES.search(key):
        return FILTERED if value not in (None, "", [], {}) else value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, k if isinstance(k, str) else "") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)  # form bodies carry e-mails, names and passwords
        request.pop("env", None)
    return {key: value if key in KEPT_SECTIONS else scrub(value, key) for key, value in event.items()}


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return scrub(crumb)


def sentry_init(dsn: str, *, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start sending errors to Sentry when ``dsn`` is set; True if it was."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        # An event is a plain dict at run time; the SDK types it as a TypedDict.
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,  # type: ignore[arg-type]
        traces_sample_rate=traces_sample_rate,
    )
    return True
