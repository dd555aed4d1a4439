"""A realistic demo fleet for ``manage.py seed_demo`` (SPEC §8).

The fleet: five product models built in weekly lots over two years; customers owning most shipped
units; about ten failure patterns at every stage of their life; a history of closed field failures,
with one lot of Breeze phones failing on the mainboard far more often than the rest (an emerging
fault for detection to find); and RMAs in every status, including a goodwill replacement granted
and an out-of-warranty unit that a supervisor can grant goodwill on now. ``demo.builder`` builds the
fleet and its history; this module adds the live returns and the closed loop on top.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from demo.builder import DemoSummary, FleetBuilder, weighted
from demo.data import MODELS, MODELS_BY_SKU, P
from diagnostics import programmes
from diagnostics import services as diagnostics_services
from diagnostics.models import Diagnosis, FailurePattern, Programme, RootCauseCase
from diagnostics.selectors import goodwill_suggestion
from rma import services as rma_services
from rma.models import RMA, ProductModel, Source

S = RMA.Status


def demo_exists() -> bool:
    return ProductModel.objects.filter(sku=MODELS[0].sku).exists()


@transaction.atomic
def demo_seed(*, devices: int = 4000, seed: int = 2025, on_step: Callable[[str], None] | None = None) -> DemoSummary:
    """Build the demo fleet in an empty database (see the module docstring); ``on_step(name)`` after each step."""
    return DemoBuilder(devices=devices, seed=seed).build(on_step=on_step)


class DemoBuilder(FleetBuilder):
    """The fleet, its history, returns in every status and the closed loop, in that order."""

    STEPS = ("reference data", "fleet", "history", "detection", "returns", "closed loop")

    def build(self, on_step: Callable[[str], None] | None = None) -> DemoSummary:
        for step, run in zip(
            self.STEPS,
            (self.reference_data, self.fleet, self.history, self.detection, self.returns, self.closed_loop),
            strict=True,
        ):
            run()
            if on_step is not None:
                on_step(step)
        self.summary.rmas_by_status = dict(Counter(RMA.objects.values_list("status", flat=True)))
        return self.summary

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
        # A service programme for the swelling batteries, for the lots they came from, and its advisory:
        # the free battery the advisory promises is the programme's, so the policy honours it.
        swollen = FailurePattern.objects.get(code="FP-0001")
        lots = sorted(set(Diagnosis.objects.filter(pattern=swollen).values_list("rma__device__lot", flat=True)) - {""})
        programme = self.battery_programme(swollen, lots)
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
            programme=programme,
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

    def battery_programme(self, pattern: FailurePattern, lots: list[str]) -> Programme:
        """SP-0001: active, its owners e-mailed, a covered return being repaired, a reimbursement to approve."""
        built = [
            day
            for day in Diagnosis.objects.filter(pattern=pattern, rma__device__lot__in=lots).values_list(
                "rma__device__manufactured_on", flat=True
            )
            if day is not None
        ]
        programme = programmes.programme_create(
            actor=self.engineer,
            code="SP-0001",
            title="Battery replacement programme for Aurora and Breeze phones",
            summary=(
                "A batch of batteries in some Aurora and Breeze phones can swell after about a year of use: the "
                "back cover lifts at the lower edge and the phone runs hot while charging."
            ),
            pattern=pattern,
            product_models=list(pattern.affected_models.all()),
            # the supplier batch went into the phones built over these weeks
            built_from=min(built),
            built_to=max(built),
            remedy=Programme.Remedy.REPAIR,
            coverage_years=3,
        )
        # Activation finds the repair a customer paid for (the accepted quote) and proposes paying it back.
        programme = programmes.programme_activate(programme=programme, **self.staff(self.engineer))
        programmes.programme_owner_emails_queue(programme_id=programme.pk)
        # A customer whose unit is out of warranty writes in: the diagnosis confirms the fault, the programme
        # covers it, and the free repair starts.
        device = self.pick(
            Q(
                product_model__sku__in=["PHN-A1", "PHN-B2"],
                manufactured_on__range=(programme.built_from, programme.built_to),
                warranty_ends_on__lt=self.today,
                shipped_on__gt=self.today - dt.timedelta(days=3 * 365 - 30),
            )
        )
        rma = self.open(device, "battery")
        rma = self.to_diagnosis(rma, "battery", "confirmed", pattern="FP-0001", findings="Swollen cell; FP-0001.")
        rma = rma_services.rma_repair(rma=rma, **self.staff())
        self.summary.programme_returns = [rma.number]
        programme.refresh_from_db()
        self.summary.programme = f"{programme.code} {programme.title}"
        self.summary.programme_owners_notified = programme.owners_notified
        self.summary.reimbursements_waiting = [
            reimbursement.rma.number
            for reimbursement in programme.reimbursements.filter(status="proposed").select_related("rma")
        ]
        return programme
