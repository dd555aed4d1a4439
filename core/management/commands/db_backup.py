"""``manage.py db_backup PATH``: a custom-format ``pg_dump`` of the database (README "Production")."""

from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = "Dump the PostgreSQL database to PATH (pg_dump --format=custom); restore it with db_restore."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the dump file to write (replaced whole once the dump is complete)")

    def handle(self, *args, path: str, **options):
        try:
            size = backups.dump(path)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Dumped the database to {path} ({size:,} bytes)."))
