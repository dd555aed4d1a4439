"""``manage.py seed_demo [--once] [--devices N] [--seed N]``: a demo fleet and demo accounts (SPEC §8)."""

from django.core.management.base import BaseCommand, CommandError

from core.progress import Progress
from demo.data import ACCOUNTS, DEMO_PASSWORD, MIN_DEVICES
from demo.seed import DemoBuilder, demo_exists, demo_seed


class Command(BaseCommand):
    help = (
        "Fill an empty database with a realistic demo fleet: product models, weekly lots, devices, customers, "
        "failure patterns, field-failure history with an emerging fault, returns in every status, and a staff "
        "account for each role. Prints the accounts at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="do nothing if the demo data is already there")
        parser.add_argument("--devices", type=int, default=4000, help="about how many devices to build (default 4000)")
        parser.add_argument("--seed", type=int, default=2025, help="seed of the random choices (default 2025)")

    def handle(self, *args, once: bool, devices: int, seed: int, **options):
        if devices < MIN_DEVICES:
            raise CommandError(f"--devices must be at least {MIN_DEVICES}.")
        if demo_exists():
            if not once:
                raise CommandError("The demo data is already there. Use --once to skip seeding, or an empty database.")
            self.stdout.write("The demo data is already there; nothing to do.")
        else:
            with Progress(
                self.stderr, total=len(DemoBuilder.STEPS), label="Seeding the demo", unit="steps"
            ) as progress:
                summary = demo_seed(devices=devices, seed=seed, on_step=progress.step)
            self.stdout.write(
                f"Seeded {summary.product_models} product models, {summary.devices:,} devices, "
                f"{summary.customers:,} customers, {summary.components} components, {summary.patterns} failure "
                f"patterns and {summary.failures:,} historical field failures."
            )
            live = {status: n for status, n in sorted(summary.rmas_by_status.items())}
            self.stdout.write("Returns by status: " + ", ".join(f"{status} {n:,}" for status, n in live.items()))
            self.stdout.write(f"Emerging fault: mainboard failures in lot {summary.emerging_lot} (FP-0004).")
            for number in summary.goodwill_granted:
                self.stdout.write(f"Goodwill granted: {number}.")
            for number, reason in summary.goodwill_suggested:
                self.stdout.write(f"Goodwill suggested, waiting for a supervisor: {number} ({reason})")
            self.stdout.write(
                f"Root-cause cases open: {summary.cases_open}. Customers thanked for the unit that helped: "
                + (", ".join(summary.thanked) or "none")
                + "."
            )
            self.stdout.write(
                "Fault signals raised by the detection scan: " + ("; ".join(summary.signals) or "none") + "."
            )
            if summary.advisory:
                shown = ", ".join(summary.advisory_returns) or "no open return yet"
                self.stdout.write(f"Advisory published: “{summary.advisory}” (on the status page of {shown}).")
            if summary.programme:
                self.stdout.write(
                    f"Service programme active: {summary.programme}; {summary.programme_owners_notified} owners "
                    f"e-mailed; covered return being repaired: {', '.join(summary.programme_returns) or 'none'}; "
                    f"reimbursements waiting for a supervisor: {', '.join(summary.reimbursements_waiting) or 'none'}."
                )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {DEMO_PASSWORD}), at /admin/:"))
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<12} {account.what}")
