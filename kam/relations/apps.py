from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "kam.relations"
    label = "relations"
    verbose_name = _("Relationships")

    def ready(self) -> None:
        from kam.relations import notifications, tasks  # noqa: F401  (registered at start-up)
