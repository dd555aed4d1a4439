"""Sentry (SPEC §15): on only with SENTRY_DSN, and no personal data, token or secret link in what is sent."""

from __future__ import annotations

import json

from core import sentry

LINK = "https://returns.example.com/returns/track/AbC123secretToken_xyz/"


def an_event() -> dict:
    return {
        "message": f"Not Found: {LINK}",
        "user": {"id": 42, "email": "ada@example.com", "ip_address": "192.0.2.7", "username": "ada"},
        "request": {
            "url": LINK,
            "query_string": "next=/returns/track/AbC123secretToken_xyz/",
            "headers": {"Authorization": "Bearer 9f8e7d6c5b4a", "Cookie": "sessionid=abc", "User-Agent": "curl/8"},
            "cookies": {"sessionid": "abc"},
            "data": {"email": "ada@example.com", "password": "hunter2"},
        },
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "No return for ada@example.com with Token 0123456789abcdef",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "rma/views.py",
                                "function": "return_status",
                                "vars": {
                                    "customer_email": "ada@example.com",
                                    "token": "AbC123secretToken_xyz",
                                    "number": "RMA-00000042",
                                    "url": LINK,
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"GET {LINK} from bob@example.org"}]},
        "sdk": {"name": "sentry.python.django", "version": "2"},
    }


def test_events_lose_links_emails_tokens_and_personal_fields():
    event = sentry.before_send(an_event(), {})
    text = json.dumps(event)
    for secret in ("AbC123secretToken_xyz", "ada@example.com", "bob@example.org", "9f8e7d6c5b4a", "hunter2", "abc"):
        assert secret not in text, secret
    assert "0123456789abcdef" not in text
    assert event["user"] == {"id": 42}
    assert "cookies" not in event["request"] and "data" not in event["request"]
    assert event["request"]["headers"]["Authorization"] == sentry.FILTERED
    assert event["request"]["headers"]["User-Agent"] == "curl/8"
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["vars"]["number"] == "RMA-00000042"  # what is not personal stays, to debug with
    assert frame["vars"]["url"].endswith("/returns/track/[redacted]/")
    assert frame["function"] == "return_status" and event["sdk"]["name"] == "sentry.python.django"


def test_breadcrumbs_are_scrubbed_too():
    crumb = sentry.before_breadcrumb({"category": "query", "message": f"SELECT ... 'ada@example.com' {LINK}"}, {})
    assert "ada@example.com" not in crumb["message"] and "AbC123secretToken_xyz" not in crumb["message"]


def test_nothing_starts_without_a_dsn():
    assert sentry.sentry_init("", environment="", release="", traces_sample_rate=0.0) is False


def test_a_dsn_starts_the_sdk_with_the_scrubber(monkeypatch):
    import sentry_sdk

    seen = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: seen.update(options))
    assert sentry.sentry_init("https://key@sentry.example.com/1", environment="prod", release="", traces_sample_rate=0)
    assert seen["before_send"] is sentry.before_send and seen["send_default_pii"] is False
    assert seen["environment"] == "prod" and seen["release"] is None
