from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from diagnostics import services as diagnostics_services
from diagnostics.roles import ROLE_PERMISSIONS, roles_sync
from rma import services
from rma.models import RMA, Device, Source
from tests.factories import ComponentFactory, CustomerFactory, DeviceFactory, ProductModelFactory, UserFactory

S = RMA.Status


def pytest_collection_modifyitems(config, items):
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def roles(db):
    """The role groups (transactional tests flush the ones the data migration made)."""
    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() < len(ROLE_PERMISSIONS):
        roles_sync(django_apps)


@pytest.fixture
def technician(roles):
    return UserFactory(username="tech", role="technician")


@pytest.fixture
def supervisor(roles):
    return UserFactory(username="super", role="supervisor")


@pytest.fixture
def engineer(roles):
    return UserFactory(username="eng", role="engineer")


@pytest.fixture
def today():
    """Today where the repair centre is (the services date things in its time zone)."""
    return timezone.localdate()


@pytest.fixture
def in_warranty_device(db, today):
    return DeviceFactory(
        serial_number="SN-IN-WARRANTY",
        product_model=ProductModelFactory(sku="PHN-1", warranty_months=12, goodwill_window_months=6),
        shipped_on=today - dt.timedelta(days=100),
    )


@pytest.fixture
def out_of_warranty_device(db, today):
    """Warranty ended about two months ago: inside the six-month goodwill window."""
    return DeviceFactory(
        serial_number="SN-OUT-OF-WARRANTY",
        product_model=ProductModelFactory(sku="PHN-1", warranty_months=12, goodwill_window_months=6),
        shipped_on=today - dt.timedelta(days=365 + 60),
    )


@pytest.fixture
def battery(db):
    return ComponentFactory(code="battery", name="Battery")


class Flow:
    """Drives an RMA through the services, the way staff would."""

    def __init__(self, technician, supervisor):
        self.technician = technician
        self.supervisor = supervisor

    def create(self, device, email="owner@example.com"):
        return services.rma_create(
            serial_number=device.serial_number,
            customer_email=email,
            customer_name="Owner",
            fault_description="It stopped working.",
            actor=None,
            source=Source.PAGE,
        )

    def to(self, rma, status, *, component=None, outcome="cause_unknown", pattern=None):
        """Move ``rma`` along the usual path until it reaches ``status``."""
        t = self.technician
        kw = {"actor": t, "source": Source.ADMIN}
        if status == rma.status:
            return rma
        if rma.status == S.SUBMITTED:
            rma = services.rma_authorize(rma=rma, **kw)
        if status == S.AUTHORIZED:
            return rma
        rma = services.rma_receive(rma=rma, **kw)
        if status == S.RECEIVED:
            return rma
        rma = services.rma_start_diagnosis(rma=rma, **kw)
        if component is not None:
            diagnostics_services.diagnosis_record(
                rma=rma, component=component, outcome=outcome, pattern=pattern, symptoms="dead", **kw
            )
            rma.refresh_from_db()
        if status == S.DIAGNOSING:
            return rma
        if status == S.AWAITING_CUSTOMER:
            return services.rma_quote(rma=rma, amount="79.00", **kw)
        if status == S.REPAIRING:
            return services.rma_repair(rma=rma, **kw)
        if status == S.REPLACING:
            return services.rma_replace(rma=rma, replacement_serial=f"R-{rma.number}", **kw)
        rma = services.rma_repair(rma=rma, **kw)
        rma = services.rma_ship(rma=rma, tracking_number="TRACK-1", **kw)
        if status == S.SHIPPED:
            return rma
        return services.rma_close(rma=rma, **kw)


@pytest.fixture
def flow(technician, supervisor):
    return Flow(technician, supervisor)


@pytest.fixture
def customer(db):
    return CustomerFactory(email="owner@example.com", name="Owner")


class Clock:
    """Stands in for ``django.utils.timezone.now`` once set: ``clock.set(moment)``, ``clock.advance(days=1)``."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.current: dt.datetime | None = None

    def set(self, moment: dt.datetime) -> dt.datetime:
        assert timezone.is_aware(moment)
        self.current = moment
        self._monkeypatch.setattr(timezone, "now", lambda: self.current)
        return moment

    def advance(self, **delta) -> dt.datetime:
        assert self.current is not None, "set the clock first"
        return self.set(self.current + dt.timedelta(**delta))


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def make_device(db, today):
    """A fresh unit: in warranty (shipped 90 days ago) or about two months out of warranty."""

    def make(*, in_warranty: bool = True, **fields) -> Device:
        fields.setdefault(
            "shipped_on", today - dt.timedelta(days=90) if in_warranty else today - dt.timedelta(days=365 + 60)
        )
        fields.setdefault(
            "product_model", ProductModelFactory(sku="PHN-1", warranty_months=12, goodwill_window_months=6)
        )
        return DeviceFactory(**fields)

    return make


@pytest.fixture
def build(flow, make_device, battery, supervisor):
    """An RMA in ``status``, reached through the services the way staff would get it there.

    From diagnosing on it carries a cause-unknown battery diagnosis. ``awaiting_customer`` (a paid
    repair quote) is built on an out-of-warranty unit, every other status on one in warranty.
    """

    def make(
        status, *, in_warranty=None, device=None, diagnosed=True, outcome="cause_unknown", pattern=None, email=None
    ):
        if in_warranty is None:
            in_warranty = status != S.AWAITING_CUSTOMER
        device = device or make_device(in_warranty=in_warranty)
        rma = flow.create(device, **({"email": email} if email else {}))
        if status == S.REJECTED:
            return services.rma_reject(
                rma=rma, actor=supervisor, source=Source.ADMIN, reason="This is not one of our products."
            )
        if status == S.CANCELLED:
            return services.rma_cancel(rma=rma, actor=None, source=Source.PAGE)
        return flow.to(rma, status, component=battery if diagnosed else None, outcome=outcome, pattern=pattern)

    return make


@pytest.fixture(autouse=True)
def _cache_trusted_again():
    """A test that took the cache down leaves no pause behind: the next test counts in its cache again."""
    yield
    from core import ratelimit

    ratelimit._cache_down_until = 0.0
