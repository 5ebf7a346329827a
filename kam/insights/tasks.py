"""Background tasks of the value engine (django-tasks; `kam worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from kam.core.runs import task_outcome
from kam.insights.services import execute_queued_run


class ScoringRunFailed(Exception):
    """The run failed and says why; raised so that the task result says failed too."""


@task()
def score_queued_run(run_id: int) -> str:
    """Score a run queued by queue_scoring_run; the answer is the run's final status."""
    return task_outcome(execute_queued_run(run_id), ScoringRunFailed)
