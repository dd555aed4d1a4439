"""The demo fleet's ground floor (SPEC §8): accounts, reference data, devices, field-failure history, the scan.

Everything goes through the doors the product itself uses: reference data is written as plain rows,
devices go through the bulk device import (rows built in memory), field-failure history through the
failure import, and every live RMA through the services, the way staff and customers would move it
(``demo.seed`` builds those on top of this). Random choices come from one seeded generator, so a
given seed on a given day builds the same fleet.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from demo.data import (
    ACCOUNTS,
    BACKGROUND_FAILURES_PER_YEAR,
    COMPONENTS,
    DEMO_PASSWORD,
    EARBUD_FAULTS,
    EMERGING_COMPONENT,
    EMERGING_FAILURE_SHARE,
    EMERGING_PATTERN,
    EMERGING_SKU,
    EMERGING_WEEKS_AGO,
    FAULTS,
    MODELS,
    MODELS_BY_SKU,
    OUTCOMES,
    PATTERNS,
    Account,
    P,
)
from diagnostics import roles
from diagnostics import services as diagnostics_services
from diagnostics.detection import scan
from diagnostics.imports import failures_import
from diagnostics.models import Component, FailurePattern
from rma import policy
from rma import services as rma_services
from rma.models import RMA, Customer, Device, ProductModel, RepairCentre, RoutingRule, Source


class DemoTooSmall(ValueError):
    pass


@dataclass
class DemoSummary:
    product_models: int = 0
    devices: int = 0
    customers: int = 0
    failures: int = 0
    components: int = 0
    patterns: int = 0
    rmas_by_status: dict[str, int] = field(default_factory=dict)
    emerging_lot: str = ""
    goodwill_granted: list[str] = field(default_factory=list)
    goodwill_suggested: list[tuple[str, str]] = field(default_factory=list)  # (RMA number, reason)
    cases_open: int = 0
    thanked: list[str] = field(default_factory=list)  # RMA numbers whose customers were thanked
    advisory: str = ""
    advisory_returns: list[str] = field(default_factory=list)  # open returns whose status page shows it
    signals: list[str] = field(default_factory=list)  # the cells the detection scan raised
    centres: list[str] = field(default_factory=list)  # repair centre codes
    assigned: int = 0  # open returns with someone on them
    programme: str = ""  # the active service programme
    programme_owners_notified: int = 0
    programme_returns: list[str] = field(default_factory=list)  # returns the programme covers
    reimbursements_waiting: list[str] = field(default_factory=list)  # paid repairs to pay back, for a supervisor


def demo_accounts_ensure() -> list[Account]:
    """The demo staff accounts, each in its role group, with the demo password (accounts that exist keep theirs)."""
    users = get_user_model().objects
    for account in ACCOUNTS:
        user, _ = users.get_or_create(
            username=account.username,
            defaults={
                "email": f"{account.username}@staff.example.com",
                "password": make_password(DEMO_PASSWORD),
                "is_staff": True,
                "is_superuser": not account.role,
            },
        )
        if account.role:
            user.groups.add(Group.objects.get(name=account.role))
    return ACCOUNTS


class FleetBuilder:
    """Builds the fleet and its history; ``demo.seed.DemoBuilder`` adds the live returns and the closed loop."""

    def __init__(self, *, devices: int, seed: int) -> None:
        self.target_devices = devices
        self.rng = random.Random(seed)
        self.fake = Faker()  # customers' names and telephone numbers
        self.fake.seed_instance(seed)
        self.today = timezone.localdate()
        self.first_week = monday(self.today - dt.timedelta(weeks=104))
        self.summary = DemoSummary()
        self.used: set[int] = set()  # devices that already have a live return
        demo_accounts_ensure()
        users = get_user_model().objects
        self.technician = users.get(username=roles.TECHNICIAN)
        self.supervisor = users.get(username=roles.SUPERVISOR)
        self.engineer = users.get(username=roles.ENGINEER)

    # Reference data -----------------------------------------------------------------------------

    def centres(self) -> None:
        """Two repair centres in two countries (SPEC §13): London takes every model but the Breeze phone, which Munich
        repairs; both supervisors' dashboards have work."""
        london, _ = RepairCentre.objects.get_or_create(
            code="LON",
            defaults={
                "name": "London repair centre",
                "address": "Unit 4, Riverside Works\n12 Wharf Road\nLondon N1 7SR\nUnited Kingdom",
                "country": "GB",
                "subdivision": "ENG",
                "time_zone": "Europe/London",
                "is_default": True,
            },
        )
        munich, _ = RepairCentre.objects.get_or_create(
            code="MUC",
            defaults={
                "name": "Munich repair centre",
                "address": "Werkstattstraße 8\n80339 München\nGermany",
                "country": "DE",
                "subdivision": "BY",
                "time_zone": "Europe/Berlin",
                "service_levels": {"received": {"business_days": 2}},
                "turnaround_business_days": 5,
            },
        )
        london.staff.add(self.technician, self.supervisor)
        munich.staff.add(self.supervisor)
        RoutingRule.objects.get_or_create(centre=munich, product_model=self.models[MODELS[1].sku])
        RoutingRule.objects.get_or_create(centre=munich, country="DE")
        self.summary.centres = [london.code, munich.code]

    def reference_data(self) -> None:
        self.models: dict[str, ProductModel] = {}
        for model in MODELS:
            self.models[model.sku], _ = ProductModel.objects.get_or_create(
                sku=model.sku,
                defaults={
                    "name": model.name,
                    "family": model.family,
                    "warranty_months": model.warranty_months,
                    "goodwill_window_months": model.goodwill_window_months,
                },
            )
        self.components: dict[str, Component] = {
            code: Component.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in COMPONENTS.items()
        }
        for spec in PATTERNS:
            # Each pattern starts new and is moved to its stage by the engineer, so its history is real.
            pattern, _ = FailurePattern.objects.get_or_create(
                code=spec.code,
                defaults={
                    "title": spec.title,
                    "component": self.components[spec.component],
                    "status": P.NEW,
                    "symptoms": spec.symptoms,
                    "samples_wanted": spec.samples_wanted,
                    "owner": self.engineer,
                    "root_cause": spec.root_cause,
                    "corrective_action": spec.corrective_action,
                    "effectivity": spec.effectivity,
                    "effective_from_date": (
                        self.first_week + dt.timedelta(weeks=spec.fixed_from_week)
                        if spec.fixed_from_week is not None
                        else None
                    ),
                    "public_summary": spec.public_summary,
                },
            )
            pattern.affected_models.set([self.models[sku] for sku in spec.skus])
            self.pattern_advance(pattern, spec.status)
        self.summary.product_models = len(self.models)
        self.summary.components = len(self.components)
        self.summary.patterns = len(PATTERNS)

    # Devices and customers ----------------------------------------------------------------------

    def fleet(self) -> None:
        """Weekly lots over two years, imported through the device import; most shipped units have an owner."""
        customers = []
        for number in range(1, max(self.target_devices // 2, 10) + 1):
            name = self.fake.name()
            words = re.findall(r"[a-z]+", name.lower())[-2:] or ["customer"]
            email = f"{'.'.join(words)}.{number}@example.com"
            customers.append(Customer(name=name, email=email, phone=self.fake.phone_number()))
        Customer.objects.bulk_create(customers)
        emails = [customer.email for customer in customers]
        self.summary.customers = len(customers)

        rows = []
        weeks = 104
        emerging_week = weeks - EMERGING_WEEKS_AGO
        for week in range(weeks):
            week_start = self.first_week + dt.timedelta(weeks=week)
            for model in MODELS:
                mean = self.target_devices * model.share / weeks
                units = max(1, round(mean * self.rng.uniform(0.6, 1.4)))
                if model.sku == EMERGING_SKU and week == emerging_week:
                    units = max(units, self.target_devices // 25)
                iso = week_start.isocalendar()
                lot = f"{model.prefix}{iso.year % 100:02d}{iso.week:02d}"
                firmware = [version for since, version in model.firmware if since <= week][-1]
                for unit in range(units):
                    made = week_start + dt.timedelta(days=self.rng.randrange(5))
                    shipped = made + dt.timedelta(days=self.rng.randrange(3, 50))
                    in_stock = shipped > self.today - dt.timedelta(days=2)
                    owned = not in_stock and self.rng.random() < 0.75
                    rows.append(
                        {
                            "serial_number": f"{lot}{unit:04d}",
                            "model_sku": model.sku,
                            "lot": lot,
                            "manufactured_on": made,
                            "shipped_on": None if in_stock else shipped,
                            "firmware_version": firmware,
                            "customer_email": self.rng.choice(emails) if owned else None,
                        }
                    )
                if model.sku == EMERGING_SKU and week == emerging_week:
                    self.summary.emerging_lot = lot
        result = rma_services.devices_import(rows=rows, strict=True)
        self.summary.devices = result.created

    # Field-failure history ----------------------------------------------------------------------

    def history(self) -> None:
        """Closed field failures, through the failure import; the emerging lot fails far more often."""
        patterns_by: dict[tuple[str, str], list[str]] = {}
        for spec in PATTERNS:
            for sku in spec.skus:
                patterns_by.setdefault((sku, spec.component), []).append(spec.code)
        latest = self.today - dt.timedelta(days=7)
        rows: list[dict[str, object]] = []
        devices = Device.objects.filter(shipped_on__isnull=False, product_model__sku__in=MODELS_BY_SKU).select_related(
            "product_model"
        )
        for device in devices.order_by("serial_number"):
            model = MODELS_BY_SKU[device.product_model.sku]
            shipped = device.shipped_on
            if shipped is None:
                continue
            age = (latest - shipped).days
            if age < 14:
                continue
            emerging = device.lot == self.summary.emerging_lot
            if emerging and self.rng.random() < EMERGING_FAILURE_SHARE:
                component, outcome, pattern = EMERGING_COMPONENT, "confirmed", EMERGING_PATTERN
                reported = shipped + dt.timedelta(days=self.rng.randint(10, age))
                notes = "No power after an overnight charge; board draws no current."
            elif self.rng.random() < BACKGROUND_FAILURES_PER_YEAR * age / 365:
                component = weighted(self.rng, model.components)
                outcome = weighted(self.rng, OUTCOMES)
                candidates = patterns_by.get((model.sku, component), [])
                pattern = ""
                if candidates and outcome in ("confirmed", "cause_unknown") and self.rng.random() < 0.4:
                    pattern = self.rng.choice(candidates)
                reported = shipped + dt.timedelta(days=self.rng.randint(7, age))
                notes = ""
            else:
                continue
            rows.append(
                {
                    "external_id": f"HIST-{len(rows) + 1:06d}",
                    "serial_number": device.serial_number,
                    "reported_on": reported,
                    "component": component,
                    "pattern_code": pattern,
                    "outcome": outcome,
                    "notes": notes,
                }
            )
        result = failures_import(rows=rows, strict=True)
        self.summary.failures = result.created

    # Detection ------------------------------------------------------------------------------------

    def detection(self) -> None:
        """Last night's detection scan over the history: the emerging lot is raised as a fault signal.

        (Today's live returns come after it; the next nightly scan sees them.)
        """
        report = scan.detect_faults(as_of=self.today - dt.timedelta(days=1))
        self.summary.signals = [signal.cell_label for signal in report.raised]

    # Moving returns -------------------------------------------------------------------------------

    def pick(self, query: Q) -> Device:
        """A device matching ``query`` with an owner and no live return (deterministic for the seed)."""
        candidates = list(
            Device.objects.filter(query, owner__isnull=False, product_model__sku__in=MODELS_BY_SKU)
            .exclude(pk__in=self.used)
            .select_related("owner", "product_model")
            .order_by("serial_number")[:200]
        )
        if not candidates:
            raise DemoTooSmall("The fleet is too small for every kind of demo return: seed at least 300 devices.")
        device = self.rng.choice(candidates)
        self.used.add(device.pk)
        return device

    def in_warranty(self) -> Q:
        return Q(warranty_ends_on__gte=self.today + dt.timedelta(days=30))

    def in_goodwill_window(self, sku: str) -> Q:
        """Out of warranty for between two weeks and the goodwill window less a month."""
        window = self.models[sku].goodwill_window_months
        return Q(
            product_model__sku=sku,
            warranty_ends_on__lt=self.today - dt.timedelta(days=14),
            warranty_ends_on__gt=policy.add_months(self.today, -(window - 1)),
        )

    def open(self, device: Device, component: str, *, by_phone: bool = False) -> RMA:
        faults = EARBUD_FAULTS if device.product_model.family == "Earbuds" else FAULTS[component]
        owner = device.owner
        if owner is None:
            raise ValueError(f"Demo returns are opened by owners; {device} has none.")
        return rma_services.rma_create(
            serial_number=device.serial_number,
            customer_email=owner.email,
            customer_name=owner.name,
            fault_description=self.rng.choice(faults),
            channel=RMA.Channel.PHONE if by_phone else RMA.Channel.WEB,
            actor=self.technician if by_phone else None,
            source=Source.ADMIN if by_phone else Source.PAGE,
        )

    def staff(self, user=None) -> dict:
        return {"actor": user or self.technician, "source": Source.ADMIN}

    def to_diagnosis(self, rma: RMA, component: str, outcome: str, pattern: str = "", findings: str = "") -> RMA:
        """Authorize, receive and diagnose ``rma`` as a technician would."""
        rma = rma_services.rma_authorize(rma=rma, **self.staff())
        rma = rma_services.rma_receive(rma=rma, inbound_tracking=self.tracking("IN"), **self.staff())
        diagnostics_services.diagnosis_record(
            rma=rma,
            component=self.components[component],
            outcome=outcome,
            pattern=FailurePattern.objects.get(code=pattern) if pattern else None,
            symptoms=rma.fault_description,
            findings=findings,
            minutes_spent=self.rng.choice([15, 25, 40, 55]),
            **self.staff(),
        )
        return RMA.objects.get(pk=rma.pk)

    def tracking(self, kind: str) -> str:
        return f"1Z{kind}{self.rng.randrange(10**9):09d}"

    def stock_serial(self, device: Device) -> str:
        """A unit of the same model from stock, or a new serial for one."""
        stock = (
            Device.objects.filter(product_model=device.product_model, shipped_on__isnull=True, owner__isnull=True)
            .exclude(pk__in=self.used)
            .exclude(replacement_for__isnull=False)
            .order_by("serial_number")
            .first()
        )
        if stock is None:
            return f"{device.lot[:2]}R{self.rng.randrange(10**6):06d}"
        self.used.add(stock.pk)
        return stock.serial_number

    PATTERN_PATH = (
        ("investigate", P.INVESTIGATING),
        ("root_cause", P.ROOT_CAUSED),
        ("start_corrective_action", P.CORRECTIVE_ACTION),
        ("verify", P.VERIFIED),
        ("close", P.CLOSED),
    )

    def pattern_advance(self, pattern: FailurePattern, status: str, **fields) -> FailurePattern:
        """Move ``pattern`` forward to ``status`` through the lifecycle, as the engineer would."""
        order: list[str] = [P.NEW, *(to for _, to in self.PATTERN_PATH)]
        for action, to in self.PATTERN_PATH:
            if order.index(pattern.status) >= order.index(status):
                break
            if order.index(to) > order.index(pattern.status):
                pattern = diagnostics_services.pattern_transition(
                    pattern=pattern, action=action, **self.staff(self.engineer), **fields
                )
                fields = {}
        return pattern


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weighted(rng: random.Random, choices) -> str:
    options = list(choices)
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]
