"""The detection scan on the database, ``detect_faults``, and engineers' work on fault signals (SPEC §7)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from diagnostics import fault_signals
from diagnostics.detection import scan
from diagnostics.imports import failures_import
from diagnostics.models import Diagnosis, FaultSignal, PatternEvent
from diagnostics.tasks import detect_faults_task
from rma.models import RMA
from tests.diagnostics.detection_fleet import FAULTY_LOT, build_fleet, import_fleet
from tests.factories import ComponentFactory, FailurePatternFactory

pytestmark = pytest.mark.django_db

JSON_KEYS = {
    "model_sku",
    "lot",
    "firmware",
    "component",
    "first_detected_on",
    "observed",
    "expected",
    "units_in_service",
    "rate_ratio",
    "statistic",
    "threshold",
}


@pytest.fixture
def fleet(db, today):
    rows = build_fleet(today)
    import_fleet(rows)
    return rows


def run(*args: str) -> str:
    out = StringIO()
    call_command("detect_faults", *args, stdout=out)
    return out.getvalue()


def lot_signal() -> FaultSignal:
    return FaultSignal.objects.get(cell="lot", lot=FAULTY_LOT, component__code="battery")


def test_the_scan_raises_the_faulty_lot_once_and_updates_it(fleet, today):
    report = scan.detect_faults()
    lots = {(s.lot, s.component.code) for s in report.raised if s.cell == "lot"}
    assert lots == {(FAULTY_LOT, "battery")}
    signal = lot_signal()
    assert signal.first_detected_on == today == signal.evidence_as_of
    assert signal.status == FaultSignal.Status.OPEN
    assert signal.firmware_version is None and signal.units_in_service == 150
    assert signal.observed > 3 * signal.expected
    assert signal.rate_ratio == pytest.approx(signal.observed / signal.expected, rel=1e-3)
    assert signal.statistic >= signal.threshold
    # only confirmed failures count: the lot's no-fault-found returns are not among the observed
    confirmed = Diagnosis.objects.filter(
        rma__device__lot=FAULTY_LOT, component__code="battery", outcome="confirmed"
    ).count()
    assert Diagnosis.objects.filter(rma__device__lot=FAULTY_LOT, outcome="no_fault_found").exists()
    assert signal.observed <= confirmed

    # again: nothing new, the figures refreshed
    count = FaultSignal.objects.count()
    again = scan.detect_faults()
    assert again.raised == [] and again.updated == count
    assert FaultSignal.objects.count() == count


def test_json_output_and_as_of_leakage(fleet, today):
    as_of = today - dt.timedelta(days=60)
    before = json.loads(run("--as-of", as_of.isoformat(), "--json", "--dry-run"))
    assert FaultSignal.objects.count() == 0  # a dry run stores nothing
    for row in before:
        assert set(row) >= JSON_KEYS
        assert row["first_detected_on"] == as_of.isoformat()

    # failures reported after the as-of date, and a diagnosis made after it for a return reported before it,
    # never influence that scan
    serials = [d["serial_number"] for d in fleet["devices"] if d["lot"] == "L02"][:40]
    late = [
        {
            "external_id": f"LATE-{serial}",
            "serial_number": serial,
            "reported_on": (as_of + dt.timedelta(days=1 + i % 30)).isoformat(),
            "component": "display",
            "pattern_code": "",
            "outcome": "confirmed",
        }
        for i, serial in enumerate(serials)
    ]
    assert failures_import(rows=late, strict=True).written
    rediagnosed = RMA.objects.filter(reported_on__lte=as_of, diagnoses__outcome="no_fault_found").first()
    assert rediagnosed is not None
    Diagnosis.objects.create(
        rma=rediagnosed,
        component=Diagnosis.objects.filter(rma=rediagnosed).first().component,
        outcome="confirmed",
        created_at=scan.known_cutoff(as_of) + dt.timedelta(hours=1),
    )
    after = json.loads(run("--as-of", as_of.isoformat(), "--json", "--dry-run"))
    assert after == before
    # today they count
    now = scan.detect_faults(write=False).result
    display = [c for c in now.cells if c.kind == "lot" and c.lot == "L02" and c.component == "display"]
    assert display and display[0].observed >= 40


def test_backtest_reports_each_signal_once_with_the_week_it_fired(fleet, today):
    start = today - dt.timedelta(days=7 * 33)  # the faulty lot's build week
    rows = json.loads(run("--backtest", start.isoformat(), today.isoformat(), "--json"))
    keys = [(r["model_sku"], r["lot"], r["firmware"], r["component"]) for r in rows]
    assert len(keys) == len(set(keys))
    faulty = [r for r in rows if r["lot"] == FAULTY_LOT and r["component"] == "battery"]
    assert len(faulty) == 1
    fired = dt.date.fromisoformat(faulty[0]["first_detected_on"])
    assert start < fired <= today and (fired - start).days % 7 == 0
    assert FaultSignal.objects.count() == 0  # a replay stores nothing
    # the week it fired is the first week a scan as of that day raises it
    day_before = json.loads(run("--as-of", (fired - dt.timedelta(days=7)).isoformat(), "--json", "--dry-run"))
    assert not [r for r in day_before if r["lot"] == FAULTY_LOT and r["component"] == "battery"]
    text = run("--backtest", start.isoformat(), today.isoformat())
    assert f"lot {FAULTY_LOT} · battery" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "2024-13-01"), "is not a date"),
        (("--backtest", "2025-02-01", "2025-01-01"), "is after"),
        (("--as-of", "2999-01-01"), "in the future"),
        (("--budget", "0"), "positive"),
    ],
)
def test_bad_arguments_are_refused_clearly(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_nightly_task_scans(fleet):
    assert detect_faults_task.delay().get() >= 1
    assert lot_signal()


# Engineers' work on signals ------------------------------------------------------------------------------------


@pytest.fixture
def signal(fleet):
    scan.detect_faults()
    return lot_signal()


def test_engineers_acknowledge_link_and_dismiss(signal, engineer):
    signal = fault_signals.fault_signal_acknowledge(signal=signal, actor=engineer, note="Pulling units.")
    assert signal.status == "acknowledged" and signal.status_changed_by == engineer and signal.note == "Pulling units."
    with pytest.raises(TransitionRefused):
        fault_signals.fault_signal_acknowledge(signal=signal, actor=engineer)
    pattern = FailurePatternFactory(component=signal.component)
    signal = fault_signals.fault_signal_link(signal=signal, pattern=pattern, actor=engineer)
    assert signal.status == "linked" and signal.pattern == pattern
    assert PatternEvent.objects.filter(pattern=pattern, action="fault_signal_linked").count() == 1
    with pytest.raises(InvalidInput, match="Say why"):
        fault_signals.fault_signal_dismiss(signal=signal, actor=engineer, reason=" ")
    signal = fault_signals.fault_signal_dismiss(signal=signal, actor=engineer, reason="Test units, not field units.")
    assert signal.status == "dismissed" and signal.pattern is None
    # a dismissed cell is not raised again, and its figures keep being updated
    report = scan.detect_faults()
    assert all(s.lot != FAULTY_LOT for s in report.raised)
    assert FaultSignal.objects.filter(cell="lot", lot=FAULTY_LOT, component=signal.component).count() == 1


def test_a_pattern_of_another_component_cannot_be_linked(signal, engineer):
    other = FailurePatternFactory(component=ComponentFactory(code="radio"))
    with pytest.raises(InvalidInput, match="another component"):
        fault_signals.fault_signal_link(signal=signal, pattern=other, actor=engineer)
    signal.refresh_from_db()
    assert signal.status == "open"


@pytest.mark.parametrize("who", ["technician", "supervisor"])
def test_only_engineers_handle_signals(signal, request, who):
    user = request.getfixturevalue(who)
    assert user.has_perm("diagnostics.view_faultsignal")
    with pytest.raises(ActionNotPermitted):
        fault_signals.fault_signal_acknowledge(signal=signal, actor=user)
    with pytest.raises(ActionNotPermitted):
        fault_signals.fault_signal_dismiss(signal=signal, actor=None, reason="no")


def test_admin_shows_signals_and_their_buttons(signal, engineer, technician, client):
    client.force_login(engineer)
    listing = client.get(reverse("admin:diagnostics_faultsignal_changelist"))
    assert listing.status_code == 200 and f"lot {FAULTY_LOT}" in listing.content.decode()
    page = client.get(reverse("admin:diagnostics_faultsignal_change", args=[signal.pk]))
    assert page.status_code == 200
    for label in ("Acknowledge", "Link to a pattern", "Dismiss"):
        assert label in page.content.decode()
    pattern = FailurePatternFactory(component=signal.component)
    url = reverse("admin:diagnostics_faultsignal_act", args=[signal.pk, "link"])
    assert pattern.code in client.get(url).content.decode()
    response = client.post(url, {"pattern": pattern.pk, "note": "Same swelling."})
    assert response.status_code == 302
    signal.refresh_from_db()
    assert signal.status == "linked" and signal.pattern == pattern

    client.force_login(technician)
    page = client.get(reverse("admin:diagnostics_faultsignal_change", args=[signal.pk]))
    assert page.status_code == 200 and "Dismiss" not in page.content.decode()
    assert client.post(reverse("admin:diagnostics_faultsignal_act", args=[signal.pk, "dismiss"])).status_code == 403
