"""Background work of the tickets (django-tasks; `kam worker` runs it).

`check_slas` escalates tickets at risk or in breach (kam.service.escalation). The worker
queues it every KAM_SLA_CHECK_MINUTES (kam.core.schedule, started by `kam worker`), so
escalations never wait for, or slow down, a page.
"""

from __future__ import annotations

from django_tasks import task


@task()
def check_slas() -> dict[str, int]:
    """Escalate every open ticket whose clocks call for it; what was done, in figures."""
    from kam.service.escalation import check_slas as run_check

    return run_check().as_dict()


def enqueue_sla_check() -> bool:
    """Queue one check unless one is waiting; whether it was queued."""
    from kam.core.schedule import enqueue_unless_waiting

    return enqueue_unless_waiting(check_slas)
