from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassesConfig(AppConfig):
    name = "passes"
    verbose_name = _("Passes and partner interruptions")

    def ready(self) -> None:
        # Subscriptions signals a pass taken without importing this app (subscriptions.signals).
        # Registers the tasks that the services queue by name (lib.tasks.enqueue).
        from passes import receivers, tasks  # noqa: F401
