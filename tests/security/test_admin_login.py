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


def test_guessing_one_account_from_one_address_is_stopped_even_with_the_right_password_then_allowed_again(
    technician, settings, monkeypatch
):
    settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP = "5/900"
    technician.set_password("right-horse-battery")
    technician.save()
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_000 * 900.0)
    client = Client()
    for _ in range(5):
        assert attempt(client, technician.username, "wrong").status_code == 200  # the form again, with its error
    refused = attempt(client, technician.username, "right-horse-battery")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many sign-in attempts" in refused.content.decode()
    assert not signed_in(client)
    # when: the window is over
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_001 * 900.0)
    assert attempt(client, technician.username, "right-horse-battery").status_code == 302
    assert signed_in(client)


def test_a_stranger_failing_on_purpose_does_not_lock_the_real_user_out(supervisor, settings):
    """Ten wrong passwords (and more, refused) from the stranger's address: the supervisor, elsewhere, signs in."""
    supervisor.set_password("right-horse-battery")
    supervisor.save()
    stranger = Client(REMOTE_ADDR="198.51.100.66")
    statuses = [attempt(stranger, supervisor.username, "guess").status_code for _ in range(40)]
    assert statuses == [200] * 10 + [429] * 30
    # the stranger's address is held, whatever the password
    assert attempt(stranger, supervisor.username, "right-horse-battery").status_code == 429
    # the real user, from their own address, in the admin and for an API token
    office = Client(REMOTE_ADDR="192.0.2.10")
    assert attempt(office, supervisor.username, "right-horse-battery").status_code == 302
    assert signed_in(office)
    token = Client(REMOTE_ADDR="192.0.2.10").post(
        "/api/v1/auth/token/",
        {"username": supervisor.username, "password": "right-horse-battery"},
        content_type="application/json",
    )
    assert token.status_code == 200 and token.json()["token"]


def test_guessing_from_many_addresses_meets_the_per_username_ceiling(technician, settings):
    settings.RMA_LOGIN_RATE_PER_USERNAME = "6/3600"
    technician.set_password("right-horse-battery")
    technician.save()
    statuses = [
        attempt(Client(REMOTE_ADDR=f"203.0.113.{n}"), technician.username, "guess").status_code for n in range(8)
    ]
    assert statuses == [200] * 6 + [429] * 2


def test_successful_sign_ins_do_not_count(technician, settings):
    settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP = "3/900"
    settings.RMA_LOGIN_RATE_PER_USERNAME = "3/900"
    settings.RMA_LOGIN_RATE_PER_IP = "3/900"
    technician.set_password("right-horse-battery")
    technician.save()
    for _ in range(10):
        assert attempt(Client(), technician.username, "right-horse-battery").status_code == 302
    # and the failures still have their full allowance after them
    client = Client()
    assert [attempt(client, technician.username, "wrong").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_full_width_variant_of_the_username_shares_its_counter(technician, settings):
    settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP = "3/900"
    technician.set_password("right-horse-battery")
    technician.save()
    full_width = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in technician.username)
    assert full_width != technician.username
    client = Client()
    for _ in range(3):
        assert attempt(client, technician.username, "wrong").status_code == 200
    assert attempt(client, full_width, "guess").status_code == 429
    assert attempt(client, f"  {technician.username} ", "guess").status_code == 429
    # the API's token endpoint counts the same name
    refused = client.post(
        "/api/v1/auth/token/", {"username": full_width, "password": "guess"}, content_type="application/json"
    )
    assert refused.status_code == 429


def test_the_sign_in_matches_names_after_nfkc_and_case_exactly(technician):
    """What the counter's key follows: ModelBackend matches exactly after the form's NFKC, case included."""
    technician.set_password("right-horse-battery")
    technician.save()
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in technician.username)
    assert attempt(Client(), full_width, "right-horse-battery").status_code == 302
    assert attempt(Client(), technician.username.upper(), "right-horse-battery").status_code == 200  # not signed in
    token = Client().post(
        "/api/v1/auth/token/",
        {"username": full_width, "password": "right-horse-battery"},
        content_type="application/json",
    )
    assert token.status_code == 200


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
    settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP = "3/900"
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


def test_one_address_alone_cannot_reach_the_per_username_ceiling_with_the_default_settings(settings):
    """The narrow limit, over the ceiling's window, stays under the ceiling."""
    for narrow, ceiling in (
        (settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP, settings.RMA_LOGIN_RATE_PER_USERNAME),
        (settings.RMA_LOOKUP_RATE_PER_NUMBER_AND_IP, settings.RMA_LOOKUP_RATE_PER_NUMBER),
    ):
        narrow_rate, ceiling_rate = ratelimit.Rate.parse(narrow), ratelimit.Rate.parse(ceiling)
        windows = -(-ceiling_rate.seconds // narrow_rate.seconds) + 1  # a ceiling window spans this many, at most
        assert narrow_rate.count * windows < ceiling_rate.count
