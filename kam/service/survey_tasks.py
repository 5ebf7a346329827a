"""Background work of the satisfaction surveys (django-tasks; `kam worker` runs it).

`issue_surveys` asks the periodic relationship surveys that are due (see
kam.service.surveys.issue_relationship_surveys): idempotent, so queuing it daily (or
more often) asks each account once per its tier's interval. `kam worker` queues it once
a day (kam.core.schedule).
"""

from __future__ import annotations

from django_tasks import task


@task()
def issue_surveys() -> dict[str, int]:
    """Ask every relationship survey due now; what was done, in figures."""
    from kam.service.surveys import issue_relationship_surveys

    return issue_relationship_surveys().as_dict()


def enqueue_survey_issuing() -> bool:
    """Queue one run unless one is waiting; whether it was queued."""
    from kam.core.schedule import enqueue_unless_waiting

    return enqueue_unless_waiting(issue_surveys)
