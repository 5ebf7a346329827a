"""Background runs: what scoring runs (kam.insights) and risk runs (kam.risk) share.

A run is created queued (or running, from the command line), claimed by the task worker,
and ends succeeded or failed; one run of a kind is under way at a time. The lock that
makes it one at a time is the apps' own (the scoring settings row), so it stays there.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_tasks.base import Task

    from kam.core.models import User

log = logging.getLogger(__name__)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


#: A run with one of these statuses blocks the next run of its kind.
IN_PROGRESS = (RunStatus.QUEUED, RunStatus.RUNNING)


class BackgroundRun(models.Model):
    """One run over the whole book as of a date, as the task worker runs it."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    as_of = models.DateField(_("as of"))
    actor = models.ForeignKey(
        "core.User", verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL
    )
    warnings = models.JSONField(_("warnings"), default=list)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of} {self.status}"

    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


R = TypeVar("R", bound=BackgroundRun)


def label(run: BackgroundRun | type[BackgroundRun]) -> str:
    """The kind of run as logs and errors name it, untranslated: 'scoring run'."""
    return str(run._meta.verbose_name_raw)


class RunBusy(Exception):
    """Another run of the kind is queued or running: runs of a kind go one at a time."""

    def __init__(self, run: BackgroundRun) -> None:
        self.run = run
        super().__init__(f"{label(run)} {run.pk} is already {run.status}")


def run_in_progress(model: type[R]) -> R | None:
    """The latest run of `model` that is queued or running, if any."""
    return model._default_manager.filter(status__in=IN_PROGRESS).order_by("-pk").first()


def refuse_while_busy(model: type[BackgroundRun], busy: type[RunBusy]) -> None:
    """Raise `busy` when a run of `model` is under way."""
    found = run_in_progress(model)
    if found is not None:
        raise busy(found)


def make_run(
    model: type[R], *, actor: User | None, as_of: dt.date | None, status: str, **fields: Any
) -> R:
    """An unsaved run: as of today unless told, by nobody when `actor` is no saved user."""
    return model(
        actor=actor if actor is not None and actor.pk else None,
        status=status,
        as_of=as_of or timezone.localdate(),
        **fields,
    )


def enqueue_or_fail(
    task: Task[[int], Any], run: R, fail: Callable[[R, BaseException], None]
) -> None:
    """Hand the run to the task backend. A run the backend refuses fails at once instead
    of staying queued for ever."""
    try:
        task.enqueue(run.pk)
    except Exception as exc:
        log.exception("%s %s could not be queued", label(run), run.pk)
        run.refresh_from_db()
        fail(run, exc)


def claim_queued(
    model: type[R], run_id: int, *, prepare: Callable[[R], None] | None = None
) -> R | None:
    """Mark the queued run running (`prepare` it first) and return it. None when it is no
    longer queued (it has run already, or someone failed it by hand)."""
    with transaction.atomic():
        queued = model._default_manager.select_for_update().filter(status=RunStatus.QUEUED)
        run = queued.filter(pk=run_id).first()
        if run is None:
            log.warning("%s %s is not queued; nothing to do", label(model), run_id)
            return None
        if prepare is not None:
            prepare(run)
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()  # until now: when it was queued
        run.save()
    return run


def guarded(run: R, work: Callable[[], object], fail: Callable[[R, BaseException], None]) -> R:
    """Do the run's work; a failure is recorded on the run with `fail`. So is an
    interruption (Ctrl+C, a worker stopped at once), which then goes on being raised."""
    try:
        work()
    except Exception as exc:  # a failed run is a result to show, not a crash
        log.exception("%s %s failed", label(run), run.pk)
        fail(run, exc)
    except BaseException as exc:  # a run left 'running' would block every later run
        fail(run, exc)
        raise
    return run


def save_failure(run: BackgroundRun, exc: BaseException) -> None:
    """Save the run as failed with `exc` as its error (the caller clears its results)."""
    run.status = RunStatus.FAILED
    run.warnings = []
    run.error = failure_text(exc)
    run.finished_at = timezone.now()
    run.save()


def failure_text(exc: BaseException) -> str:
    if isinstance(exc, Exception):
        return f"{type(exc).__name__}: {exc}"
    return f"interrupted before it finished ({type(exc).__name__})"


def task_outcome(run: BackgroundRun | None, failed: type[Exception]) -> str:
    """A task's answer: the run's final status, or 'skipped' without a run. A failed run
    raises `failed`, so that the task result says failed too."""
    if run is None:
        return "skipped"
    if run.status == RunStatus.FAILED:
        raise failed(f"{label(run)} {run.pk} failed: {run.error}")
    return str(run.status)
