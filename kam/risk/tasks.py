"""Background tasks of the risk checks (django-tasks; `kam worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from kam.core.runs import task_outcome
from kam.risk.services import execute_queued_run


class RiskRunFailed(Exception):
    """The run failed and says why; raised so that the task result says failed too."""


@task()
def check_queued_risks(run_id: int) -> str:
    """Check the risks of a run queued by queue_risk_run; the answer is its final status."""
    return task_outcome(execute_queued_run(run_id), RiskRunFailed)
