"""``manage.py import_devices PATH.csv [--strict]``: the installed base from a CSV file (SPEC §8)."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ImportFileInvalid
from core.importing import open_csv, write_report
from rma.services import devices_import_csv


class Command(BaseCommand):
    help = (
        "Import devices from a CSV file with the columns serial_number, model_sku, lot, manufactured_on, "
        "shipped_on, firmware_version and optionally model_name, warranty_months, customer_email. "
        "Devices are matched by serial number: new ones are created, changed ones updated."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file (UTF-8, first line names the columns)")
        parser.add_argument(
            "--strict", action="store_true", help="import nothing if any row is bad, and exit with status 1"
        )

    def handle(self, *args, path: str, strict: bool, **options):
        try:
            with open_csv(path, progress_to=self.stderr) as file:
                result = devices_import_csv(file=file, strict=strict)
        except ImportFileInvalid as exc:
            raise CommandError(f"{path}: {exc}") from None

        write_report(
            self,
            path=path,
            rows=result.rows,
            counts=[("Created", result.created), ("Updated", result.updated), ("Unchanged", result.unchanged)],
            errors=result.errors,
            warnings=result.warnings,
            listed=[("New product models", result.new_models)],
            extra=[("New customers", result.new_customers)],
            written=result.written,
        )
        if not result.written:
            raise CommandError(f"--strict: {len(result.errors)} bad row(s), so nothing was imported.")
