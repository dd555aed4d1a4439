"""Bulk actions in the admin (SPEC §13): the same services on each selected row, a result for each row."""

import pytest
from django.urls import reverse

from rma.models import RMA, RepairCentre, RoutingRule
from tests.helpers import reload

pytestmark = pytest.mark.django_db
S = RMA.Status


def bulk(client, name, rmas, **data):
    return client.post(
        reverse("admin:rma_rma_changelist"),
        {"action": f"bulk_{name}", "_selected_action": [rma.pk for rma in rmas], **data},
    )


def test_bulk_authorize_reports_each_row_and_a_refusal_changes_only_its_row(client, supervisor, build):
    first, second = build(S.SUBMITTED), build(S.SUBMITTED)
    already = build(S.AUTHORIZED)
    client.force_login(supervisor)
    asked = bulk(client, "authorize", [first, second, already], index="0")
    assert asked.status_code == 200
    assert "3 selected" in asked.content.decode()  # the instructions are asked once
    done = bulk(client, "authorize", [first, second, already], _bulk_apply="1", instructions="Use the label.")
    body = done.content.decode()
    assert "2 of 3 done" in body
    assert body.count("bulk-done") == 2 and body.count("bulk-refused") == 1
    assert "transition_not_allowed" in body
    assert (reload(first).status, reload(second).status, reload(already).status) == (S.AUTHORIZED,) * 3
    assert reload(already).events.filter(action="authorize").count() == 1  # not authorized twice


def test_bulk_assign_asks_whom_once_and_refuses_rows_of_another_centre(client, supervisor, technician, build):
    home = RepairCentre.objects.create(code="LON", name="London", address="1 Road", country="GB", is_default=True)
    home.staff.set([technician, supervisor])
    away = RepairCentre.objects.create(code="MUC", name="Munich", address="2 Weg", country="DE")
    here, there = build(S.RECEIVED), build(S.RECEIVED)
    RMA.objects.filter(pk=there.pk).update(centre=away)
    RoutingRule.objects.create(centre=away, country="DE")
    client.force_login(supervisor)
    asked = bulk(client, "assign", [here, there], index="0").content.decode()
    assert 'value="tech"' in asked
    body = bulk(client, "assign", [here, there], _bulk_apply="1", assignee="tech").content.decode()
    assert "1 of 2 done" in body and "assignee_not_at_centre" in body
    assert reload(here).assignee == technician
    assert reload(there).assignee is None


def test_a_technician_is_offered_take_but_not_assign_in_bulk(client, technician, build):
    RepairCentre.objects.create(code="LON", name="London", address="1 Road", country="GB", is_default=True)
    client.force_login(technician)
    body = client.get(reverse("admin:rma_rma_changelist")).content.decode()
    assert 'value="bulk_take"' in body and 'value="bulk_receive"' in body
    assert 'value="bulk_assign"' not in body
    rma = build(S.RECEIVED)
    response = bulk(client, "assign", [rma], index="0")  # posting it anyway changes nothing
    assert reload(rma).assignee is None
    assert response.status_code in (200, 302)


def test_bulk_take_needs_no_input(client, technician, build):
    centre = RepairCentre.objects.create(code="LON", name="London", address="1 Road", country="GB", is_default=True)
    centre.staff.set([technician])
    rmas = [build(S.RECEIVED), build(S.DIAGNOSING)]
    client.force_login(technician)
    body = bulk(client, "take", rmas, index="0").content.decode()
    assert "2 of 2 done" in body
    assert {reload(rma).assignee for rma in rmas} == {technician}
