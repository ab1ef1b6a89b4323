from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EinvoicingConfig(AppConfig):
    name = "einvoicing"
    verbose_name = _("Electronic invoices (TTN)")

    def ready(self) -> None:
        # Billing signals issued invoices without importing this app (billing.signals).
        # Registers the tasks that the services queue by name (lib.tasks.enqueue).
        from einvoicing import receivers, tasks  # noqa: F401
