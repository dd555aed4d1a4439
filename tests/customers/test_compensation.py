"""Compensation: suggested by the service at ship and close, decided by a supervisor."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from rma import selectors
from rma.models import RMA, Compensation, Source
from rma.services import (
    compensation_approve,
    rma_close,
    rma_receive,
    rma_repair,
    rma_ship,
    rma_start_diagnosis,
    status_link_issue,
)
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db
S = RMA.Status


def received_late(flow, device, *, days_late):
    """A return received, whose promised date is ``days_late`` days behind us."""
    rma = flow.to(open_return(device), S.RECEIVED)
    RMA.objects.filter(pk=rma.pk).update(promised_on=dt.date.today() - dt.timedelta(days=days_late))
    rma.refresh_from_db()
    return rma


def ship_and_close(rma, technician):
    kw = {"actor": technician, "source": Source.ADMIN}
    rma = rma_start_diagnosis(rma=rma, **kw)
    rma = rma_repair(rma=rma, **kw)
    rma = rma_ship(rma=rma, tracking_number="T-1", **kw)
    return rma_close(rma=rma, **kw)


def test_a_late_return_gets_a_suggestion_scaled_to_the_delay_when_it_ships(flow, technician, in_warranty_device):
    rma = received_late(flow, in_warranty_device, days_late=15)
    rma = ship_and_close(rma, technician)
    compensation = Compensation.objects.get(rma=rma)
    assert compensation.status == Compensation.Status.SUGGESTED
    assert compensation.days_late == 15
    assert (compensation.suggested_kind, compensation.suggested_months) == ("extended_warranty", 3)
    assert "15 days later than we said" in compensation.suggested_reason


def test_the_suggestion_grows_with_the_delay(flow, technician, in_warranty_device):
    from tests.factories import DeviceFactory

    months = []
    for n, late in enumerate([3, 10, 30]):
        device = in_warranty_device if n == 0 else DeviceFactory(product_model=in_warranty_device.product_model)
        rma = ship_and_close(received_late(flow, device, days_late=late), technician)
        months.append(Compensation.objects.get(rma=rma).suggested_months)
    assert months == [1, 2, 5]


def test_an_on_time_return_gets_no_compensation(flow, in_warranty_device):
    rma = flow.to(open_return(in_warranty_device), S.CLOSED)
    assert not Compensation.objects.filter(rma=rma).exists()


def test_staff_see_what_would_be_suggested_while_the_return_is_open(client, flow, supervisor, in_warranty_device):
    rma = received_late(flow, in_warranty_device, days_late=9)
    assert selectors.compensation_preview(rma).months == 2
    client.force_login(supervisor)
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "Compensation due if it shipped today" in body
    assert "2 months of extended warranty" in body


def test_a_repeat_failure_is_suggested_at_least_a_month(flow, technician, in_warranty_device):
    first = flow.to(open_return(in_warranty_device), S.CLOSED)
    repeat = open_return(in_warranty_device)  # back within 90 days of shipping
    assert repeat.is_repeat and repeat.repeat_of == first
    repeat = rma_receive(rma=flow.to(repeat, S.AUTHORIZED), actor=technician, source=Source.ADMIN)
    repeat = ship_and_close(repeat, technician)
    compensation = Compensation.objects.get(rma=repeat)
    assert compensation.repeat_failure
    assert compensation.suggested_months >= 1


def test_a_supervisor_approves_it_and_the_warranty_really_grows(
    client, flow, technician, supervisor, in_warranty_device, django_capture_on_commit_callbacks, mailoutbox
):
    rma = ship_and_close(received_late(flow, in_warranty_device, days_late=15), technician)
    before = in_warranty_device.warranty_ends_on
    with django_capture_on_commit_callbacks(execute=True):
        compensation = compensation_approve(
            rma=rma,
            actor=supervisor,
            source=Source.API,
            kind="extended_warranty",
            months=3,
            reason="Three weeks late; as suggested.",
        )
    assert compensation.status == Compensation.Status.APPROVED
    assert compensation.approved_by == supervisor
    in_warranty_device.refresh_from_db()
    assert in_warranty_device.warranty_extension_months == 3
    assert in_warranty_device.warranty_ends_on > before
    event = rma.events.get(action="approve_compensation")
    assert "extended your warranty by 3 months" in event.customer_message
    assert "Three weeks late" in event.internal_note
    assert "extended your warranty by 3 months" in mailoutbox[-1].body
    body = client.get(f"/returns/track/{status_link_issue(rma=rma)}/").content.decode()
    assert "To make up for it:" in body
    assert "Because we took longer than we said, we have extended your warranty by 3 months" in body
    # decided once
    with pytest.raises(TransitionRefused) as refused:
        compensation_approve(rma=rma, actor=supervisor, source=Source.API, kind="none", reason="Changed my mind")
    assert refused.value.code == "compensation_decided"


def test_a_supervisor_can_change_it_to_a_service_credit(flow, technician, supervisor, in_warranty_device):
    rma = ship_and_close(received_late(flow, in_warranty_device, days_late=4), technician)
    compensation = compensation_approve(
        rma=rma, actor=supervisor, source=Source.ADMIN, kind="service_credit", amount="25", reason="Prefers credit"
    )
    assert (compensation.kind, compensation.amount, compensation.suggested_months) == (
        "service_credit",
        Decimal("25.00"),
        1,
    )
    in_warranty_device.refresh_from_db()
    assert in_warranty_device.warranty_extension_months == 0


def test_only_supervisors_decide_and_always_with_a_reason(flow, technician, supervisor, in_warranty_device):
    rma = ship_and_close(received_late(flow, in_warranty_device, days_late=4), technician)
    with pytest.raises(ActionNotPermitted):
        compensation_approve(
            rma=rma, actor=technician, source=Source.ADMIN, kind="extended_warranty", months=1, reason="Why not"
        )
    with pytest.raises(InvalidInput):
        compensation_approve(
            rma=rma, actor=supervisor, source=Source.ADMIN, kind="extended_warranty", months=1, reason=" "
        )
    assert Compensation.objects.get(rma=rma).status == Compensation.Status.SUGGESTED


def test_the_admin_button_decides_it(client, flow, technician, supervisor, in_warranty_device):
    rma = ship_and_close(received_late(flow, in_warranty_device, days_late=8), technician)
    url = reverse("admin:rma_rma_act", args=[rma.pk, "approve_compensation"])
    client.force_login(technician)
    assert url not in client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    client.force_login(supervisor)
    change = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert url in change
    assert "Compensation suggested" in change
    form = client.get(url).content.decode()
    assert 'value="2"' in form  # starts from the suggestion
    response = client.post(url, {"kind": "extended_warranty", "months": "2", "amount": "", "reason": "Late"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Compensation.objects.get(rma=rma).status == Compensation.Status.APPROVED
    assert url not in client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()


def test_compensation_is_counted_with_goodwill(flow, technician, supervisor, in_warranty_device):
    rma = ship_and_close(received_late(flow, in_warranty_device, days_late=8), technician)
    compensation_approve(
        rma=rma, actor=supervisor, source=Source.ADMIN, kind="extended_warranty", months=2, reason="Late"
    )
    summary = selectors.service_recovery_summary(since=dt.date.today() - dt.timedelta(days=1))
    assert (summary.compensations, summary.extended_warranty_months, summary.goodwill_replacements) == (1, 2, 0)
    assert summary.total == 1
    assert list(selectors.compensation_granted()) == [Compensation.objects.get(rma=rma)]
