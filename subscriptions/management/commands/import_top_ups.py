from pathlib import Path

from django.core.management.base import BaseCommand

from subscriptions.services.prepaid import top_ups_import


class Command(BaseCommand):
    help = "Import a CSV of Banka and Light payments (docs/top-up-csv.md); twice adds nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths: list[Path], **options):
        for path in paths:
            report = top_ups_import(name=path.name, content=path.read_bytes())
            self.stdout.write(
                f"{path.name}: {report.recorded} recorded, {report.already_recorded} already "
                f"there, {len(report.errors)} refused"
            )
            for error in report.errors:
                self.stderr.write(f"  row {error['row']}: {error['error']}")
