"""A status page without a form is kept rendered until its return changes (RMA_STATUS_PAGE_CACHE_SECONDS)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rma.models import RMA, Source, StatusLink
from rma.services import rma_add_note, rma_authorize, rma_quote, status_link_issue
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db
S = RMA.Status


def visit(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, len(queries)


def test_a_second_view_is_one_query_and_any_change_shows_at_once(client, in_warranty_device, technician):
    rma = open_return(in_warranty_device)
    path = f"/returns/track/{status_link_issue(rma=rma)}/"
    first, first_queries = visit(client, path)
    again, again_queries = visit(client, path)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert (first_queries, again_queries) == (first_queries, 1) and first_queries > 1
    assert again["Referrer-Policy"] == "no-referrer" and "no-store" in again["Cache-Control"]
    # a status change shows on the next view
    rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    changed, _ = visit(client, path)
    assert "approved" in changed.content.decode().lower() and changed.content != first.content
    # and so does a message to the customer (an event, not a status change)
    rma_add_note(rma=rma, actor=technician, source=Source.ADMIN, customer_message="Your label is on its way.")
    assert "Your label is on its way." in visit(client, path)[0].content.decode()


def test_an_expired_link_is_refused_even_when_its_page_was_kept(client, in_warranty_device):
    rma = open_return(in_warranty_device)
    path = f"/returns/track/{status_link_issue(rma=rma)}/"
    assert visit(client, path)[0].status_code == 200
    StatusLink.objects.filter(rma=rma).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert visit(client, path)[0].status_code == 404


def test_pages_with_a_form_are_rendered_for_each_visit(client, flow, out_of_warranty_device, technician):
    rma = flow.to(open_return(out_of_warranty_device), S.DIAGNOSING)
    rma = rma_quote(rma=rma, amount="49.00", actor=technician, source=Source.ADMIN)
    path = f"/returns/track/{status_link_issue(rma=rma)}/"
    visit(client, path)
    again, again_queries = visit(client, path)
    assert 'name="csrfmiddlewaretoken"' in again.content.decode()
    assert again_queries > 1


def test_the_thank_you_banner_is_never_served_from_the_cache(client, in_warranty_device):
    from django.test import Client

    rma = open_return(in_warranty_device)
    path = f"/returns/track/{status_link_issue(rma=rma)}/"
    plain, _ = visit(Client(), path)  # kept
    session = client.session
    session["rma_acknowledged"] = rma.number
    session.save()
    thanked = client.get(path).content.decode()
    assert "We're on it." in thanked and "We're on it." not in plain.content.decode()


def test_keeping_pages_can_be_turned_off(client, in_warranty_device, settings):
    settings.RMA_STATUS_PAGE_CACHE_SECONDS = 0
    path = f"/returns/track/{status_link_issue(rma=open_return(in_warranty_device))}/"
    visit(client, path)
    assert visit(client, path)[1] > 1
