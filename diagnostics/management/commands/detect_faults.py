"""``manage.py detect_faults [--as-of DATE] [--backtest FROM TO] [--json]``: the recurring-fault scan (SPEC §7)."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.progress import Progress
from diagnostics.detection import scan
from diagnostics.models import FaultSignal


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Scan confirmed failures against the installed base and raise or update fault signals. "
        "--as-of DATE sees only what was known on that date; --backtest FROM TO replays the scan weekly "
        "(writing nothing) and lists each signal once with the week it first fired."
    )

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--as-of", metavar="DATE", help="scan as known on this date (default: today)")
        when.add_argument("--backtest", nargs=2, metavar=("FROM", "TO"), help="replay the scan weekly, writing nothing")
        parser.add_argument("--json", action="store_true", help="print the signals as a JSON list")
        parser.add_argument("--dry-run", action="store_true", help="scan, but store nothing")
        parser.add_argument(
            "--budget", type=float, metavar="N", help="false alarms a year over all cells (default from settings)"
        )

    def handle(self, *args, as_of, backtest, json: bool, dry_run: bool, budget: float | None, **options):
        today = timezone.localdate()
        if budget is not None and budget <= 0:
            raise CommandError("--budget must be a positive number of false alarms a year.")
        settings = scan.settings_from_config(budget_per_year=budget)
        if backtest:
            start, end = _date(backtest[0]), _date(backtest[1])
            if start > end:
                raise CommandError(f"--backtest: FROM ({start}) is after TO ({end}).")
            if end > today:
                raise CommandError(f"--backtest: TO ({end}) is in the future.")
            weeks = (end - start).days // 7 + 1
            with Progress(self.stderr, total=weeks, label="Backtest", unit="weeks") as progress:
                rows = scan.backtest(
                    start=start, end=end, settings=settings, on_week=lambda day: progress.step(f"as of {day}")
                )
            self._print(rows, as_json=json, heading=f"Backtest {start} to {end}, weekly: {len(rows)} signal(s)")
            return
        day = _date(as_of) if as_of else today
        if day > today:
            raise CommandError(f"--as-of {day} is in the future.")
        report = scan.detect_faults(as_of=day, settings=settings, write=not dry_run)
        if dry_run:
            signals = report.raised
        else:
            keys = {cell.key for cell in report.result.cells}
            signals = [
                signal
                for signal in FaultSignal.objects.select_related(
                    "product_model", "component", "family__product_model", "family__component"
                ).order_by("first_detected_on", "id")
                if scan.signal_key(signal) in keys
            ]
        limits = report.result.thresholds
        heading = (
            f"Scan as of {day}: {report.cells} cells, {len(report.raised)} new signal(s), {report.updated} updated"
            + (" (dry run: nothing stored)" if dry_run else "")
            + (
                f"; thresholds (log LR) lot {limits.lot:.1f}, firmware {limits.firmware:.1f}, model {limits.model:.1f}"
                if limits
                else ""
            )
        )
        self._print([scan.signal_figures(signal) for signal in signals], as_json=json, heading=heading)

    def _print(self, rows: list[dict], *, as_json: bool, heading: str) -> None:
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        self.stdout.write(heading)
        for row in rows:
            where = " · ".join(
                part
                for part in (
                    row["model_sku"],
                    f"lot {row['lot']}" if row["lot"] is not None else "",
                    f"firmware {row['firmware']}" if row["firmware"] is not None else "",
                    row["component"],
                )
                if part
            )
            self.stdout.write(
                f"  {row['first_detected_on']}  {where}: {row['observed']} failures vs {row['expected']:.1f} expected "
                f"(×{row['rate_ratio']:.1f}, {row['units_in_service']:,} units), statistic {row['statistic']:.1f} "
                f"≥ {row['threshold']:.1f}"
            )
