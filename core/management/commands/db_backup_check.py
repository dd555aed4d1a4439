"""``manage.py db_backup_check``: prove a backup restores to the same data (README "Production")."""

from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = (
        "Dump the database at one snapshot, restore the dump into a fresh database, and compare every table's "
        "row count and checksum with the snapshot. Exits with status 1 on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", action="store_true", help="keep the restored database (dropped by default)")
        parser.add_argument("--workdir", help="where the dump is written while checking (default: a temp folder)")

    def handle(self, *args, keep: bool, workdir: str | None, **options):
        try:
            report = backups.check(keep=keep, workdir=workdir)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        for table in report.tables:
            if not table.same:
                self.stdout.write(
                    self.style.ERROR(
                        f"{table.table}: {table.rows:,} rows ({table.checksum}) but the copy has "
                        f"{table.copy_rows:,} ({table.copy_checksum})"
                    )
                )
        summary = (
            f"{len(report.tables)} tables, {report.rows:,} rows, dump {report.dump_bytes:,} bytes, "
            f"{report.seconds:.1f} s"
        )
        if not report.ok:
            raise CommandError(f"The restored copy differs from the database ({summary}).")
        self.stdout.write(self.style.SUCCESS(f"The backup restores to the same data: {summary}."))
