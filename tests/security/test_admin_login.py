"""Staff sign-in attempts are limited per username and per client address, on the shared counter."""

import re

import pytest
from django.test import Client

from core import ratelimit

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_guessing_one_account_is_stopped_even_with_the_right_password_then_allowed_again(
    technician, settings, monkeypatch
):
    settings.RMA_LOGIN_RATE_PER_USERNAME = "5/900"
    technician.set_password("right-horse-battery")
    technician.save()
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_000 * 900.0)
    client = Client()
    for _ in range(5):
        assert attempt(client, technician.username, "wrong").status_code == 200  # the form again, with its error
    refused = attempt(client, technician.username.upper(), "right-horse-battery")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many sign-in attempts" in refused.content.decode()
    assert not signed_in(client)
    # from another address too: the counter is per username
    assert attempt(Client(REMOTE_ADDR="10.9.9.9"), technician.username, "right-horse-battery").status_code == 429
    # when: the window is over
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_001 * 900.0)
    assert attempt(client, technician.username, "right-horse-battery").status_code == 302
    assert signed_in(client)


def test_one_address_trying_many_accounts_is_stopped(settings):
    settings.RMA_LOGIN_RATE_PER_IP = "8/900"
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [attempt(client, f"user{n}", "guess").status_code for n in range(10)]
    assert statuses == [200] * 8 + [429] * 2
    assert attempt(Client(REMOTE_ADDR="203.0.113.8"), "user0", "guess").status_code == 200


def test_looking_at_the_sign_in_page_costs_nothing(settings):
    settings.RMA_LOGIN_RATE_PER_IP = "2/900"
    client = Client()
    for _ in range(5):
        assert client.get(LOGIN).status_code == 200


def test_the_sign_in_form_needs_its_csrf_token(technician):
    technician.set_password("right-horse-battery")
    technician.save()
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert attempt(client, technician.username, "right-horse-battery").status_code == 403
    data = {"username": technician.username, "password": "right-horse-battery", "csrfmiddlewaretoken": token}
    assert client.post(LOGIN, data).status_code == 302


def test_the_api_token_endpoint_has_the_same_limit(technician, settings):
    settings.RMA_LOGIN_RATE_PER_USERNAME = "3/900"
    technician.set_password("right-horse-battery")
    technician.save()
    client = Client()
    url = "/api/v1/auth/token/"
    for _ in range(3):
        wrong = {"username": technician.username, "password": "wrong"}
        assert client.post(url, wrong, content_type="application/json").status_code == 400
    right = {"username": technician.username, "password": "right-horse-battery"}
    refused = client.post(url, right, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_attempts" and int(refused["Retry-After"]) > 0
