"""``manage.py db_restore PATH DATABASE``: a dump restored into a new database (README "Production")."""

from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = (
        "Restore a db_backup dump into a NEW database on the same server (it must not exist yet); "
        "then point DATABASE_URL at it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a dump written by db_backup")
        parser.add_argument("database", help="the name of the database to create and restore into")

    def handle(self, *args, path: str, database: str, **options):
        try:
            backups.restore(path, database)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Restored {path} into the new database {database}."))
