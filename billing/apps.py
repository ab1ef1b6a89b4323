from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Registers the tasks that the services queue by name (lib.tasks.enqueue).
        from billing import tasks  # noqa: F401
