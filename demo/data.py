"""What the demo fleet is made of: accounts, product models, components, failure patterns, faults, rates."""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics import roles
from diagnostics.models import FailurePattern

DEMO_PASSWORD = "demo-returns-2025"


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
