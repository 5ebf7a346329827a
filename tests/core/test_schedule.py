"""The worker's periodic jobs: which tasks, how often, queued once while one waits."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.test import override_settings

from kam.core import schedule
from kam.core.schedule import Periodic, periodic_jobs, queue_due, start_schedule


class FakeTask:
    def __init__(self, path: str, *, fails: bool = False) -> None:
        self.module_path = path
        self.queued = 0
        self.fails = fails
        self.event = threading.Event()

    def enqueue(self) -> None:
        if self.fails:
            raise RuntimeError("queue unavailable")
        self.queued += 1
        self.event.set()


@override_settings(KAM_SLA_CHECK_MINUTES=7, KAM_CLUB_ACCRUAL_MINUTES=90)
def test_the_worker_queues_sla_checks_club_points_surveys_and_reminders() -> None:
    jobs = {job.name: job for job in periodic_jobs()}

    assert {name: job.seconds() for name, job in jobs.items()} == {
        "SLA check": 420.0,
        "club points": 5400.0,
        "relationship surveys": 86400.0,
        "visit reminders": 86400.0,
        "plan reminders": 86400.0,
    }
    paths = {job.task.module_path for job in jobs.values()}
    assert paths == {
        "kam.service.tasks.check_slas",
        "kam.club.tasks.accrue_club_points",
        "kam.service.survey_tasks.issue_surveys",
        "kam.relations.tasks.remind_overdue_visits",
        "kam.plans.tasks.remind_overdue",
    }


def test_due_jobs_are_queued_and_their_next_time_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "waiting", lambda task: task.module_path == "busy")
    quick, slow, busy = FakeTask("quick"), FakeTask("slow"), FakeTask("busy")
    jobs = [Periodic(t.module_path, t, lambda: 1.0) for t in (quick, slow, busy)]
    due = [0.0, 500.0, 0.0]

    queue_due(jobs, due, 100.0, [60.0, 600.0, 30.0])

    assert (quick.queued, slow.queued, busy.queued) == (1, 0, 0)  # busy: one is waiting
    assert due == [160.0, 500.0, 130.0]
    queue_due(jobs, due, 161.0, [60.0, 600.0, 30.0])
    assert (quick.queued, slow.queued) == (2, 0)


def test_a_job_that_cannot_be_queued_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schedule, "waiting", lambda task: False)
    broken, fine = FakeTask("broken", fails=True), FakeTask("fine")
    jobs = [Periodic("broken", broken, lambda: 1.0), Periodic("fine", fine, lambda: 1.0)]
    due = [0.0, 0.0]

    queue_due(jobs, due, 10.0, [5.0, 5.0])

    assert fine.queued == 1
    assert due == [15.0, 15.0]  # the broken one is tried again at its next time


def test_the_schedule_queues_every_job_at_once_and_stops_when_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schedule, "waiting", lambda task: False)
    tasks = [FakeTask("a"), FakeTask("b")]
    stop = threading.Event()

    thread = start_schedule([Periodic(t.module_path, t, lambda: 3600.0) for t in tasks], stop=stop)

    assert all(t.event.wait(5) for t in tasks)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert [t.queued for t in tasks] == [1, 1]


@pytest.mark.django_db
def test_a_waiting_run_is_not_queued_twice(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    from kam.club.tasks import accrue_club_points

    assert schedule.enqueue_unless_waiting(accrue_club_points) is True
    assert schedule.enqueue_unless_waiting(accrue_club_points) is False
