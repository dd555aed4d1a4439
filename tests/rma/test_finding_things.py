"""Finding things in the admin (SPEC §13): filters, the stock picker, forms that start from what is known,
history and names that work for every role, links to the report pages."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from diagnostics.models import FailurePattern
from rma.models import RMA, Source
from tests.factories import DeviceFactory, FailurePatternFactory, ProductModelFactory
from tests.helpers import perform

pytestmark = pytest.mark.django_db
S = RMA.Status


def changelist(client, **params):
    return client.get(reverse("admin:rma_rma_changelist"), params).content.decode()


def test_goodwill_suggested_filter_finds_the_eligible_returns_only(client, supervisor, build):
    eligible = build(S.DIAGNOSING, in_warranty=False)
    in_warranty = build(S.DIAGNOSING)
    undiagnosed = build(S.DIAGNOSING, in_warranty=False, diagnosed=False)
    client.force_login(supervisor)
    body = changelist(client, goodwill="suggested")
    assert eligible.number in body
    assert in_warranty.number not in body
    assert undiagnosed.number not in body
    assert "Goodwill suggested" in changelist(client)


def test_ownership_to_confirm_filter(client, technician, build, flow, make_device):
    plain = build(S.SUBMITTED)
    owned = make_device()
    flow.create(owned, email="owner@example.com")
    owned.refresh_from_db()
    stranger = build(S.SUBMITTED, device=None, email="stranger@example.com")
    RMA.objects.filter(pk=stranger.pk).update(ownership=RMA.Ownership.TO_CONFIRM)
    client.force_login(technician)
    body = changelist(client, ownership__exact=RMA.Ownership.TO_CONFIRM)
    assert stranger.number in body
    assert plain.number not in body


def test_in_stock_filter_on_units(client, technician, in_warranty_device):
    stock = DeviceFactory(product_model=in_warranty_device.product_model, shipped_on=None, owner=None)
    client.force_login(technician)
    body = client.get(reverse("admin:rma_device_changelist"), {"stock": "in"}).content.decode()
    assert stock.serial_number in body
    assert in_warranty_device.serial_number not in body


def test_the_stock_picker_offers_in_stock_units_of_the_right_model_as_you_type(client, technician, build):
    rma = build(S.DIAGNOSING, outcome="confirmed")
    model = rma.device.product_model
    wanted = DeviceFactory(serial_number="STK-100", product_model=model, shipped_on=None, owner=None)
    DeviceFactory(serial_number="STK-200", product_model=model, shipped_on=None, owner=None)
    DeviceFactory(serial_number="STK-101", product_model=ProductModelFactory(), shipped_on=None, owner=None)
    DeviceFactory(serial_number="STK-102", product_model=model)  # shipped: in service
    client.force_login(technician)
    url = reverse("admin:rma_rma_stock", args=[rma.pk])
    serials = [unit["serial"] for unit in client.get(url, {"q": "stk-1"}).json()["results"]]
    assert serials == [wanted.serial_number]
    form = client.get(reverse("admin:rma_rma_act", args=[rma.pk, "replace"])).content.decode()
    assert f'data-stock-url="{url}"' in form
    assert "stock_picker.js" in form
    # and the unit picked replaces the failed one
    response = client.post(reverse("admin:rma_rma_act", args=[rma.pk, "replace"]), {"replacement_serial": "STK-100"})
    assert response.status_code == 302
    rma.refresh_from_db()
    assert rma.replacement_device_id == wanted.pk


def test_the_stock_picker_is_refused_to_who_may_not_read_units(client, build, django_user_model):
    rma = build(S.DIAGNOSING)
    nobody = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("admin:rma_rma_stock", args=[rma.pk])).status_code in (403, 404)


def test_the_diagnosis_form_starts_from_the_customers_words(client, technician, build):
    rma = build(S.DIAGNOSING, diagnosed=False)
    client.force_login(technician)
    form = client.get(reverse("admin:rma_rma_act", args=[rma.pk, "record_diagnosis"])).content.decode()
    assert rma.fault_description in form


def test_history_lists_every_step_by_name_for_a_technician(client, technician, build):
    technician.first_name, technician.last_name = "Tess", "Bench"
    technician.save()
    rma = build(S.SHIPPED)
    client.force_login(technician)
    client.post(reverse("admin:rma_rma_act", args=[rma.pk, "close"]), {"resolution": ""})
    history = client.get(reverse("admin:rma_rma_history", args=[rma.pk]))
    assert history.status_code == 200
    body = history.content.decode()
    for label in ["Authorize return", "Mark received", "Ship", "Close"]:
        assert label in body
    assert "Tess Bench" in body
    assert LogEntry.objects.filter(object_id=str(rma.pk)).exists()  # the admin's own log too


def test_actor_names_are_not_links_to_the_user_admin(client, technician, build):
    rma = build(S.DIAGNOSING)
    client.force_login(technician)
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "/admin/auth/user/" not in body
    assert "tech" in body


def test_pattern_list_says_samples_as_its_page_does(client, engineer, build, battery, supervisor):
    pattern = FailurePatternFactory(
        code="FP-0077", component=battery, status=FailurePattern.Status.INVESTIGATING, samples_wanted=5
    )
    rma = build(S.DIAGNOSING, pattern=pattern)
    perform("retain_unit", rma, actor=supervisor, source=Source.ADMIN)
    client.force_login(engineer)
    listing = client.get(reverse("admin:diagnostics_failurepattern_changelist")).content.decode()
    page = client.get(reverse("admin:diagnostics_failurepattern_change", args=[pattern.pk])).content.decode()
    assert "4 more" in listing
    assert "wants 4 more samples" in page


def test_the_admin_links_to_the_report_pages_for_who_may_read_them(client, engineer, technician):
    client.force_login(engineer)
    assert reverse("reports:index") in client.get(reverse("admin:index")).content.decode()
