from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing.invoicing import Period
from billing.services import billing_run_start


def month(value: str) -> date:
    try:
        year, number = value.split("-")
        return date(int(year), int(number), 1)
    except ValueError as error:
        raise CommandError(f"--period takes a month as YYYY-MM, not {value!r}") from error


class Command(BaseCommand):
    help = "Bill a calendar month: one invoice per postpaid account, never two (safe to rerun)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, type=month, help="YYYY-MM")

    def handle(self, *args, period: date, **options):
        run = billing_run_start(period=Period.month(period))
        run.refresh_from_db()
        self.stdout.write(
            f"Billing {run}: {run.accounts_done}/{run.accounts_total} accounts, "
            f"{len(run.errors)} errors, {run.status}."
        )
