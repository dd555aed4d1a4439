"""The customers' pages send no Referer, so their forms post with ``Origin: null``: the CSRF token decides."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def token(client, path):
    body = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


@pytest.mark.parametrize("secure", [False, True])
def test_a_form_posted_from_a_no_referrer_page_is_accepted_with_its_token(secure):
    client = Client(enforce_csrf_checks=True)
    csrf = token(client, "/returns/status/")
    data = {"csrfmiddlewaretoken": csrf, "rma_number": "RMA-00000000", "email": "a@example.com"}
    response = client.post("/returns/status/", data, HTTP_ORIGIN="null", secure=secure)
    assert response.status_code == 200
    assert "We could not find that return" in response.content.decode()


def test_without_the_token_or_from_another_site_it_is_refused():
    client = Client(enforce_csrf_checks=True)
    csrf = token(client, "/returns/status/")
    data = {"rma_number": "RMA-00000000", "email": "a@example.com"}
    assert client.post("/returns/status/", data, HTTP_ORIGIN="null").status_code == 403
    data["csrfmiddlewaretoken"] = csrf
    assert client.post("/returns/status/", data, HTTP_ORIGIN="https://evil.example").status_code == 403
