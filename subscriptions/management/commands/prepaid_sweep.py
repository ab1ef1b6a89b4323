from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from subscriptions.services.prepaid import prepaid_sweep


class Command(BaseCommand):
    help = "Move prepaid lines to grace, preservation or termination (R2.7 to R2.9, R17.3)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, today: date | None = None, **options):
        result = prepaid_sweep(today=today or timezone.localdate())
        self.stdout.write(
            f"grace: {result.grace}, preservation: {result.preservation}, "
            f"terminated: {result.terminated}"
        )
