"""A realistic demo fleet for ``manage.py seed_demo`` (SPEC §8).

Everything goes through the doors the product itself uses: reference data from the factory-boy
factories, devices through the bulk device import (rows built in memory), field-failure history
through the failure import, and every live RMA through the services, the way staff and customers
would move it. Random choices come from one seeded generator, so a given seed on a given day builds
the same fleet.

The fleet: five product models built in weekly lots over two years; customers owning most shipped
units; about ten failure patterns at every stage of their life; a history of closed field failures,
with one lot of Breeze phones failing on the mainboard far more often than the rest (an emerging
fault for detection to find); and RMAs in every status, including a goodwill replacement granted
and an out-of-warranty unit that a supervisor can grant goodwill on now.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

import factory.random
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from diagnostics import roles
from diagnostics import services as diagnostics_services
from diagnostics.detection import scan
from diagnostics.factories import ComponentFactory, FailurePatternFactory
from diagnostics.imports import failures_import
from diagnostics.models import Component, Diagnosis, FailurePattern, RootCauseCase
from diagnostics.selectors import goodwill_suggestion
from rma import policy
from rma import services as rma_services
from rma.factories import CustomerFactory, ProductModelFactory, UserFactory
from rma.models import RMA, Customer, Device, ProductModel, Source

DEMO_PASSWORD = "demo-returns-2025"
S = RMA.Status


@dataclass(frozen=True)
class Account:
    username: str
    role: str  # a role group, or "" for the superuser
    what: str


ACCOUNTS = [
    Account("admin", "", "superuser: everything, including user management"),
    Account(roles.SUPERVISOR, roles.SUPERVISOR, "moves returns, rejects them and approves goodwill"),
    Account(roles.TECHNICIAN, roles.TECHNICIAN, "authorizes, receives, diagnoses, repairs and ships"),
    Account(roles.ENGINEER, roles.ENGINEER, "failure patterns, root-cause cases and reports"),
]


@dataclass(frozen=True)
class DemoModel:
    sku: str
    name: str
    family: str
    warranty_months: int
    goodwill_window_months: int
    share: float  # of the units built
    prefix: str  # of its serial numbers
    firmware: tuple[tuple[int, str], ...]  # (from week, version): releases in build order
    components: tuple[tuple[str, int], ...]  # which components fail, and how often relative to each other


MODELS = [
    DemoModel(
        "PHN-A1", "Aurora phone", "Phones", 24, 6, 0.32, "PA",
        ((0, "5.0.2"), (38, "5.1.0"), (80, "5.2.1")),
        (("battery", 35), ("display", 20), ("mainboard", 12), ("charging-port", 15), ("radio", 10), ("camera", 8)),
    ),
    DemoModel(
        "PHN-B2", "Breeze phone", "Phones", 12, 6, 0.28, "PB",
        ((0, "3.4.0"), (30, "3.5.1"), (70, "3.6.0")),
        (("battery", 35), ("display", 18), ("mainboard", 15), ("charging-port", 17), ("radio", 10), ("camera", 5)),
    ),
    DemoModel(
        "TAB-T1", "Tide tablet", "Tablets", 24, 12, 0.14, "TT",
        ((0, "2.1.0"), (50, "2.2.3")),
        (("battery", 30), ("display", 35), ("mainboard", 15), ("charging-port", 10), ("radio", 10)),
    ),
    DemoModel(
        "EAR-E1", "Echo earbuds", "Earbuds", 12, 3, 0.18, "EE",
        ((0, "1.2.0"), (45, "1.3.2")),
        (("battery", 60), ("charging-port", 25), ("radio", 15)),
    ),
    DemoModel(
        "WAT-W1", "Wave watch", "Watches", 12, 6, 0.08, "WW",
        ((0, "4.0.1"), (60, "4.1.0")),
        (("battery", 40), ("display", 30), ("radio", 20), ("mainboard", 10)),
    ),
]  # fmt: skip

MODELS_BY_SKU = {model.sku: model for model in MODELS}
MIN_DEVICES = 300

COMPONENTS = {
    "battery": "Battery",
    "mainboard": "Mainboard",
    "display": "Display",
    "radio": "Radio (Wi-Fi, Bluetooth, cellular)",
    "charging-port": "Charging port",
    "camera": "Camera module",
    "speaker": "Speaker",
}


@dataclass(frozen=True)
class DemoPattern:
    code: str
    title: str
    component: str
    status: str
    skus: tuple[str, ...]
    symptoms: str
    samples_wanted: int = 0
    root_cause: str = ""
    corrective_action: str = ""
    effectivity: str = ""
    public_summary: str = ""
    fixed_from_week: int | None = None  # weeks after the first lot: units built from then have the fix


P = FailurePattern.Status
PATTERNS = [
    DemoPattern(
        "FP-0001", "Battery swells after 12 to 18 months", "battery", P.ROOT_CAUSED, ("PHN-A1", "PHN-B2"),
        "Back cover lifts at the lower edge; the phone runs hot while charging and the battery drains in hours.",
        root_cause="Electrolyte decomposition in cells from one supplier batch charged above 4.4 V.",
        public_summary="A batch of batteries could swell after a year of use. Affected phones get a new battery.",
    ),
    DemoPattern(
        "FP-0002", "Charging port corrosion in humid climates", "charging-port", P.CORRECTIVE_ACTION,
        ("PHN-A1", "PHN-B2", "TAB-T1"),
        "Charges only with the cable held at an angle; green residue on the port contacts.",
        root_cause="Port contacts plated too thinly by the second-source supplier.",
        public_summary="In humid places the charging port's contacts could corrode. We have made them thicker.",
        corrective_action="Thicker gold plating on port contacts.",
        effectivity="From lots built in week 30 of last year",
        fixed_from_week=30,
    ),
    DemoPattern(
        "FP-0003", "Display flicker at low brightness", "display", P.INVESTIGATING, ("PHN-A1",),
        "Screen flickers below 20 % brightness, most visible on dark backgrounds; started after an update.",
        samples_wanted=4,
    ),
    DemoPattern(
        "FP-0004", "No power after an overnight charge", "mainboard", P.INVESTIGATING, ("PHN-B2",),
        "Unit was charging overnight and is completely dead in the morning: no vibration, no charging light.",
        samples_wanted=5,
    ),
    DemoPattern(
        "FP-0005", "Wi-Fi drops after waking from sleep", "radio", P.VERIFIED, ("PHN-A1", "PHN-B2", "TAB-T1"),
        "Wi-Fi shows connected but no traffic passes for a minute after the screen is switched on.",
        root_cause="Power-save timer in the radio firmware did not re-arm after deep sleep.",
        public_summary="A software timer kept Wi-Fi asleep for a minute after waking. A software update fixes it.",
        corrective_action="Radio firmware fix.",
        effectivity="Firmware 5.1.0 (Aurora) and 3.5.1 (Breeze)",
        fixed_from_week=38,
    ),
    DemoPattern(
        "FP-0006", "Touch ghosting near the screen edge", "display", P.NEW, ("TAB-T1",),
        "Phantom touches along the right-hand edge, mostly while charging.",
    ),
    DemoPattern(
        "FP-0007", "Left earbud drains in its case", "battery", P.INVESTIGATING, ("EAR-E1",),
        "Left earbud is flat when taken out of a fully charged case; the right one is fine.",
        samples_wanted=3,
    ),
    DemoPattern(
        "FP-0008", "Speaker rattles at high volume", "speaker", P.CLOSED, ("PHN-A1",),
        "Buzzing from the bottom speaker above 80 % volume.",
        root_cause="Loose speaker gasket.",
        public_summary="A loose seal around the speaker could buzz at high volume.",
        corrective_action="Gasket glued in assembly.",
        effectivity="All lots since launch plus field repair",
        fixed_from_week=0,
    ),
    DemoPattern(
        "FP-0009", "Rear camera cannot focus", "camera", P.NEW, ("PHN-A1", "PHN-B2"),
        "Photos blurry at every distance; the lens makes a faint clicking sound.",
    ),
    DemoPattern(
        "FP-0010", "Reboot loop on the start-up logo", "mainboard", P.CORRECTIVE_ACTION, ("PHN-A1", "WAT-W1"),
        "Unit restarts every few seconds on the logo screen and never reaches the home screen.",
        root_cause="Marginal solder joint under the memory chip.",
        public_summary="A solder joint inside could crack and make the device restart over and over.",
        corrective_action="Revised reflow profile; X-ray sampling on every lot.",
        effectivity="From lots built in week 12 of this year",
    ),
]  # fmt: skip

FAULTS = {
    "battery": [
        "Battery goes from full to empty in about three hours, even when I'm not using it.",
        "The back cover is bulging and the phone gets hot while charging.",
        "Shuts down at 30 % battery and will not turn on until it is plugged in.",
    ],
    "display": [
        "A green vertical line across the screen since this morning.",
        "Screen flickers at low brightness, worse since the last update.",
        "Parts of the screen do not respond to touch.",
    ],
    "mainboard": [
        "It was on the charger overnight and now it will not turn on at all.",
        "Stuck restarting on the logo screen.",
        "Dead. No lights, no vibration, nothing when charging.",
    ],
    "charging-port": [
        "Only charges if I hold the cable at an angle.",
        "Charging stops and starts every few seconds.",
    ],
    "radio": [
        "Wi-Fi keeps dropping every time the screen comes on.",
        "No mobile signal since Tuesday; other phones work fine here.",
        "Bluetooth disconnects from my car every few minutes.",
    ],
    "camera": ["Rear camera cannot focus; every photo is blurry."],
}
EARBUD_FAULTS = [
    "Left earbud does not charge in the case.",
    "Sound cuts out in the right earbud.",
    "Case will not charge, the light stays off.",
]
OUTCOMES = [("confirmed", 70), ("cause_unknown", 8), ("no_fault_found", 16), ("customer_damage", 6)]

# The emerging fault: one lot of Breeze phones whose mainboards fail early and often.
EMERGING_SKU, EMERGING_COMPONENT, EMERGING_PATTERN = "PHN-B2", "mainboard", "FP-0004"
EMERGING_WEEKS_AGO = 18
EMERGING_FAILURE_SHARE = 0.15
BACKGROUND_FAILURES_PER_YEAR = 0.06


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


def demo_exists() -> bool:
    return ProductModel.objects.filter(sku=MODELS[0].sku).exists()


def demo_accounts_ensure() -> list[Account]:
    """The demo staff accounts, each in its role group, with the demo password."""
    for account in ACCOUNTS:
        if account.role:
            UserFactory(username=account.username, role=account.role, password=DEMO_PASSWORD, is_staff=True)
        else:
            UserFactory(
                username=account.username,
                email="admin@staff.example.com",
                password=DEMO_PASSWORD,
                is_staff=True,
                is_superuser=True,
            )
    return ACCOUNTS


@transaction.atomic
def demo_seed(*, devices: int = 4000, seed: int = 2025) -> DemoSummary:
    """Build the demo fleet in an empty database (see the module docstring)."""
    return _DemoBuilder(devices=devices, seed=seed).build()


class _DemoBuilder:
    def __init__(self, *, devices: int, seed: int) -> None:
        self.target_devices = devices
        self.rng = random.Random(seed)
        factory.random.reseed_random(seed)
        self.today = timezone.localdate()
        self.first_week = monday(self.today - dt.timedelta(weeks=104))
        self.summary = DemoSummary()
        self.used: set[int] = set()  # devices that already have a live return

    def build(self) -> DemoSummary:
        demo_accounts_ensure()
        user = get_user_model().objects
        self.technician = user.get(username=roles.TECHNICIAN)
        self.supervisor = user.get(username=roles.SUPERVISOR)
        self.engineer = user.get(username=roles.ENGINEER)
        self.reference_data()
        self.fleet()
        self.history()
        self.detection()
        self.returns()
        self.closed_loop()
        self.summary.rmas_by_status = dict(Counter(RMA.objects.values_list("status", flat=True)))
        return self.summary

    # Reference data -----------------------------------------------------------------------------

    def reference_data(self) -> None:
        # The factories return model instances (typed as the factory class, hence the casts).
        self.models: dict[str, ProductModel] = {
            model.sku: cast(
                ProductModel,
                ProductModelFactory(
                    sku=model.sku,
                    name=model.name,
                    family=model.family,
                    warranty_months=model.warranty_months,
                    goodwill_window_months=model.goodwill_window_months,
                ),
            )
            for model in MODELS
        }
        self.components: dict[str, Component] = {
            code: cast(Component, ComponentFactory(code=code, name=name)) for code, name in COMPONENTS.items()
        }
        for spec in PATTERNS:
            # Each pattern starts new and is moved to its stage by the engineer, so its history is real.
            pattern = cast(
                FailurePattern,
                FailurePatternFactory(
                    code=spec.code,
                    title=spec.title,
                    component=self.components[spec.component],
                    status=P.NEW,
                    symptoms=spec.symptoms,
                    samples_wanted=spec.samples_wanted,
                    owner=self.engineer,
                    root_cause=spec.root_cause,
                    corrective_action=spec.corrective_action,
                    effectivity=spec.effectivity,
                    effective_from_date=(
                        self.first_week + dt.timedelta(weeks=spec.fixed_from_week)
                        if spec.fixed_from_week is not None
                        else None
                    ),
                    public_summary=spec.public_summary,
                ),
            )
            pattern.affected_models.set([self.models[sku] for sku in spec.skus])
            self.pattern_advance(pattern, spec.status)
        self.summary.product_models = len(self.models)
        self.summary.components = len(self.components)
        self.summary.patterns = len(PATTERNS)

    # Devices and customers ----------------------------------------------------------------------

    def fleet(self) -> None:
        """Weekly lots over two years, imported through the device import; most shipped units have an owner."""
        customers = CustomerFactory.build_batch(max(self.target_devices // 2, 10))
        for number, customer in enumerate(customers, start=1):
            words = re.findall(r"[a-z]+", customer.name.lower())[-2:] or ["customer"]
            customer.email = f"{'.'.join(words)}.{number}@example.com"
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

    # Live returns ---------------------------------------------------------------------------------

    def returns(self) -> None:
        """Returns in every status, moved through the services by customers and staff."""
        self.goodwill_granted()
        self.goodwill_eligible()
        for status, count in [
            (S.SUBMITTED, 3),
            (S.AUTHORIZED, 2),
            (S.RECEIVED, 2),
            (S.DIAGNOSING, 2),
            (S.REPAIRING, 2),
            (S.REPLACING, 1),
            (S.SHIPPED, 2),
            (S.CLOSED, 2),
        ]:
            for _ in range(count):
                self.in_warranty_return(status)
        self.paid_returns()
        self.rejected_and_cancelled()
        self.nff_return()

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

    def in_warranty_return(self, status: str) -> RMA:
        device = self.pick(self.in_warranty())
        component = weighted(self.rng, MODELS_BY_SKU[device.product_model.sku].components)
        rma = self.open(device, component, by_phone=self.rng.random() < 0.3)
        if status == S.SUBMITTED:
            return rma
        if status == S.AUTHORIZED:
            return rma_services.rma_authorize(rma=rma, **self.staff())
        if status == S.RECEIVED:
            rma = rma_services.rma_authorize(rma=rma, **self.staff())
            return rma_services.rma_receive(rma=rma, inbound_tracking=self.tracking("IN"), **self.staff())
        rma = self.to_diagnosis(rma, component, "confirmed", findings="Fault reproduced on the bench.")
        if status == S.DIAGNOSING:
            return rma
        if status == S.REPLACING or (status in (S.SHIPPED, S.CLOSED) and self.rng.random() < 0.5):
            rma = rma_services.rma_replace(rma=rma, replacement_serial=self.stock_serial(device), **self.staff())
        else:
            rma = rma_services.rma_repair(rma=rma, **self.staff())
        if status in (S.REPAIRING, S.REPLACING):
            return rma
        rma = rma_services.rma_ship(rma=rma, tracking_number=self.tracking("OUT"), **self.staff())
        if status == S.SHIPPED:
            return rma
        return rma_services.rma_close(rma=rma, **self.staff())

    def paid_returns(self) -> None:
        """Out of warranty, cause known: quoted; one quote waiting, one accepted, one declined."""
        for answer in ("waiting", "accepted", "declined"):
            device = self.pick(Q(product_model__sku="PHN-B2", warranty_ends_on__lt=self.today - dt.timedelta(days=220)))
            rma = self.open(device, "battery")
            rma = self.to_diagnosis(
                rma, "battery", "confirmed", pattern="FP-0001", findings="Swollen cell; matches FP-0001."
            )
            rma = rma_services.rma_quote(rma=rma, amount="69.00", **self.staff())
            if answer == "accepted":
                rma = rma_services.rma_accept_quote(rma=rma, actor=None, source=Source.PAGE)
            elif answer == "declined":
                rma = rma_services.rma_decline_quote(rma=rma, actor=None, source=Source.PAGE)
                rma = rma_services.rma_ship(rma=rma, tracking_number=self.tracking("OUT"), **self.staff())
                rma_services.rma_close(rma=rma, **self.staff())

    def rejected_and_cancelled(self) -> None:
        device = self.pick(self.in_warranty())
        rma = self.open(device, "display")
        rma_services.rma_reject(
            rma=rma,
            reason="The photos show a cracked screen from a fall, which the warranty does not cover.",
            **self.staff(self.supervisor),
        )
        device = self.pick(self.in_warranty())
        rma = self.open(device, "radio")
        rma_services.rma_cancel(rma=rma, actor=None, source=Source.PAGE, reason="It works again after an update.")

    def nff_return(self) -> None:
        device = self.pick(self.in_warranty())
        rma = self.open(device, "radio")
        rma = self.to_diagnosis(rma, "radio", "no_fault_found", findings="48-hour soak test passed; no drop-outs.")
        rma = rma_services.rma_ship(rma=rma, tracking_number=self.tracking("OUT"), **self.staff())
        rma_services.rma_close(rma=rma, resolution=RMA.Resolution.NO_FAULT_FOUND, **self.staff())

    def goodwill_granted(self) -> None:
        """Out of warranty, matching a pattern that wants samples: kept for analysis, replaced for free."""
        device = self.pick(self.in_goodwill_window("PHN-B2"))
        rma = self.open(device, "mainboard")
        rma = self.to_diagnosis(
            rma, "mainboard", "confirmed", pattern="FP-0004", findings="Board draws no current; PMIC suspected."
        )
        rma = diagnostics_services.goodwill_grant(
            rma=rma,
            reason="Engineering wants this unit for FP-0004; long-standing customer.",
            replacement_serial=self.stock_serial(device),
            **self.staff(self.supervisor),
        )
        rma = rma_services.rma_ship(rma=rma, tracking_number=self.tracking("OUT"), **self.staff())
        rma = rma_services.rma_close(rma=rma, **self.staff())
        self.summary.goodwill_granted.append(rma.number)

    def goodwill_eligible(self) -> None:
        """Out of warranty, in the window, cause unknown: waiting for a supervisor to grant goodwill."""
        device = self.pick(self.in_goodwill_window("PHN-B2") & ~Q(owner__goodwill_grants__isnull=False))
        rma = self.open(device, "display")
        rma = self.to_diagnosis(
            rma, "display", "cause_unknown", findings="Panel and flex cable test fine; fault comes and goes."
        )
        suggestion = goodwill_suggestion(rma)
        if not suggestion:
            raise AssertionError(f"The demo goodwill case {rma.number} is not eligible: {suggestion.reason}")
        self.summary.goodwill_suggested.append((rma.number, suggestion.reason))

    # The closed loop ----------------------------------------------------------------------------------

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

    def retained_return(self, query: Q, component: str, outcome: str, pattern: str = "") -> RMA:
        """An in-warranty unit diagnosed and kept for analysis by the technician; its case opens."""
        device = self.pick(self.in_warranty() & query)
        rma = self.open(device, component)
        rma = self.to_diagnosis(rma, component, outcome, pattern=pattern, findings="Kept for engineering.")
        return diagnostics_services.unit_retain(rma=rma, note="Engineering wants this unit.", **self.staff())

    def replaced(self, rma: RMA, *, close: bool = True) -> RMA:
        """The customer gets a replacement under warranty for the unit engineering keeps."""
        rma = rma_services.rma_replace(rma=rma, replacement_serial=self.stock_serial(rma.device), **self.staff())
        rma = rma_services.rma_ship(rma=rma, tracking_number=self.tracking("OUT"), **self.staff())
        return rma_services.rma_close(rma=rma, **self.staff()) if close else rma

    def closed_loop(self) -> None:
        """Root-cause cases at every stage, a customer thanked for the unit that helped, an advisory."""
        engineer = self.staff(self.engineer)
        # A sample for the earbud pattern: analysed, concluded, and the pattern root-caused: its owner is thanked.
        earbud = self.retained_return(Q(product_model__sku="EAR-E1"), "battery", "confirmed", pattern="FP-0007")
        case = earbud.rca_case
        diagnostics_services.rca_case_add_findings(
            case=case, text="Left cell reads 0 V; the case's pogo pin keeps a 4 mA drain on it.", actor=self.engineer
        )
        diagnostics_services.rca_case_close(
            case=case,
            conclusion="Pogo pin contact keeps the charging circuit half on: FP-0007.",
            pattern=FailurePattern.objects.get(code="FP-0007"),
            **engineer,
        )
        self.pattern_advance(
            FailurePattern.objects.get(code="FP-0007"),
            P.ROOT_CAUSED,
            root_cause="A pogo-pin contact in the case kept the left earbud's charger half on, draining it.",
            public_summary="A contact in the charging case could slowly drain the left earbud. We know why now.",
        )
        self.summary.thanked.append(earbud.number)
        self.replaced(earbud)
        # A display sample engineering is still working on: assigned, with findings; the unit cannot be scrapped yet.
        display = self.retained_return(Q(product_model__sku="PHN-A1"), "display", "confirmed", pattern="FP-0003")
        diagnostics_services.rca_case_add_findings(
            case=display.rca_case,
            text="Flicker reproduced at 12 % brightness; PWM frequency looks low.",
            actor=self.engineer,
        )
        self.replaced(display, close=False)
        # A unit nobody has looked at yet: cause unknown, the case waits in the queue.
        self.retained_return(Q(product_model__sku="PHN-B2"), "charging-port", "cause_unknown")
        # A case that found a failure nobody had named: it creates the pattern, and the unit is scrapped.
        found = self.retained_return(Q(product_model__sku="TAB-T1"), "display", "cause_unknown")
        case = diagnostics_services.rca_case_close(
            case=found.rca_case,
            conclusion="The display flex cable cracks where it folds behind the hinge.",
            new_pattern={
                "title": "Display flex cable cracks at the fold",
                "component": self.components["display"],
                "symptoms": "Lines or a black screen that come and go when the tablet is tilted.",
                "affected_models": [self.models["TAB-T1"]],
            },
            **engineer,
        )
        found = self.replaced(found)
        diagnostics_services.unit_dispose(rma=found, disposition=RMA.Disposition.SCRAPPED, **self.staff())
        # An advisory about the swelling batteries, for the lots they came from.
        swollen = FailurePattern.objects.get(code="FP-0001")
        lots = sorted(set(Diagnosis.objects.filter(pattern=swollen).values_list("rma__device__lot", flat=True)) - {""})
        advisory = diagnostics_services.advisory_create(
            pattern=swollen,
            actor=self.engineer,
            title="Batteries that may swell after a year",
            body=(
                "Some Aurora and Breeze phones from a few production lots have batteries that can swell after "
                "about a year. If the back cover of your phone lifts, stop charging it and start a return: we "
                "replace the battery free of charge, whatever your warranty says."
            ),
            affected_lots=lots,
        )
        diagnostics_services.advisory_publish(advisory=advisory, actor=self.engineer)
        self.summary.advisory = advisory.title
        self.summary.advisory_returns = [
            rma.number
            for rma in RMA.objects.exclude(status__in=RMA.FINAL_STATUSES).filter(
                device__lot__in=lots, device__product_model__in=advisory.affected_models.all()
            )
        ]
        self.summary.cases_open = RootCauseCase.objects.filter(status=RootCauseCase.Status.OPEN).count()


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weighted(rng: random.Random, choices) -> str:
    options = list(choices)
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]
