from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portail client"

    def ready(self) -> None:
        from portal import checks  # noqa: F401  (registers the start-up checks)
