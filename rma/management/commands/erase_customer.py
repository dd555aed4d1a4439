"""``manage.py erase_customer EMAIL [--dry-run]``: erase a customer's personal data (see ``rma.services.erasure``)."""

from django.core.management.base import BaseCommand, CommandError

from rma.models import Customer, Source
from rma.normalise import normalise_email
from rma.services import customer_erase
from rma.services.erasure import ERASED_DOMAIN


class Command(BaseCommand):
    help = (
        "Erase a customer's personal data (name, e-mail, phone, organisation, what they wrote, their e-mails in "
        "the outbox, every mention elsewhere) while keeping the anonymised failure records: devices, returns' "
        "technical data, diagnoses, root-cause cases."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the customer's e-mail address")
        parser.add_argument("--dry-run", action="store_true", help="say what would be erased, change nothing")

    def handle(self, *args, email: str, dry_run: bool, **options):
        address = normalise_email(email)
        if address.endswith(f"@{ERASED_DOMAIN}"):
            raise CommandError(f"{email}: this customer was erased already.")
        customer = Customer.objects.filter(email=address).first()
        if customer is None:
            raise CommandError(f"No customer with the e-mail address {email!r}.")
        report = customer_erase(customer=customer, actor=None, source=Source.ADMIN, dry_run=dry_run)
        verb = "Would erase" if dry_run else "Erased"
        self.stdout.write(f"{verb} customer {report.customer_id} ({address}):")
        self.stdout.write(f"  returns anonymised:        {report.returns}")
        self.stdout.write(f"  e-mails in the outbox:     {report.outbox_messages}")
        self.stdout.write(f"  status links removed:      {report.status_links}")
        self.stdout.write(f"  devices without an owner:  {report.devices_unlinked}")
        if not dry_run:
            self.stdout.write(f"  unsent e-mails cancelled:  {report.unsent_cancelled}")
            for where, rows in sorted(report.mentions.items()):
                if rows:
                    self.stdout.write(f"  mentions removed in {where}: {rows}")
            self.stdout.write(self.style.SUCCESS(f"Done. The customer record is now {report.customer_id} (anonymous)."))
