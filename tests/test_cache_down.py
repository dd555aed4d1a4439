"""The cache (Redis) down: public pages, look-ups and sign-ins still answer, and their limits still hold
(counted in the database, ``core.RateCounter``); ``/readyz`` says the cache is down (SPEC §15)."""

from __future__ import annotations

import pytest
from django.test import Client

from core import ratelimit
from core.models import RateCounter
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db

DOWN = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}


@pytest.fixture
def cache_down(settings):
    """The default cache points at a port where nothing listens: every call to it fails."""
    settings.CACHES = {**settings.CACHES, "default": {**DOWN, "OPTIONS": {"socket_connect_timeout": 0.2}}}
    yield
    ratelimit._cache_down_until = 0.0


def start_form(serial: str, submission: str) -> dict[str, str]:
    return {
        "serial_number": serial,
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "fault_description": "The screen flickers.",
        "submission_id": submission,
    }


def test_the_limits_count_in_the_database_and_still_hold(cache_down):
    rate = ratelimit.Rate(3, 60)
    verdicts = [ratelimit.hit("test", "someone", rate).allowed for _ in range(5)]
    assert verdicts == [True, True, True, False, False]
    assert RateCounter.objects.get().count == 5
    assert ratelimit.hit("test", "someone else", rate).allowed


def test_a_right_guess_gives_its_database_count_back(cache_down):
    attempt = ratelimit.guess_attempt_start(
        "t", "id", "192.0.2.1", per_identity_and_address="2/60", per_address="5/60", per_identity="9/60"
    )
    assert attempt.allowed and all(key.startswith(ratelimit.DATABASE_PREFIX) for key in attempt.keys)
    attempt.succeeded()
    assert set(RateCounter.objects.values_list("count", flat=True)) == {0}


def test_after_a_failure_the_cache_is_not_waited_on_again_for_a_while(cache_down, monkeypatch):
    ratelimit.hit("test", "someone", ratelimit.Rate(3, 60))
    assert not ratelimit.cache_usable()
    monkeypatch.setattr(ratelimit, "_cache_count", lambda *args: pytest.fail("the cache was asked again"))
    ratelimit.hit("test", "someone", ratelimit.Rate(3, 60))
    assert RateCounter.objects.get().count == 2


def test_the_lookup_answers_and_is_still_limited(cache_down, settings, in_warranty_device):
    settings.RMA_LOOKUP_RATE_PER_NUMBER_AND_IP = "2/900"
    rma = open_return(in_warranty_device, email="owner@example.com")
    client = Client()
    wrong = {"rma_number": rma.number, "email": "nobody@example.com"}
    assert [client.post("/returns/status/", wrong).status_code for _ in range(3)] == [200, 200, 429]
    right = client.post("/returns/status/", {"rma_number": rma.number, "email": "owner@example.com"})
    assert right.status_code == 429  # the limit holds, even for the right e-mail


def test_starting_a_return_answers_and_is_still_limited(cache_down, settings, in_warranty_device):
    settings.RMA_START_RATE_PER_IP = "1/3600"
    client = Client()
    first = client.post("/returns/new/", start_form(in_warranty_device.serial_number, "form-1"))
    assert first.status_code == 303
    assert client.get("/returns/new/").status_code == 200
    second = client.post("/returns/new/", start_form(in_warranty_device.serial_number, "form-2"))
    assert second.status_code == 429


def test_the_admin_sign_in_answers_and_is_still_limited(cache_down, settings, technician):
    settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP = "2/900"
    technician.set_password("right-horse-battery")
    technician.save()
    client = Client()
    assert client.get("/admin/login/").status_code == 200
    wrong = {"username": technician.username, "password": "wrong", "next": "/admin/"}
    assert [client.post("/admin/login/", wrong).status_code for _ in range(3)] == [200, 200, 429]
    other = Client(REMOTE_ADDR="192.0.2.50")
    right = {"username": technician.username, "password": "right-horse-battery", "next": "/admin/"}
    assert other.post("/admin/login/", right).status_code == 302


def test_the_api_token_endpoint_answers_and_is_still_limited(cache_down, settings, technician):
    settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP = "2/900"
    technician.set_password("right-horse-battery")
    technician.save()
    client = Client()
    url = "/api/v1/auth/token/"
    wrong = {"username": technician.username, "password": "wrong"}
    codes = [client.post(url, wrong, content_type="application/json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    right = {"username": technician.username, "password": "right-horse-battery"}
    assert Client(REMOTE_ADDR="192.0.2.50").post(url, right, content_type="application/json").status_code == 200


def test_readyz_says_the_cache_is_down(cache_down, client):
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["cache"]
