"""Background tasks of the value engine (django-tasks; `kam worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from kam.insights.models import RunStatus
from kam.insights.services import execute_queued_run


class ScoringRunFailed(Exception):
    """The run failed and says why; raised so that the task result says failed too."""


@task()
def score_queued_run(run_id: int) -> str:
    """Score a run queued by queue_scoring_run; the answer is the run's final status."""
    run = execute_queued_run(run_id)
    if run is None:
        return "skipped"
    if run.status == RunStatus.FAILED:
        raise ScoringRunFailed(f"scoring run {run.pk} failed: {run.error}")
    return str(run.status)
