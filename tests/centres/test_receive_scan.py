"""Receive by scan (SPEC §13): a scanned or typed RMA number receives the return in one step."""

import pytest
from django.urls import reverse

from rma.models import RMA
from tests.helpers import reload

pytestmark = pytest.mark.django_db
S = RMA.Status


def test_a_scanned_number_receives_the_return_and_the_screen_waits_for_the_next(client, technician, build):
    rma = build(S.AUTHORIZED)
    client.force_login(technician)
    url = reverse("admin:rma_receive_scan")
    assert "autofocus" in client.get(url).content.decode()
    response = client.post(url, {"number": f"  {rma.number.lower()} ", "inbound_tracking": "IN-9"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert f"{rma.number}</a> received" in response.content.decode()
    fresh = reload(rma)
    assert (fresh.status, fresh.inbound_tracking) == (S.RECEIVED, "IN-9")
    assert fresh.events.filter(action="receive", actor=technician).count() == 1


def test_a_number_that_cannot_be_received_says_why_and_receives_nothing(client, technician, build):
    submitted = build(S.SUBMITTED)
    client.force_login(technician)
    url = reverse("admin:rma_receive_scan")
    body = client.post(url, {"number": submitted.number}).content.decode()
    assert "transition_not_allowed" in body
    assert reload(submitted).status == S.SUBMITTED
    assert "unknown_rma" in client.post(url, {"number": "RMA-NOSUCH"}).content.decode()


def test_engineers_cannot_receive(client, engineer):
    client.force_login(engineer)
    assert client.get(reverse("admin:rma_receive_scan")).status_code == 403
