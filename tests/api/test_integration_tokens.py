"""Integration tokens (hashed, named, expiring, revocable, several per user, only for staff with a role) and
the API's throttles per user and scope."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from core import ratelimit
from core.api.tokens import token_issue
from core.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_in(api, username: str, **extra):
    return api().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra}, format="json")


def get(api, key: str, path: str = "/api/v1/rmas/", scheme: str = "Bearer"):
    return api().get(path, HTTP_AUTHORIZATION=f"{scheme} {key}")


def test_a_token_is_stored_only_as_its_hash_and_shown_once(api, technician):
    answer = sign_in(api, "tech", name="Bench scanner 3", expires_in_days=7)

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    key = body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "Bench scanner 3"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values_list()))  # nowhere in clear
    assert token.prefix == key[:10]
    assert dt.timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    listed = api(technician).get("/api/v1/auth/tokens/").json()
    assert body["id"] in [row["id"] for row in listed]
    assert all("token" not in row and "key_hash" not in row for row in listed)


def test_a_user_holds_several_tokens_and_revoking_one_leaves_the_others(api, technician):
    first = sign_in(api, "tech", name="scanner").json()
    second = sign_in(api, "tech", name="ERP").json()

    revoked = api().post(f"/api/v1/auth/tokens/{first['id']}/revoke/", HTTP_AUTHORIZATION=f"Bearer {second['token']}")

    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    refused = get(api, first["token"])
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"
    assert get(api, second["token"], scheme="Token").status_code == 200


def test_an_expired_token_is_refused(api, technician, clock):
    clock.set(timezone.now())
    _token, key = token_issue(user=technician, name="short", expires_at=timezone.now() + dt.timedelta(hours=1))
    assert get(api, key).status_code == 200

    clock.advance(hours=2)

    answer = get(api, key)
    assert answer.status_code == 401
    assert answer.json()["code"] == "token_expired"


def test_tokens_are_only_for_active_staff_with_a_role(api, technician, roles):
    UserFactory(username="norole")
    UserFactory(username="customer-side", is_staff=False, role="technician")

    assert sign_in(api, "norole").json()["code"] == "token_not_allowed"
    assert sign_in(api, "customer-side").status_code == 403
    assert ApiToken.objects.count() == 0

    # a role taken away, or the account deactivated, stops the token at once
    key = sign_in(api, "tech").json()["token"]
    technician.groups.clear()
    assert get(api, key).json()["code"] == "token_not_allowed"
    technician.groups.add(Group.objects.get(name="technician"))
    assert get(api, key).status_code == 200
    technician.is_active = False
    technician.save()
    assert get(api, key).status_code == 401


def test_last_use_is_recorded(api, technician):
    token, key = token_issue(user=technician, name="ERP")
    assert token.last_used_at is None

    get(api, key)

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=30)


def test_reads_writes_and_reports_are_throttled_per_user_with_retry_after(
    api, technician, engineer, settings, monkeypatch
):
    cache.clear()
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_030.0)  # mid-window: no window ends in the test
    settings.API_THROTTLE_RATES = {"reads": "3/60", "writes": "2/60", "reports": "1/60"}
    tech = api(technician)

    reads = [tech.get("/api/v1/rmas/").status_code for _ in range(4)]
    report = [tech.get("/api/v1/reports/pareto/").status_code for _ in range(2)]
    writes = [tech.post("/api/v1/rmas/", {}, format="json").status_code for _ in range(3)]
    other_user = api(engineer).get("/api/v1/rmas/")

    assert reads == [200, 200, 200, 429]
    assert report == [200, 429]  # reports count apart from reads
    assert writes == [400, 400, 429]
    assert other_user.status_code == 200  # per user
    refused = tech.get("/api/v1/rmas/")
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 61
    cache.clear()


def test_the_schema_documents_429_and_idempotency_keys(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    rmas = schema["paths"]["/api/v1/rmas/"]
    assert "Retry-After" in rmas["get"]["responses"]["429"]["headers"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in rmas["post"]["parameters"])
    assert {p["name"] for p in rmas["get"]["parameters"]} >= {"updated_since", "cursor"}


def test_the_admin_issues_a_token_once_and_revokes_it(client, technician):
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    expires = (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")

    added = client.post(
        "/admin/core/apitoken/add/",
        {"user": technician.pk, "name": "ERP", "expires_at_0": expires[:10], "expires_at_1": expires[11:]},
        follow=True,
    )
    no_role = client.post(
        "/admin/core/apitoken/add/",
        {"user": UserFactory(username="plain").pk, "name": "x", "expires_at_0": expires[:10], "expires_at_1": "10:00"},
    )

    token = ApiToken.objects.get(user=technician)
    [message] = [str(m) for m in added.context["messages"] if "shown this once" in str(m)]
    key = message.rsplit(" ", 1)[-1]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.encode() not in client.get(f"/admin/core/apitoken/{token.pk}/change/").content
    assert no_role.status_code == 200 and b"only to active staff with a role" in no_role.content
    client.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
