from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kam.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        self.connect_tier_change_notices()
        self.connect_tickets()

    @staticmethod
    def connect_tickets() -> None:
        # Tickets: their notification messages and background task, and open tickets
        # taking new targets when their account's tier or their tier's policy changes.
        from django.db.models.signals import post_save

        from kam.insights.models import TierChange
        from kam.insights.risk import scoring_succeeded
        from kam.service import notifications, tasks, tickets  # noqa: F401
        from kam.service.signals import policy_changed

        post_save.connect(
            tickets.on_tier_change, sender=TierChange, dispatch_uid="kam.service.ticket_targets"
        )
        scoring_succeeded.connect(
            tickets.after_scoring, dispatch_uid="kam.service.ticket_targets_after_scoring"
        )
        policy_changed.connect(
            tickets.on_policy_change, dispatch_uid="kam.service.ticket_targets_policy"
        )

    @staticmethod
    def connect_tier_change_notices() -> None:
        # A tier change is told to the account's owner: one by one when set by hand,
        # grouped per owner after a scoring run (kam/service/notices.py).
        from django.db.models.signals import post_save

        from kam.insights.models import TierChange
        from kam.insights.risk import scoring_succeeded
        from kam.service import notices

        post_save.connect(
            notices.on_tier_change_saved, sender=TierChange, dispatch_uid="kam.service.tier_notice"
        )
        scoring_succeeded.connect(
            notices.on_scoring_succeeded, dispatch_uid="kam.service.tier_run_notice"
        )
