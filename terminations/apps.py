from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerminationsConfig(AppConfig):
    name = "terminations"
    verbose_name = _("Terminations and changes of conditions")

    def ready(self) -> None:
        # Registers the tasks that the services queue by name (lib.tasks.enqueue).
        from terminations import tasks  # noqa: F401
