from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        # Registers the tasks that the services queue by name (lib.tasks.enqueue).
        from privacy import tasks  # noqa: F401
