"""``manage.py import_failures PATH.csv [--strict]``: historical field failures from a CSV file (SPEC §8)."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ImportFileInvalid
from core.importing import open_csv, write_report
from diagnostics.imports import failures_import_csv


class Command(BaseCommand):
    help = (
        "Import historical field failures from a CSV file with the columns external_id, serial_number, "
        "reported_on, component, pattern_code, outcome and optionally notes. Each new external_id becomes "
        "a closed RMA with its diagnosis; rows imported before are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file (UTF-8, first line names the columns)")
        parser.add_argument(
            "--strict", action="store_true", help="import nothing if any row is bad, and exit with status 1"
        )

    def handle(self, *args, path: str, strict: bool, **options):
        try:
            with open_csv(path, progress_to=self.stderr) as file:
                result = failures_import_csv(file=file, strict=strict)
        except ImportFileInvalid as exc:
            raise CommandError(f"{path}: {exc}") from None

        write_report(
            self,
            path=path,
            rows=result.rows,
            counts=[("Created", result.created), ("Already imported", result.already_imported)],
            errors=result.errors,
            warnings=result.warnings,
            listed=[("New components", result.new_components), ("New patterns", result.new_patterns)],
            written=result.written,
        )
        if not result.written:
            raise CommandError(f"--strict: {len(result.errors)} bad row(s), so nothing was imported.")
