"""The notification messages of relationship management."""

from django.utils.translation import gettext_lazy as _

from kam.notifications.messages import register

VISIT_OVERDUE = "relations.visit_overdue"
NEVER_VISITED = "relations.never_visited"

register(
    VISIT_OVERDUE,
    _("A visit to %(account)s was due on %(due)s (every %(interval)s days); it is overdue."),
)
register(
    NEVER_VISITED,
    _("%(account)s has never been visited; its tier asks for a visit every %(interval)s days."),
)
