from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "kam.risk"
    label = "risk"
    verbose_name = _("Risk")

    def ready(self) -> None:
        from kam.insights.risk import scoring_succeeded
        from kam.risk import tasks  # noqa: F401  (defined at start-up, like the scoring task)
        from kam.risk.services import after_scoring

        # Every successful scoring run is followed by a risk check as of its date.
        scoring_succeeded.connect(after_scoring, dispatch_uid="kam.risk.after_scoring")
