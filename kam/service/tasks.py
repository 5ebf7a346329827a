"""Background work of the tickets (django-tasks; `kam worker` runs it).

`check_slas` escalates tickets at risk or in breach (kam.service.escalation). The worker
queues it every KAM_SLA_CHECK_MINUTES (`schedule_sla_checks`, started by `kam worker`),
so escalations never wait for, or slow down, a page.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks import task

log = logging.getLogger(__name__)


@task()
def check_slas() -> dict[str, int]:
    """Escalate every open ticket whose clocks call for it; what was done, in figures."""
    from kam.service.escalation import check_slas as run_check

    return run_check().as_dict()


def sla_check_waiting() -> bool:
    """Whether a check is queued or running already (then another would add nothing)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=check_slas.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).exists()


def enqueue_sla_check() -> bool:
    """Queue one check unless one is waiting; whether it was queued."""
    if sla_check_waiting():
        return False
    check_slas.enqueue()
    return True


def schedule_sla_checks(minutes: int | None = None) -> threading.Thread:
    """Queue an SLA check now and every `minutes` (KAM_SLA_CHECK_MINUTES) from a daemon
    thread of the worker process; the worker runs them like any other task."""
    every = 60 * (minutes or settings.KAM_SLA_CHECK_MINUTES)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                enqueue_sla_check()
            except Exception:
                log.exception("could not queue the SLA check")
            finally:
                connection.close()
            stop.wait(every)

    thread = threading.Thread(target=loop, name="sla-schedule", daemon=True)
    thread.start()
    return thread
