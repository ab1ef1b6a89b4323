from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API for the operator's systems")

    def ready(self) -> None:
        # The key scheme in the OpenAPI document; the tasks the beat names.
        from api import openapi, tasks  # noqa: F401
