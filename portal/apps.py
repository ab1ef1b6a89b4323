from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portail client"

    def ready(self) -> None:
        from lib import bulk  # noqa: F401  (registers the `in_ids` lookup)
        from lib.fork import forget_connections_at_fork
        from portal import checks  # noqa: F401  (registers the start-up checks)

        forget_connections_at_fork()
