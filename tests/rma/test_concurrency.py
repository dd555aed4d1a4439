"""Races on real PostgreSQL transactions: the row locks and constraints keep every invariant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from core.exceptions import DomainError, GoodwillNotAllowed, InvalidInput, TransitionRefused
from diagnostics import services as diagnostics_services
from diagnostics.models import FailurePattern, RootCauseCase
from rma import services
from rma.models import RMA, CustodyChange, Customer, Device, GoodwillGrant, RMAEvent, Source
from rma.services import devices
from tests.factories import DeviceFactory, FailurePatternFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

S = RMA.Status
D = RMA.Disposition
User = get_user_model()


def at_once(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together; each returns a value or the exception it raised."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def worker(i: int) -> None:
        try:
            connection.ensure_connection()  # each thread has its own connection
            barrier.wait(timeout=30)
            outcomes[i] = work(i)
        except BaseException as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def split(outcomes: list[object]) -> tuple[list[object], list[BaseException]]:
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    return [outcome for outcome in outcomes if not isinstance(outcome, BaseException)], errors


def grant_in_thread(rma_pk: int, user_pk: int, *, reason: str, serial: str) -> RMA:
    # Fresh objects per thread: nothing cached is shared between connections.
    return diagnostics_services.goodwill_grant(
        rma=RMA.objects.get(pk=rma_pk),
        actor=User.objects.get(pk=user_pk),
        source=Source.ADMIN,
        reason=reason,
        replacement_serial=serial,
    )


def test_twenty_goodwill_grants_at_once_make_one(build, supervisor):
    # given one eligible RMA
    rma = build(S.DIAGNOSING, in_warranty=False)

    # when twenty approvers grant goodwill on it at the same moment
    outcomes = at_once(
        20, lambda i: grant_in_thread(rma.pk, supervisor.pk, reason=f"Approver {i} agrees.", serial=f"GW-{i:02d}")
    )

    # then exactly one succeeds and the others are refused cleanly
    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 19
    assert {type(error) for error in errors} <= {GoodwillNotAllowed, TransitionRefused}, errors
    # and exactly one of everything was written
    assert GoodwillGrant.objects.filter(rma=rma).count() == 1
    assert RMAEvent.objects.filter(rma=rma, action="grant_goodwill").count() == 1
    assert RootCauseCase.objects.filter(rma=rma).count() == 1
    assert CustodyChange.objects.filter(rma=rma, to_disposition=D.RETAINED_FOR_RCA).count() == 1
    stored = RMA.objects.get(pk=rma.pk)
    assert (stored.status, stored.coverage, stored.disposition) == (
        S.REPLACING,
        RMA.Coverage.GOODWILL,
        D.RETAINED_FOR_RCA,
    )
    assert list(Device.objects.filter(serial_number__startswith="GW-").values_list("pk", flat=True)) == [
        stored.replacement_device_id
    ]


def test_two_receipts_at_once_make_one(build, technician):
    rma = build(S.AUTHORIZED)

    outcomes = at_once(
        2,
        lambda i: services.rma_receive(
            rma=rma.pk, actor=User.objects.get(pk=technician.pk), source=Source.ADMIN, inbound_tracking=f"IN-{i}"
        ),
    )

    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], TransitionRefused)
    assert errors[0].code == "transition_not_allowed"
    assert RMAEvent.objects.filter(rma=rma, action="receive").count() == 1
    assert CustodyChange.objects.filter(rma=rma).count() == 1
    assert RMA.objects.get(pk=rma.pk).status == S.RECEIVED


def test_the_last_sample_a_pattern_wants_goes_to_one_unit(build, supervisor, battery):
    # given a pattern that wants one more sample, and two eligible units that match it
    pattern = FailurePatternFactory(
        code="FP-0099", component=battery, status=FailurePattern.Status.INVESTIGATING, samples_wanted=1
    )
    rmas = [
        build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=pattern, email=f"c{i}@example.com")
        for i in range(2)
    ]

    outcomes = at_once(
        2, lambda i: grant_in_thread(rmas[i].pk, supervisor.pk, reason="Needed for FP-0099.", serial=f"GW-P{i}")
    )

    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], GoodwillNotAllowed)
    assert errors[0].code == "goodwill_enough_samples"
    assert GoodwillGrant.objects.count() == 1


def test_one_customer_gets_one_goodwill_replacement_at_a_time(build, supervisor):
    # given two eligible returns of the same customer
    rmas = [build(S.DIAGNOSING, in_warranty=False) for _ in range(2)]
    assert rmas[0].customer_id == rmas[1].customer_id

    outcomes = at_once(2, lambda i: grant_in_thread(rmas[i].pk, supervisor.pk, reason="Worth it.", serial=f"GW-C{i}"))

    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], GoodwillNotAllowed)
    assert errors[0].code == "goodwill_recent_grant"
    assert GoodwillGrant.objects.count() == 1


def test_one_stock_unit_replaces_one_failed_unit(build, supervisor):
    # given two eligible returns of different customers, and one unit in stock
    rmas = [build(S.DIAGNOSING, in_warranty=False, email=f"s{i}@example.com") for i in range(2)]
    DeviceFactory(serial_number="STOCK-1", product_model=rmas[0].device.product_model, shipped_on=None, owner=None)

    outcomes = at_once(2, lambda i: grant_in_thread(rmas[i].pk, supervisor.pk, reason="Worth it.", serial="STOCK-1"))

    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], InvalidInput)
    assert errors[0].code == "replacement_not_in_stock"
    assert RMA.objects.filter(replacement_device__serial_number="STOCK-1").count() == 1


def test_one_new_replacement_serial_is_used_once(build, supervisor):
    # given two eligible returns whose approvers type the same new serial
    rmas = [build(S.DIAGNOSING, in_warranty=False, email=f"n{i}@example.com") for i in range(2)]

    # when both have found the serial unknown before either creates the unit
    both_looked = threading.Barrier(2)
    real_device_create = devices.device_create

    def device_create_after_both_looked(**kwargs):
        both_looked.wait(timeout=30)
        return real_device_create(**kwargs)

    with mock.patch.object(devices, "device_create", device_create_after_both_looked):
        outcomes = at_once(2, lambda i: grant_in_thread(rmas[i].pk, supervisor.pk, reason="Worth it.", serial="NEW-77"))

    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], InvalidInput), errors
    assert errors[0].code == "replacement_not_in_stock"
    assert Device.objects.filter(serial_number="NEW-77").count() == 1
    assert GoodwillGrant.objects.count() == 1


def test_two_returns_for_one_device_at_once_make_one(make_device, roles):
    device = make_device()

    outcomes = at_once(
        2,
        lambda i: services.rma_create(
            serial_number=device.serial_number,
            customer_email=f"race{i}@example.com",
            fault_description="Dead.",
            actor=None,
            source=Source.PAGE,
        ),
    )

    wins, errors = split(outcomes)
    assert len(wins) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], TransitionRefused)
    assert errors[0].code == "open_rma_exists"
    assert RMA.objects.filter(device=device).count() == 1


def test_a_new_customer_on_two_returns_at_once_is_one_customer(make_device, roles):
    devices = [make_device() for _ in range(4)]

    outcomes = at_once(
        4,
        lambda i: services.rma_create(
            serial_number=devices[i].serial_number,
            customer_email="Same.Person@example.com",
            fault_description="Dead.",
            actor=None,
            source=Source.PAGE,
        ),
    )

    wins, errors = split(outcomes)
    assert errors == []
    assert len(wins) == 4
    assert Customer.objects.filter(email="same.person@example.com").count() == 1
    assert not any(isinstance(outcome, DomainError) for outcome in outcomes)
