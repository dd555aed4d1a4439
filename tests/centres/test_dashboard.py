"""The supervisor's dashboard per centre (SPEC §13): every figure is a link to the list filtered to it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rma.models import RMA, RepairCentre

pytestmark = pytest.mark.django_db
S = RMA.Status


@pytest.fixture
def centre(supervisor, technician):
    made = RepairCentre.objects.create(code="LON", name="London", address="1 Road", country="GB", is_default=True)
    made.staff.set([supervisor, technician])
    return made


def dashboard(client, **params):
    return client.get(reverse("admin:rma_dashboard"), params)


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_every_figure_links_to_a_list_of_that_many_returns(client, supervisor, centre, build):
    late = build(S.RECEIVED)
    RMA.objects.filter(pk=late.pk).update(due_at=late.created_at - dt.timedelta(days=2))
    build(S.DIAGNOSING)
    build(S.CLOSED)
    build(S.SUBMITTED)
    other = RepairCentre.objects.create(code="MUC", name="Munich", address="2 Weg", country="DE")
    elsewhere = build(S.RECEIVED)
    RMA.objects.filter(pk=elsewhere.pk).update(centre=other)
    client.force_login(supervisor)
    response = dashboard(client, centre="LON")
    assert response.status_code == 200
    context = response.context
    figures = {label: (count, url) for label, count, url in context["figures"]}
    assert figures["Overdue"][0] == 1
    assert figures["Unassigned"][0] == 3  # open ones only, at this centre
    for _label, (count, url) in figures.items():
        assert listed(client, url) == count, url
    for _label, count, url in context["statuses"]:
        assert listed(client, url) == count, url
    assert dict((label, count) for label, count, _ in context["statuses"])["Received"] == 1
    this_week = context["weeks"][-1]
    assert this_week["opened"] == 4 and this_week["closed"] == 1
    assert listed(client, this_week["opened_url"]) == 4
    assert listed(client, this_week["closed_url"]) == 1


def test_the_dashboard_costs_the_same_queries_however_many_returns(client, supervisor, centre, build):
    client.force_login(supervisor)
    build(S.RECEIVED)
    with CaptureQueriesContext(connection) as few:
        dashboard(client, centre="LON")
    for status in [S.SUBMITTED, S.AUTHORIZED, S.DIAGNOSING, S.SHIPPED, S.CLOSED]:
        build(status)
    with CaptureQueriesContext(connection) as many:
        dashboard(client, centre="LON")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_only_supervisors_see_the_dashboard(client, technician, engineer, centre):
    for user in (technician, engineer):
        client.force_login(user)
        assert dashboard(client).status_code == 403
