"""Secret status links: unguessable, stored only as a hash, expiring, never logged."""

import base64
import datetime as dt
import hashlib
import logging

import pytest
from django.utils import timezone

from core.logging import RedactSecretLinks
from rma import status_links
from rma.models import StatusLink
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def rma(in_warranty_device):
    return open_return(in_warranty_device)


def test_a_token_carries_at_least_128_random_bits_and_only_its_hash_is_stored(rma):
    tokens = {status_links.status_link_issue(rma=rma) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
    stored = set(StatusLink.objects.values_list("token_hash", flat=True))
    assert stored == {hashlib.sha256(token.encode()).hexdigest() for token in tokens}
    assert not stored & tokens  # no token is stored as it is


def test_a_link_opens_its_return_and_nothing_else(client, rma):
    token = status_links.status_link_issue(rma=rma)
    assert status_links.rma_by_status_token(token) == rma
    assert status_links.rma_by_status_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert client.get(f"/returns/track/{token}/").status_code == 200


def test_a_link_expires_after_its_lifetime(client, rma, settings):
    settings.RMA_STATUS_LINK_DAYS = 30
    token = status_links.status_link_issue(rma=rma, now=timezone.now() - dt.timedelta(days=31))
    assert status_links.rma_by_status_token(token) is None
    response = client.get(f"/returns/track/{token}/")
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()
    assert 'name="rma_number"' in response.content.decode()  # a way to get a fresh one


def test_a_link_expires_some_time_after_the_return_closes(rma, flow, settings):
    settings.RMA_STATUS_LINK_DAYS_AFTER_CLOSE = 180
    token = status_links.status_link_issue(rma=rma)
    closed = flow.to(rma, "closed")
    later = closed.closed_at + dt.timedelta(days=179)
    assert status_links.rma_by_status_token(token, now=later) == rma
    assert status_links.rma_by_status_token(token, now=closed.closed_at + dt.timedelta(days=181)) is None


def test_unknown_links_answer_not_found_without_a_query_for_silly_tokens(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert status_links.rma_by_status_token("x" * 500) is None
    assert client.get("/returns/track/nonsense/").status_code == 404


def test_status_pages_send_no_referrer_and_are_not_cached(client, rma):
    token = status_links.status_link_issue(rma=rma)
    response = client.get(f"/returns/track/{token}/")
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="referrer" content="no-referrer">' in response.content.decode()


def test_secret_links_never_reach_the_request_log(client, rma, caplog):
    token = "not-a-real-token-but-secret-shaped-0123456789"
    with caplog.at_level(logging.INFO):
        client.get(f"/returns/track/{token}/")  # a 404 that django.request logs
    assert any("/returns/track/" in record.getMessage() for record in caplog.records)
    assert token not in caplog.text
    assert "[redacted]" in caplog.text


def test_the_redacting_filter_cleans_server_request_lines():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', ("GET /returns/track/s3cr3t/ HTTP/1.1", 200, 10), None
    )
    RedactSecretLinks().filter(record)
    assert record.getMessage() == '"GET /returns/track/[redacted]/ HTTP/1.1" 200 10'
