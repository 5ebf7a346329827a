"""The messages account plans send (see kam.notifications.messages)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.notifications.messages import register

register(
    "plans.review_overdue",
    _("The review of the %(year)s account plan for %(account)s was due on %(due)s."),
)
register(
    "plans.action_overdue",
    _("The action “%(action)s” of the account plan for %(account)s was due on %(due)s."),
)
