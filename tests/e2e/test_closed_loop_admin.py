"""The closed loop in a browser: a technician diagnoses with pattern suggestions, an engineer works the
patterns, cases and advisories, and a customer sees the advisory on their status page.

Screenshots of each admin page go to ``tests/e2e/screenshots/loop-*.png``.
"""

import datetime as dt
import random
from pathlib import Path

import pytest

from diagnostics import advisories, services
from diagnostics.matching import pattern_corpus_add
from diagnostics.models import Diagnosis, FailurePattern, RootCauseCase
from rma import services as rma_services
from rma.models import RMA, Source
from rma.services import status_link_issue
from tests.conftest import Flow
from tests.factories import ComponentFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory
from tests.generators.symptoms import TextStyle, pattern_specs, technician_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SCREENSHOTS = Path(__file__).parent / "screenshots"
S = RMA.Status


def snap(page, name: str, *, full: bool = True) -> None:
    """Admin pages are for desks: one desktop screenshot."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"loop-{name}.png"), full_page=full)


def log_in(page, live_server, user) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.fixture
def world(roles, technician, supervisor, engineer):
    """A small catalogue with learnt history, a unit back for the second time, a retained unit."""
    rng = random.Random(5)
    phone = ProductModelFactory(sku="PHN-1", name="Aurora phone", warranty_months=24)
    components = {
        code: ComponentFactory(code=code, name=name)
        for code, name in [("battery", "Battery"), ("display", "Display"), ("mainboard", "Mainboard")]
    }
    for spec in pattern_specs(count=18, models=["PHN-1", "TAB-1"], rng=rng, components=list(components)):
        pattern = FailurePatternFactory(
            code=spec.code,
            title=spec.title,
            symptoms=spec.symptoms,
            component=components[spec.component],
            owner=engineer,
            samples_wanted=rng.choice([0, 2, 3]),
        )
        pattern.affected_models.set([ProductModelFactory(sku=sku) for sku in spec.models])
        for _ in range(4):
            pattern_corpus_add(pattern=pattern, symptoms=technician_text(spec, rng, TextStyle(vocabulary="shared")))
    drain = FailurePatternFactory(
        code="FP-0100",
        title="Rapid battery drain in the cold",
        symptoms="Battery falls from full to empty in a few hours at low temperature; shuts down outdoors.",
        component=components["battery"],
        owner=engineer,
        samples_wanted=3,
    )
    drain.affected_models.set([phone])
    flow = Flow(technician, supervisor)
    today = dt.date.today()
    # a unit repaired for the drain a month ago, back with it again
    unit = DeviceFactory(
        serial_number="PA25100042", product_model=phone, lot="PA2510", shipped_on=today - dt.timedelta(days=200)
    )
    first = flow.to(
        flow.create(unit, email="ada@example.com"),
        S.CLOSED,
        component=components["battery"],
        outcome="confirmed",
        pattern=drain,
    )
    again = rma_services.rma_create(
        serial_number=unit.serial_number,
        customer_email="ada@example.com",
        customer_name="Ada Lovelace",
        fault_description="Dies again when I walk to work in the morning, it was fine after the repair for 3 weeks.",
        actor=None,
        source=Source.PAGE,
    )
    again = flow.to(again, S.DIAGNOSING)
    # two retained units with their cases: one assigned and worked on, one waiting
    kept = []
    for n, (lot, component) in enumerate([("PA2512", "battery"), ("PA2513", "mainboard")]):
        device = DeviceFactory(serial_number=f"PA2600{n:04d}", product_model=phone, lot=lot)
        rma = flow.to(
            flow.create(device, email=f"owner{n}@example.com"),
            S.DIAGNOSING,
            component=components[component],
            outcome="confirmed",
            pattern=drain if component == "battery" else None,
        )
        kept.append(services.unit_retain(rma=rma, actor=technician, source=Source.ADMIN, note="Engineering wants it."))
    case = RootCauseCase.objects.get(rma=kept[0])
    services.rca_case_add_findings(
        case=case, actor=engineer, text="Cell impedance triples below 5 °C; separator suspected."
    )
    RootCauseCase.objects.filter(rma=kept[1]).update(opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=41))
    return {"phone": phone, "drain": drain, "first": first, "again": again, "kept": kept, "components": components}


def test_diagnosing_with_suggestions_and_working_the_loop(page, live_server, settings, world, technician, engineer):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    again, drain = world["again"], world["drain"]

    # The technician opens the unit's second return: its earlier return and diagnosis are on the page.
    log_in(page, live_server, technician)
    page.goto(f"{live_server.url}/admin/rma/rma/{again.pk}/change/")
    history = page.locator(".rma-panel", has_text="Earlier returns of this unit")
    assert "repeat failure" in history.inner_text()
    assert world["first"].number in history.inner_text() and "FP-0100" in history.inner_text()
    snap(page, "01-rma-earlier-returns")

    # Recording the diagnosis: patterns are suggested from the customer's words first.
    page.get_by_role("link", name="Record diagnosis").click()
    panel = page.locator(".module", has_text="Likely failure patterns")
    assert "the customer's description" in panel.inner_text()
    page.get_by_label("Component").select_option(label="Battery")
    page.get_by_label("Symptoms").fill("batt dies in teh cold, 100% to 0 in 2 hrs outdoors")
    page.get_by_role("button", name="Suggest patterns").click()
    first_row = page.locator(".module", has_text="Likely failure patterns").locator("tbody tr").first
    assert "FP-0100" in first_row.inner_text()
    snap(page, "02-diagnosis-suggestions")
    first_row.get_by_role("button", name="Use FP-0100").click()
    assert page.locator("#id_pattern").input_value() == str(drain.pk)
    assert page.get_by_label("Symptoms").input_value().startswith("batt dies in teh cold")
    page.get_by_label("Outcome").select_option("confirmed")
    snap(page, "03-diagnosis-pattern-chosen")
    page.get_by_role("button", name="Record diagnosis", exact=True).last.click()
    page.wait_for_url(f"**/admin/rma/rma/{again.pk}/change/")
    assert Diagnosis.objects.filter(rma=again, pattern=drain).exists()
    assert "batt dies teh cold" in FailurePattern.objects.get(pk=drain.pk).symptom_corpus  # learnt, without filler

    # The engineer's patterns: counts per pattern, status badges.
    log_in(page, live_server, engineer)
    page.goto(f"{live_server.url}/admin/diagnostics/failurepattern/")
    row = page.locator("#result_list tr", has_text="FP-0100")
    assert "Investigating" in row.inner_text()
    snap(page, "04-pattern-list")

    # Root-causing the pattern from its page: the form asks for what the move needs.
    page.goto(f"{live_server.url}/admin/diagnostics/failurepattern/{drain.pk}/change/")
    snap(page, "05-pattern-page")
    page.get_by_role("link", name="Root cause found").click()
    page.get_by_label("Root cause").fill("The cell separator shrinks below 5 °C and raises the internal resistance.")
    page.get_by_label("Public summary").fill(
        "In cold weather a part inside the battery could stop it delivering power."
    )
    snap(page, "06-pattern-root-cause-form")
    page.get_by_role("button", name="Root cause found").click()
    page.wait_for_url(f"**/failurepattern/{drain.pk}/change/")
    assert FailurePattern.objects.get(pk=drain.pk).status == "root_caused"
    assert "root_cause" in page.locator(".inline-group", has_text="History").inner_text()
    snap(page, "07-pattern-root-caused-history")

    # The case queue, oldest first with its age; then closing a case on the pattern.
    page.goto(f"{live_server.url}/admin/diagnostics/rootcausecase/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert world["kept"][1].number in rows.first.inner_text() and "41 days" in rows.first.inner_text()
    snap(page, "08-case-queue")
    case = RootCauseCase.objects.get(rma=world["kept"][0])
    page.goto(f"{live_server.url}/admin/diagnostics/rootcausecase/{case.pk}/change/")
    snap(page, "09-case-page")
    page.get_by_role("link", name="Close with conclusion").click()
    page.get_by_label("Conclusion").fill("Separator shrinkage in the cold, as FP-0100.")
    snap(page, "10-case-close-form")
    page.get_by_role("button", name="Close with conclusion").click()
    page.wait_for_url(f"**/rootcausecase/{case.pk}/change/")
    assert RootCauseCase.objects.get(pk=case.pk).pattern == drain

    # An advisory for the affected lot, published from its page.
    page.goto(f"{live_server.url}/admin/diagnostics/advisory/add/?pattern={drain.pk}")
    page.get_by_label("Title").fill("Phones that switch off in the cold")
    page.get_by_label("Body").fill(
        "Some Aurora phones from lots PA2510 to PA2512 can switch off in freezing weather. "
        "If yours does, keep it warm and start a return: our technicians will check the battery."
    )
    page.get_by_label("Affected lots").fill("PA2510, PA2511, PA2512")
    page.get_by_role("button", name="Save", exact=True).click()
    advisory = advisories.Advisory.objects.get()
    page.goto(f"{live_server.url}/admin/diagnostics/advisory/{advisory.pk}/change/")
    page.get_by_role("link", name="Publish").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"**/advisory/{advisory.pk}/change/")
    snap(page, "11-advisory-published")

    # The customer whose unit is back sees the advisory on the status page.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/returns/track/{status_link_issue(rma=again)}/")
    notice = page.locator(".notice", has_text="Phones that switch off in the cold")
    assert notice.is_visible()
    snap(page, "12-status-page-advisory-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    snap(page, "13-status-page-advisory-desktop")
