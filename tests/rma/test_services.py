"""Opening returns, and keeping devices and customers right."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import mail

from core.exceptions import InvalidInput, NotFound
from rma import policy, services
from rma.models import RMA, Customer, Device, ProductModel, Source
from rma.services import returns
from tests.factories import CustomerFactory, DeviceFactory, ProductModelFactory
from tests.helpers import last_event

pytestmark = pytest.mark.django_db

S = RMA.Status
NUMBER = re.compile(r"^RMA-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{8}$")


def create(serial, *, email="owner@example.com", name="Owner", description="It stopped working.", **kwargs):
    kwargs.setdefault("actor", None)
    kwargs.setdefault("source", Source.PAGE)
    return services.rma_create(
        serial_number=serial, customer_email=email, customer_name=name, fault_description=description, **kwargs
    )


# ---------------------------------------------------------------------------------------------
# rma_create


def test_create_in_warranty_stores_the_decision_and_its_reason(make_device, today):
    device = make_device(in_warranty=True)
    rma = create(device.serial_number)

    assert rma.status == S.SUBMITTED
    assert rma.coverage == RMA.Coverage.WARRANTY
    assert rma.reported_on == today
    expected = policy.warranty_decide(reported_on=today, warranty_ends_on=device.warranty_ends_on)
    assert rma.coverage_reason == expected.reason
    event = last_event(rma)
    assert (event.action, event.from_status, event.to_status) == ("create", "", S.SUBMITTED)
    assert (event.actor, event.source) == (None, Source.PAGE)
    assert event.internal_note == expected.reason
    assert event.data["say"]  # what the customer reads, kept to be said in their language
    del event.data["say"]
    assert event.data == {"coverage": "warranty", "coverage_code": "in_warranty", "in_warranty": True}
    assert rma.number in event.customer_message


def test_create_out_of_warranty_is_not_covered(make_device):
    device = make_device(in_warranty=False)
    rma = create(device.serial_number)
    assert rma.coverage == RMA.Coverage.NONE
    assert "after the warranty ended" in rma.coverage_reason
    assert last_event(rma).data["coverage_code"] == "out_of_warranty"
    assert last_event(rma).data["in_warranty"] is False


def test_create_on_the_last_day_of_warranty_is_covered(make_device, today):
    # shipped a year ago tomorrow: today is the last day of cover
    device = make_device(shipped_on=policy.add_months(today + dt.timedelta(days=1), -12))
    assert device.warranty_ends_on == today
    assert create(device.serial_number).coverage == RMA.Coverage.WARRANTY


def test_a_unit_still_in_stock_cannot_be_returned(make_device):
    device = make_device(shipped_on=None)
    with pytest.raises(InvalidInput) as refused:
        create(device.serial_number)
    assert refused.value.code == "device_not_in_service"
    assert not RMA.objects.exists()


def test_create_uses_the_purchase_date_when_known(make_device, today):
    # shipped to a shop long ago, bought recently
    device = make_device(shipped_on=today - dt.timedelta(days=700), purchased_on=today - dt.timedelta(days=30))
    assert create(device.serial_number).coverage == RMA.Coverage.WARRANTY


def test_create_with_an_earlier_report_date(make_device, today):
    device = make_device(in_warranty=False)
    rma = create(device.serial_number, reported_on=device.warranty_ends_on, channel=RMA.Channel.PHONE)
    assert rma.reported_on == device.warranty_ends_on
    assert rma.coverage == RMA.Coverage.WARRANTY
    assert rma.channel == RMA.Channel.PHONE


def test_create_with_an_unknown_serial(db):
    with pytest.raises(NotFound) as missing:
        create("NO-SUCH-UNIT")
    assert missing.value.code == "unknown_serial"
    assert missing.value.http_status == 404
    assert not RMA.objects.exists()
    assert not Customer.objects.exists()


def test_create_finds_the_serial_however_it_is_typed(make_device):
    device = make_device(serial_number="SN-ABC-123")
    assert create("  sn-abc-123 \n").device == device


@pytest.mark.parametrize("description", ["", "   \n\t"])
def test_create_needs_a_fault_description(description, make_device):
    device = make_device()
    with pytest.raises(InvalidInput) as invalid:
        create(device.serial_number, description=description)
    assert invalid.value.code == "fault_description_required"
    assert invalid.value.field == "fault_description"
    assert invalid.value.http_status == 400
    assert not RMA.objects.exists()


def test_create_needs_an_email(make_device):
    with pytest.raises(InvalidInput) as invalid:
        create(make_device().serial_number, email="  ")
    assert invalid.value.code == "email_required"
    assert not RMA.objects.exists()


def test_create_trims_the_description(make_device):
    assert create(make_device().serial_number, description="  Screen flickers.  ").fault_description == (
        "Screen flickers."
    )


def test_create_normalises_the_email_and_reuses_the_customer(make_device):
    first = create(make_device().serial_number, email="  Jane.Doe@Example.COM ", name=" Jane Doe ")
    second = create(make_device().serial_number, email="jane.doe@example.com", name="J. Doe")
    assert first.customer.email == "jane.doe@example.com"
    assert first.customer.name == "Jane Doe"
    assert second.customer_id == first.customer_id
    assert Customer.objects.filter(email__icontains="jane.doe").count() == 1
    # a known customer's name is not overwritten by what someone typed later
    assert Customer.objects.get(pk=first.customer_id).name == "Jane Doe"


def test_create_fills_in_a_known_customers_missing_details(make_device):
    CustomerFactory(email="quiet@example.com", name="", phone="")
    rma = create(make_device().serial_number, email="Quiet@example.com", name="Quinn", phone=" 0161 496 0000 ")
    customer = Customer.objects.get(pk=rma.customer_id)
    assert (customer.name, customer.phone) == ("Quinn", "0161 496 0000")


def test_an_unowned_unit_gets_its_owner_only_when_its_return_is_authorized(make_device, technician):
    # given a unit nobody has registered, and a return started for it
    device = make_device(owner=None)
    rma = create(device.serial_number, email="new.owner@example.com")
    # then starting the return does not make anyone its owner
    assert Device.objects.get(pk=device.pk).owner is None
    # and authorizing it does
    services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    assert Device.objects.get(pk=device.pk).owner == rma.customer
    assert last_event(rma).data["owner_registered"] is True


def test_create_leaves_an_owned_unit_with_its_owner(make_device):
    owner = CustomerFactory(email="first.owner@example.com")
    device = make_device(owner=owner)
    create(device.serial_number, email="someone.else@example.com")
    assert Device.objects.get(pk=device.pk).owner == owner


def test_create_acknowledges_the_customer_by_email(make_device, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rma = create(make_device().serial_number, email="Ack@Example.com")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ack@example.com"]
    assert rma.number in mail.outbox[0].subject
    assert rma.number in mail.outbox[0].body


def test_create_sets_the_first_target_date(make_device):
    rma = create(make_device().serial_number)
    assert rma.due_at is not None
    assert rma.due_at > rma.created_at
    assert rma.status_changed_at == rma.created_at


def test_rma_numbers_look_right_and_are_unique(make_device):
    numbers = [create(make_device().serial_number).number for _ in range(30)]
    assert all(NUMBER.match(number) for number in numbers), numbers
    assert len(set(numbers)) == len(numbers)
    assert set(RMA.objects.values_list("number", flat=True)) == set(numbers)


def test_rma_numbers_are_not_sequential():
    numbers = [returns.rma_number_new() for _ in range(200)]
    assert len(set(numbers)) == 200
    assert numbers != sorted(numbers)


def test_a_number_collision_draws_a_new_number(make_device):
    taken = create(make_device().serial_number).number
    with mock.patch.object(returns, "rma_number_new", side_effect=[taken, "RMA-0000ZZZZ"]):
        rma = create(make_device().serial_number)
    assert rma.number == "RMA-0000ZZZZ"
    assert RMA.objects.count() == 2


def test_running_out_of_numbers_is_an_error_not_a_half_made_return(make_device):
    taken = create(make_device().serial_number).number
    device = make_device()
    with mock.patch.object(returns, "rma_number_new", return_value=taken), pytest.raises(RuntimeError):
        create(device.serial_number)
    assert RMA.objects.count() == 1
    assert not RMA.objects.filter(device=device).exists()


# ---------------------------------------------------------------------------------------------
# Devices and their warranty end


def test_device_create_normalises_and_derives_the_warranty_end(db):
    model = ProductModelFactory(sku="TAB-2", warranty_months=24)
    device = services.device_create(
        serial_number="  tab-0001 ", product_model=model, lot=" L7 ", shipped_on=dt.date(2025, 1, 31)
    )
    assert device.serial_number == "TAB-0001"
    assert device.lot == "L7"
    assert device.warranty_ends_on == dt.date(2027, 1, 30)


def test_device_create_refuses_duplicates_and_blanks(db):
    model = ProductModelFactory()
    services.device_create(serial_number="DUP-1", product_model=model)
    with pytest.raises(InvalidInput) as invalid:
        services.device_create(serial_number="dup-1", product_model=model)
    assert invalid.value.code == "serial_exists"
    with pytest.raises(InvalidInput) as invalid:
        services.device_create(serial_number="   ", product_model=model)
    assert invalid.value.code == "serial_required"


def test_product_model_set_warranty_recomputes_its_devices(db):
    # given devices of two models, one with an extended warranty and one still in stock
    model = ProductModelFactory(sku="PHN-X", warranty_months=12)
    other = ProductModelFactory(sku="PHN-Y", warranty_months=12)
    plain = DeviceFactory(product_model=model, shipped_on=dt.date(2025, 3, 15))
    extended = DeviceFactory(product_model=model, shipped_on=dt.date(2025, 3, 15))
    services.device_extend_warranty(device=extended, months=6)
    bought = DeviceFactory(product_model=model, shipped_on=dt.date(2024, 1, 1), purchased_on=dt.date(2024, 2, 29))
    stock = DeviceFactory(product_model=model, shipped_on=None, owner=None)
    untouched = DeviceFactory(product_model=other, shipped_on=dt.date(2025, 3, 15))

    # when the model's warranty becomes two years
    count = services.product_model_set_warranty(product_model=model, warranty_months=24)

    # then
    assert count == 4
    assert ProductModel.objects.get(pk=model.pk).warranty_months == 24
    ends = dict(Device.objects.values_list("pk", "warranty_ends_on"))
    assert ends[plain.pk] == dt.date(2027, 3, 14)
    assert ends[extended.pk] == dt.date(2027, 9, 14)
    assert ends[bought.pk] == dt.date(2026, 2, 28)  # from the purchase date, to the end of February
    assert ends[stock.pk] is None
    assert ends[untouched.pk] == dt.date(2026, 3, 14)


def test_product_model_set_warranty_changes_coverage_of_new_returns(make_device, today):
    device = make_device(in_warranty=False)
    first = create(device.serial_number)
    assert first.coverage == RMA.Coverage.NONE
    services.rma_cancel(rma=first, actor=None, source=Source.PAGE)

    services.product_model_set_warranty(product_model=device.product_model, warranty_months=24)

    device.refresh_from_db()
    assert device.warranty_ends_on > today
    assert create(device.serial_number).coverage == RMA.Coverage.WARRANTY
    # the earlier return keeps the decision it was made with
    assert RMA.objects.get(pk=first.pk).coverage == RMA.Coverage.NONE


def test_product_model_set_warranty_handles_many_devices(db):
    model = ProductModelFactory(sku="BULK-1", warranty_months=12)
    Device.objects.bulk_create(
        Device(serial_number=f"BULK{n:06d}", product_model=model, shipped_on=dt.date(2025, 6, 1)) for n in range(5001)
    )
    assert services.product_model_set_warranty(product_model=model, warranty_months=6) == 5001
    assert set(Device.objects.filter(product_model=model).values_list("warranty_ends_on", flat=True)) == {
        dt.date(2025, 11, 30)
    }


def test_device_put_in_service_starts_its_own_warranty(db):
    customer = CustomerFactory()
    device = DeviceFactory(shipped_on=None, owner=None, purchased_on=dt.date(2020, 1, 1))
    device = services.device_put_in_service(device=device, owner=customer, shipped_on=dt.date(2026, 5, 4))
    stored = Device.objects.get(pk=device.pk)
    assert (stored.shipped_on, stored.purchased_on, stored.owner) == (dt.date(2026, 5, 4), None, customer)
    assert stored.warranty_ends_on == dt.date(2027, 5, 3)


def test_customer_get_or_create_normalises(db):
    customer = services.customer_get_or_create(email=" MiXeD@Example.org ", name=" Mix ")
    assert (customer.email, customer.name) == ("mixed@example.org", "Mix")
    assert services.customer_get_or_create(email="mixed@EXAMPLE.org") == customer
