"""Periodic background work: what `kam worker` queues by itself, and how often.

Each `Periodic` job is a django-tasks task queued every so many seconds by one daemon
thread of the worker process (`start_schedule`); the worker then runs it like any other
task, so none of this work ever waits for, or slows down, a page. A job is not queued
while the previous one is still waiting or running (`enqueue_unless_waiting`), so a slow
run never piles up copies of itself. Every job is idempotent: running it twice, or after
a restart, does no harm.

| job | default interval | setting |
| --- | --- | --- |
| SLA check of the open tickets (escalations) | 5 minutes | KAM_SLA_CHECK_MINUTES |
| club points for new purchases | 60 minutes | KAM_CLUB_ACCRUAL_MINUTES |
| periodic relationship surveys due | 24 hours | |
| reminders of overdue visits | 24 hours | |
| reminders of overdue plan reviews and actions | 24 hours | |
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Periodic:
    """A task the worker queues every `seconds()` seconds (read when the schedule starts)."""

    name: str
    task: Any  # a django_tasks Task
    seconds: Callable[[], float]


def waiting(task: Any) -> bool:
    """Whether a run of `task` is queued or running already."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).exists()


def enqueue_unless_waiting(task: Any) -> bool:
    """Queue one run of `task` unless one is waiting; whether it was queued."""
    if waiting(task):
        return False
    task.enqueue()
    return True


def periodic_jobs() -> list[Periodic]:
    """The application's periodic jobs (see the table above)."""
    from kam.club.tasks import accrue_club_points
    from kam.plans.tasks import remind_overdue
    from kam.relations.tasks import remind_overdue_visits
    from kam.service.survey_tasks import issue_surveys
    from kam.service.tasks import check_slas

    return [
        Periodic("SLA check", check_slas, lambda: 60.0 * settings.KAM_SLA_CHECK_MINUTES),
        Periodic(
            "club points", accrue_club_points, lambda: 60.0 * settings.KAM_CLUB_ACCRUAL_MINUTES
        ),
        Periodic("relationship surveys", issue_surveys, lambda: DAY_SECONDS),
        Periodic("visit reminders", remind_overdue_visits, lambda: DAY_SECONDS),
        Periodic("plan reminders", remind_overdue, lambda: DAY_SECONDS),
    ]


def queue_due(
    jobs: Sequence[Periodic], due: list[float], now: float, intervals: Sequence[float]
) -> None:
    """Queue every job whose time has come and set its next time."""
    for index, job in enumerate(jobs):
        if due[index] > now:
            continue
        due[index] = now + intervals[index]
        try:
            enqueue_unless_waiting(job.task)
        except Exception:
            log.exception("could not queue the periodic job %r", job.name)


def start_schedule(
    jobs: Sequence[Periodic] | None = None, *, stop: threading.Event | None = None
) -> threading.Thread:
    """Queue every job now and then at its interval, from one daemon thread of the worker
    process, until `stop` is set (or the process ends)."""
    chosen = list(periodic_jobs() if jobs is None else jobs)
    intervals = [max(1.0, job.seconds()) for job in chosen]
    stopped = stop or threading.Event()

    def loop() -> None:
        due = [0.0] * len(chosen)
        while not stopped.is_set():
            try:
                close_old_connections()
                queue_due(chosen, due, time.monotonic(), intervals)
            finally:
                connection.close()
            wait = min(due, default=time.monotonic() + 60.0) - time.monotonic()
            stopped.wait(max(0.5, wait))

    thread = threading.Thread(target=loop, name="kam-schedule", daemon=True)
    thread.start()
    return thread
