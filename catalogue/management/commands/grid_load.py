from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from catalogue.grid_file import grid_load

DEMO_GRID = Path(settings.BASE_DIR) / "catalogue" / "data" / "demo_grid.toml"


class Command(BaseCommand):
    help = "Load a tariff grid from a TOML file (the demo grid by default); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=DEMO_GRID)

    def handle(self, *args, path: Path, **options):
        report = grid_load(path)
        self.stdout.write(
            f"Grid {path.name}: {report.total_created} rows created, "
            f"{sum(report.updated.values())} updated."
        )
