from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "kam.plans"
    label = "plans"
    verbose_name = _("Account plans")

    def ready(self) -> None:
        from kam.plans import (
            notifications,  # noqa: F401  (registers the message codes)
            tasks,  # noqa: F401  (defined at start-up, like the other tasks)
        )
