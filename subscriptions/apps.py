from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Customers, contracts and lines")

    def ready(self) -> None:
        # Billing signals payments without importing this app (billing.signals).
        from subscriptions import receivers  # noqa: F401
