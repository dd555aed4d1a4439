"""Signal families, magnitude and drill-down (SPEC §7): one fault, one row, its size, its units."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from scipy.stats import nbinom

from diagnostics import fault_signals
from diagnostics.detection import families, scan
from diagnostics.detection.families import FamilyCell
from diagnostics.detection.statistics import mixture_log_lr, projected_excess
from diagnostics.models import Diagnosis, FaultSignal
from diagnostics.selectors import signal_failures
from rma.models import Customer, Device
from tests.factories import FailurePatternFactory

pytestmark = pytest.mark.django_db


def key(kind, where=None, model="PHN-1", component="battery"):
    return (kind, model, where if kind == "lot" else None, where if kind == "firmware" else None, component)


# Grouping, pure -----------------------------------------------------------------------------------------


def test_a_lot_leads_the_firmware_and_model_cells_that_count_its_failures():
    lot = FamilyCell(key("lot", "L7"), observed=29, expected=2.0, units=160)
    firmware = FamilyCell(key("firmware", "3.6"), observed=31, expected=1.2, units=480)
    model = FamilyCell(key("model"), observed=30, expected=1.4, units=1200)
    leaders = families.leaders([lot, firmware, model], {("PHN-1", "L7"): "3.6"})
    assert leaders == {lot.key: lot.key, firmware.key: lot.key, model.key: lot.key}


def test_a_firmware_fault_seen_in_several_lots_is_led_by_the_firmware():
    lots = [FamilyCell(key("lot", f"L{i}"), observed=14, expected=2.0, units=500) for i in range(3)]
    firmware = FamilyCell(key("firmware", "2.0"), observed=45, expected=6.5, units=1600)
    leaders = families.leaders([*lots, firmware], {("PHN-1", f"L{i}"): "2.0" for i in range(4)})
    assert {leaders[lot.key] for lot in lots} == {firmware.key}
    assert leaders[firmware.key] == firmware.key


def test_cells_with_their_own_excess_stay_apart():
    lot = FamilyCell(key("lot", "L1"), observed=8, expected=1.0, units=150)
    model = FamilyCell(key("model"), observed=60, expected=20.0, units=9000)  # a fault of its own
    other_component = FamilyCell(key("lot", "L1", component="display"), observed=7, expected=1.0, units=150)
    other_firmware = FamilyCell(key("firmware", "9.9"), observed=9, expected=1.0, units=900)  # L1 is not on it
    leaders = families.leaders([lot, model, other_component, other_firmware], {("PHN-1", "L1"): "1.0"})
    assert all(leaders[cell.key] == cell.key for cell in (lot, model, other_component, other_firmware))
    assert families.cell_key_text(lot.key) == "lot:PHN-1:L1:battery"
    assert families.cell_key_text(model.key) == "model:PHN-1:battery"


# Magnitude, pure ----------------------------------------------------------------------------------------


def test_projected_excess_of_a_hand_computed_cell():
    # 12 failures against 3 expected so far, 6 more expected from the cell's units before their warranties end
    projection = projected_excess(12, 3.0, 6.0)
    # the ratio's posterior: Gamma(12 + ½ + 1, 3 + 1), mean 3.375 (the raw 4 shrunk towards 1)
    assert projection.excess == pytest.approx((13.5 / 4 - 1) * 6)  # 14.25
    # the predictive count: Poisson over the remaining exposure, mixed over the ratio's posterior
    low, high = nbinom.ppf([0.1, 0.9], 13.5, 4.0 / 10.0)
    assert (projection.low, projection.high) == (low - 6.0, high - 6.0)
    assert projection.low < projection.excess < projection.high
    assert projected_excess(5, 2.0, 0.0) == projected_excess(5, 0.0, 4.0)  # nothing to come, or no baseline


def test_the_projection_interval_covers_about_80_percent_of_cells_that_alarm():
    # cells whose fault keeps its ratio, taken when their test crosses a lot cell's usual threshold
    # (the selection that makes a raw ratio overstate the fault; the prior corrects for it)
    rng = np.random.default_rng(4)
    inside = runs = 0
    while runs < 1500:
        ratio, expected, remaining = rng.uniform(2, 6), rng.uniform(0.5, 4), rng.uniform(2, 30)
        observed = rng.poisson(ratio * expected)
        if observed < 3 or mixture_log_lr(observed, expected) < 3.0:
            continue
        truth = rng.poisson(ratio * remaining) - remaining
        projection = projected_excess(observed, expected, remaining)
        inside += projection.low <= truth <= projection.high
        runs += 1
    assert 0.72 <= inside / runs <= 0.88


# On the demo fleet: the emerging lot's family ---------------------------------------------------------


@pytest.fixture
def demo(roles):
    call_command("seed_demo", "--devices", "1000", stdout=StringIO())
    out = StringIO()
    call_command("detect_faults", "--json", stdout=out)
    return json.loads(out.getvalue())


def emerging() -> FaultSignal:
    return FaultSignal.objects.get(cell="lot", product_model__sku="PHN-B2", component__code="mainboard")


def test_the_emerging_lot_leads_its_firmware_and_model_cells(demo, engineer):
    leader = emerging()
    members = {signal.cell: signal for signal in FaultSignal.objects.filter(family=leader)}
    assert set(members) == {"firmware", "model"}
    assert leader.family_id is None
    rows = {row["cell_key"]: row for row in demo}
    for signal in [leader, *members.values()]:
        assert rows[signal.cell_key]["family"] == leader.cell_key == "lot:PHN-B2:" + leader.lot + ":mainboard"
    # magnitude keys, the lot's units and owners
    row = rows[leader.cell_key]
    assert row["affected_units"] == leader.units_in_service == Device.objects.filter(lot=leader.lot).count()
    owners = Customer.objects.filter(devices__lot=leader.lot).distinct().count()
    assert row["affected_customers"] == owners > 0
    assert row["excess_to_date"] == pytest.approx(leader.observed - leader.expected, abs=0.06)
    assert row["projected_excess_low"] <= row["projected_excess"] <= row["projected_excess_high"]
    assert row["projected_excess"] > 0

    # the drill-down: the confirmed failures it counts, each with its return and unit
    behind = list(signal_failures(leader))
    assert len(behind) == leader.observed
    assert {d.rma.device.lot for d in behind} == {leader.lot}
    assert all(d.outcome == Diagnosis.Outcome.CONFIRMED and d.component.code == "mainboard" for d in behind)

    # one move for the family: linking the leader links them all
    pattern = FailurePatternFactory(code="FP-0901", component=leader.component)
    fault_signals.fault_signal_link(signal=leader, pattern=pattern, actor=engineer, note="The PMIC batch.")
    for signal in FaultSignal.objects.filter(pk__in=[leader.pk, *(m.pk for m in members.values())]):
        assert signal.status == FaultSignal.Status.LINKED and signal.pattern_id == pattern.pk
    assert "With its family's leader" in FaultSignal.objects.get(pk=members["model"].pk).note

    # a later scan keeps the family together, the model and firmware cells now without the lot's units
    scan.detect_faults()
    assert set(FaultSignal.objects.filter(family=leader).values_list("cell", flat=True)) == {"firmware", "model"}


def test_dismissing_the_leader_dismisses_the_family_and_the_admin_shows_one_row(demo, engineer, client):
    leader = emerging()
    client.force_login(engineer)
    listing = client.get(reverse("admin:diagnostics_faultsignal_changelist")).content.decode()
    assert listing.count(f"PHN-B2 · lot {leader.lot} · mainboard") == 1
    assert 'class="rma-family"' in listing and "PHN-B2 · firmware" in listing
    every = client.get(reverse("admin:diagnostics_faultsignal_changelist"), {"family": "all"}).content.decode()
    assert every.count("result_list") and every.count("<tr") > listing.count("<tr")

    page = client.get(reverse("admin:diagnostics_faultsignal_change", args=[leader.pk])).content.decode()
    assert "Magnitude" in page and "customers" in page and "This signal leads" in page
    failures = client.get(reverse("admin:diagnostics_faultsignal_failures", args=[leader.pk])).content.decode()
    assert failures.count("/admin/rma/rma/") >= leader.observed

    response = client.post(
        reverse("admin:diagnostics_faultsignal_act", args=[leader.pk, "dismiss"]), {"reason": "A test batch."}
    )
    assert response.status_code == 302
    assert set(FaultSignal.objects.filter(pk=leader.pk).values_list("status", flat=True)) == {"dismissed"}
    assert set(FaultSignal.objects.filter(family=leader).values_list("status", flat=True)) == {"dismissed"}
