from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassesConfig(AppConfig):
    name = "passes"
    verbose_name = _("Passes and partner interruptions")

    def ready(self) -> None:
        from passes import receivers  # noqa: F401  (connects the receivers to subscriptions' signals)
