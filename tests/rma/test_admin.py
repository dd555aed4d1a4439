"""The technician admin: lifecycle buttons call the services; status is never a free edit."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rma.models import RMA
from tests.factories import ComponentFactory, DeviceFactory, ProductModelFactory

pytestmark = pytest.mark.django_db
S = RMA.Status


def act(client, rma, action, **data):
    return client.post(reverse("admin:rma_rma_act", args=[rma.pk, action]), data)


def test_technician_takes_an_rma_from_submitted_to_closed_in_the_admin(client, technician, in_warranty_device, flow):
    # given
    rma = flow.create(in_warranty_device)
    ComponentFactory(code="battery", name="Battery")
    client.force_login(technician)
    steps = [
        ("authorize", {"instructions": "Use the prepaid label."}, S.AUTHORIZED),
        ("receive", {"inbound_tracking": "IN-1"}, S.RECEIVED),
        ("start_diagnosis", {}, S.DIAGNOSING),
        (
            "record_diagnosis",
            {
                "component": ComponentFactory(code="battery").pk,
                "outcome": "confirmed",
                "symptoms": "Swollen battery",
                "minutes_spent": "20",
            },
            S.DIAGNOSING,
        ),
        ("repair", {}, S.REPAIRING),
        ("ship", {"tracking_number": "OUT-1"}, S.SHIPPED),
        ("close", {"resolution": ""}, S.CLOSED),
    ]
    for action, data, expected in steps:
        # when
        response = act(client, rma, action, **data)
        # then
        assert response.status_code == 302, response.content.decode()[:2000]
        rma.refresh_from_db()
        assert rma.status == expected, action
    page = client.get(reverse("admin:rma_rma_change", args=[rma.pk]))
    body = page.content.decode()
    for action in ["authorize", "receive", "start_diagnosis", "record_diagnosis", "repair", "ship", "close"]:
        assert action in body  # the timeline shows every step
    assert rma.resolution == RMA.Resolution.REPAIRED


def test_change_page_offers_only_the_buttons_the_table_and_role_allow(
    client, technician, supervisor, flow, in_warranty_device
):
    rma = flow.create(in_warranty_device)
    client.force_login(technician)
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert reverse("admin:rma_rma_act", args=[rma.pk, "authorize"]) in body
    assert reverse("admin:rma_rma_act", args=[rma.pk, "reject"]) not in body  # supervisors only
    assert reverse("admin:rma_rma_act", args=[rma.pk, "ship"]) not in body  # not from submitted
    client.force_login(supervisor)
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert reverse("admin:rma_rma_act", args=[rma.pk, "reject"]) in body


def test_a_refused_action_says_why_and_changes_nothing(client, technician, flow, in_warranty_device):
    rma = flow.create(in_warranty_device)
    client.force_login(technician)
    response = act(client, rma, "ship", tracking_number="X")
    assert response.status_code == 200
    assert "transition_not_allowed" in response.content.decode()
    rma.refresh_from_db()
    assert rma.status == S.SUBMITTED


def test_technician_cannot_reject_or_grant_goodwill_even_by_posting(client, technician, flow, in_warranty_device):
    rma = flow.create(in_warranty_device)
    client.force_login(technician)
    response = act(client, rma, "reject", reason="No")
    assert "permission" in response.content.decode()
    rma.refresh_from_db()
    assert rma.status == S.SUBMITTED


def test_supervisor_grants_goodwill_in_the_admin(client, supervisor, technician, flow, out_of_warranty_device, battery):
    rma = flow.to(flow.create(out_of_warranty_device), S.DIAGNOSING, component=battery, outcome="cause_unknown")
    client.force_login(technician)
    page = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "Goodwill replacement suggested" in page and "Cause unknown" in page
    response = act(client, rma, "grant_goodwill", reason="Unknown cause", replacement_serial="NEW-1")
    assert "Only a supervisor" in response.content.decode()
    client.force_login(supervisor)
    response = act(client, rma, "grant_goodwill", reason="Unknown cause, keep it", replacement_serial="NEW-1")
    assert response.status_code == 302
    rma.refresh_from_db()
    assert (rma.status, rma.coverage, rma.disposition) == (S.REPLACING, "goodwill", "retained_for_rca")
    timeline = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "grant_goodwill" in timeline and "Retained for root-cause analysis" in timeline


def test_open_a_return_from_the_admin(client, technician, in_warranty_device):
    client.force_login(technician)
    url = reverse("admin:rma_rma_add")
    response = client.post(
        url,
        {
            "serial_number": "nope",
            "customer_email": "a@example.com",
            "fault_description": "x",
            "channel": "phone",
        },
    )
    assert response.status_code == 200 and "No device has serial NOPE" in response.content.decode()
    response = client.post(
        url,
        {
            "serial_number": " sn-in-warranty ",
            "customer_email": "A@Example.com",
            "fault_description": "Screen flickers",
            "channel": "phone",
        },
    )
    assert response.status_code == 302
    rma = RMA.objects.get()
    assert rma.customer.email == "a@example.com" and rma.channel == "phone"


@pytest.mark.parametrize(
    "term_for",
    [lambda rma: rma.number.lower(), lambda rma: rma.device.serial_number.lower(), lambda rma: "OWNER1@example.com"],
)
def test_search_by_number_serial_or_email(client, technician, flow, term_for):
    model = ProductModelFactory(sku="PHN-1")
    rmas = [
        flow.create(DeviceFactory(serial_number=f"SN-{i}", product_model=model), email=f"owner{i}@example.com")
        for i in range(3)
    ]
    client.force_login(technician)
    response = client.get(reverse("admin:rma_rma_changelist"), {"q": term_for(rmas[1])})
    assert list(response.context["cl"].result_list) == [rmas[1]]


def test_filters_status_coverage_overdue_model(client, technician, flow, in_warranty_device, out_of_warranty_device):
    late = flow.create(in_warranty_device)
    RMA.objects.filter(pk=late.pk).update(due_at=late.created_at - dt.timedelta(days=2))
    flow.create(out_of_warranty_device, email="other@example.com")
    client.force_login(technician)
    url = reverse("admin:rma_rma_changelist")
    assert [r.pk for r in client.get(url, {"overdue": "yes"}).context["cl"].result_list] == [late.pk]
    assert client.get(url, {"coverage__exact": "none"}).context["cl"].result_count == 1
    assert client.get(url, {"status__exact": "submitted"}).context["cl"].result_count == 2
    model_id = in_warranty_device.product_model_id
    assert client.get(url, {"device__product_model__id__exact": model_id}).context["cl"].result_count == 2


def test_changelist_queries_do_not_grow_with_the_page(client, technician, flow):
    model = ProductModelFactory(sku="PHN-1")

    def queries_for(count):
        for _ in range(count):
            flow.create(DeviceFactory(product_model=model), email=f"c{RMA.objects.count()}@example.com")
        client.force_login(technician)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin:rma_rma_changelist")).status_code == 200
        return len(ctx)

    assert queries_for(3) == queries_for(30)


def test_change_page_has_no_editable_status(client, supervisor, flow, in_warranty_device):
    rma = flow.create(in_warranty_device)
    client.force_login(supervisor)
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert 'name="status"' not in body and 'name="coverage"' not in body


def test_engineer_reads_rmas_but_gets_no_buttons_and_no_role_gets_nothing(client, engineer, flow, in_warranty_device):
    from tests.factories import UserFactory

    rma = flow.create(in_warranty_device)
    client.force_login(engineer)
    page = client.get(reverse("admin:rma_rma_change", args=[rma.pk]))
    assert page.status_code == 200
    assert "/act/" not in page.content.decode()
    response = act(client, rma, "authorize")
    assert "permission" in response.content.decode()
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("admin:rma_rma_change", args=[rma.pk])).status_code == 403
    assert act(client, rma, "authorize").status_code == 403


def test_a_supervisor_refunds_in_the_admin_and_a_technician_is_not_offered_it(client, technician, supervisor, build):
    rma = build(S.DIAGNOSING, in_warranty=False)
    refund_url = reverse("admin:rma_rma_act", args=[rma.pk, "refund"])
    client.force_login(technician)
    assert refund_url not in client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    act(client, rma, "refund", amount="80.00", currency="EUR", method="bank_transfer", reason="Parts unavailable.")
    rma.refresh_from_db()
    assert rma.status == S.DIAGNOSING

    client.force_login(supervisor)
    assert refund_url in client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    response = act(
        client, rma, "refund", amount="80.00", currency="EUR", method="bank_transfer", reason="Parts unavailable."
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rma.refresh_from_db()
    assert (rma.status, rma.resolution, rma.refund.amount) == (S.CLOSED, "refunded", 80)


def test_a_supervisor_records_a_quote_answer_in_the_admin_with_its_channel(client, supervisor, build):
    rma = build(S.AWAITING_CUSTOMER)
    client.force_login(supervisor)
    response = act(client, rma, "accept_quote", answered_via="email")
    assert response.status_code == 302, response.content.decode()[:2000]
    rma.refresh_from_db()
    assert rma.status == S.REPAIRING
    assert rma.events.order_by("-id").first().data["answered_via"] == "email"
