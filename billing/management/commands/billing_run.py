from datetime import date

from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

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
        try:
            run = billing_run_start(period=Period.month(period))
        except OperationalError as error:
            # Issue 16: the run and its accounts are committed before their batches are
            # queued; the beat job resumes it (billing.tasks.redeliver_billing).
            raise CommandError(
                f"The task broker does not answer ({error}). The run of {period:%Y-%m} is "
                "saved: it resumes by itself once the broker is back, or run this command again."
            ) from error
        run.refresh_from_db()
        self.stdout.write(
            f"Billing {run}: {run.accounts_done}/{run.accounts_total} accounts, "
            f"{len(run.errors)} errors, {run.status}."
        )
