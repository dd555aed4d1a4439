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


@pytest.fixture
def every_public_form(build, in_warranty_device):
    """Each form on the customers' pages: (page to get the token from, where it posts, what it posts)."""
    from rma.models import RMA
    from rma.status_links import status_link_issue, status_path

    closed = build(RMA.Status.CLOSED)
    quoted = build(RMA.Status.AWAITING_CUSTOMER)
    track_closed = status_path(status_link_issue(rma=closed))
    track_quoted = status_path(status_link_issue(rma=quoted))
    start = {
        "serial_number": in_warranty_device.serial_number,
        "email": "new@example.com",
        "name": "New Owner",
        "fault_description": "Screen flickers.",
        "submission_id": "a" * 32,
    }
    return [
        ("/returns/new/", "/returns/new/", start),
        ("/returns/status/", "/returns/status/", {"rma_number": closed.number, "email": "owner@example.com"}),
        ("/", "/returns/status/", {"rma_number": closed.number, "email": "owner@example.com"}),
        (track_closed, track_closed, {"form": "follow_up", "answer": "still_failing", "description": "Dead again."}),
        (track_quoted, track_quoted, {"form": "quote", "answer": "accept"}),
    ]


def test_every_public_form_is_refused_without_its_token_or_from_another_site(every_public_form):
    from rma.models import RMA, FollowUp

    rmas_before = RMA.objects.count()
    for page, action, data in every_public_form:
        client = Client(enforce_csrf_checks=True)
        csrf = token(client, page)
        assert client.post(action, data, HTTP_ORIGIN="null").status_code == 403, action
        forged = {**data, "csrfmiddlewaretoken": "x" * 64}
        assert client.post(action, forged, HTTP_ORIGIN="null").status_code == 403, action
        signed = {**data, "csrfmiddlewaretoken": csrf}
        assert client.post(action, signed, HTTP_ORIGIN="https://evil.example").status_code == 403, action
        assert Client(enforce_csrf_checks=True).post(action, signed, HTTP_ORIGIN="null").status_code == 403, action
    # nothing happened: no return opened, no answer recorded, no quote accepted
    assert RMA.objects.count() == rmas_before
    assert not FollowUp.objects.exclude(answer="").exists()
    assert not RMA.objects.filter(quote_status=RMA.QuoteStatus.ACCEPTED).exists()


def test_with_their_token_the_same_forms_go_through(every_public_form):
    for page, action, data in every_public_form:
        client = Client(enforce_csrf_checks=True)
        signed = {**data, "csrfmiddlewaretoken": token(client, page)}
        response = client.post(action, signed, HTTP_ORIGIN="null")
        assert response.status_code in (200, 303), (action, response.status_code)
    from rma.models import RMA, FollowUp

    assert RMA.objects.filter(customer__email="new@example.com").exists()
    assert FollowUp.objects.filter(answer="still_failing").exists()
    assert RMA.objects.filter(quote_status=RMA.QuoteStatus.ACCEPTED).exists()
