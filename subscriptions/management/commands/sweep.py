from django.core.management.base import BaseCommand
from django.utils import timezone

from subscriptions.services.sweeps import SWEEPS


class Command(BaseCommand):
    help = "Run a suspension sweep now, as its beat job does (safe to run twice or at once)."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(SWEEPS))

    def handle(self, *args, name: str, **options) -> None:
        counts = SWEEPS[name](now=timezone.now())
        self.stdout.write(", ".join(f"{step}: {count}" for step, count in counts.items()))
