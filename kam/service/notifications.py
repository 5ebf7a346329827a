"""The notifications the tickets send (registered once, at start-up, from ServiceConfig).

The clock's name is part of the code, so the whole sentence reads in the recipient's
language; the figures (number, account, subject, due moment) are stored as they were.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.notifications.messages import register

register(
    "service.response_at_risk",
    _(
        "Ticket %(number)s of %(account)s (%(subject)s) is at risk of missing its "
        "first-response target, due %(due)s."
    ),
)
register(
    "service.response_breached",
    _(
        "Ticket %(number)s of %(account)s (%(subject)s) has missed its first-response "
        "target (due %(due)s) and still has no response."
    ),
)
register(
    "service.response_escalated",
    _(
        "Escalated to the directors: ticket %(number)s of %(account)s (%(subject)s) is "
        "overdue for a first response by more than half its target (due %(due)s)."
    ),
)
register(
    "service.resolution_at_risk",
    _(
        "Ticket %(number)s of %(account)s (%(subject)s) is at risk of missing its "
        "resolution target, due %(due)s."
    ),
)
register(
    "service.resolution_breached",
    _(
        "Ticket %(number)s of %(account)s (%(subject)s) has missed its resolution target "
        "(due %(due)s) and is still open."
    ),
)
register(
    "service.resolution_escalated",
    _(
        "Escalated to the directors: ticket %(number)s of %(account)s (%(subject)s) is "
        "overdue for resolution by more than half its target (due %(due)s)."
    ),
)
register(
    "service.ticket_handed_over",
    _("%(by)s handed ticket %(number)s of %(account)s (%(subject)s) over to you: %(note)s"),
)

# Satisfaction surveys (SVC-3, kam.service.surveys).
register(
    "service.survey_low_score",
    _(
        "Low satisfaction at %(account)s: %(contact)s answered %(scores)s. A follow-up call "
        "is planned for you on %(due)s. %(comment)s"
    ),
)
register(
    "service.surveys_issued",
    _(
        "Relationship surveys went out for %(accounts)s of your accounts: %(emailed)s by "
        "email, %(by_phone)s to ask by phone (no email) — record those answers yourself."
    ),
)
