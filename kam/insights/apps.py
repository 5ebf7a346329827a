from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kam.insights"
    label = "insights"
    verbose_name = _("Value insights")

    def ready(self) -> None:
        # Tasks are defined (and checked against the configured task backend) at start-up,
        # not at the first "Score now".
        from kam.insights import tasks  # noqa: F401
