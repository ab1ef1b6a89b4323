from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API for the operator's systems")

    def ready(self) -> None:
        from api import openapi  # noqa: F401 (registers the key scheme in the OpenAPI document)
