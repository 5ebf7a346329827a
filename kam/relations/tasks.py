"""Background tasks of relationship management (django-tasks; `kam worker` runs them).

The daily reminder of overdue visits is `kam relations remind` (cron it once a day), or
this task enqueued by a scheduler; both are idempotent.
"""

from __future__ import annotations

from django_tasks import task


@task()
def remind_overdue_visits() -> int:
    """Tell owners about newly overdue visits; the answer is how many were told."""
    from kam.relations.services import remind_overdue_visits as remind

    return remind()
