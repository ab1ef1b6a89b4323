from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EinvoicingConfig(AppConfig):
    name = "einvoicing"
    verbose_name = _("Electronic invoices (TTN)")

    def ready(self) -> None:
        from einvoicing import receivers  # noqa: F401  (connects the receivers to billing's signals)
