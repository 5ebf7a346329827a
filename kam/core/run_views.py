"""Starting and showing background runs on the web pages and in the API (kam.core.runs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import capfirst
from django_stubs_ext import StrOrPromise
from ninja.errors import HttpError

from kam.core.runs import BackgroundRun, RunBusy, RunStatus, label

R = TypeVar("R", bound=BackgroundRun)


@dataclass(frozen=True)
class RunTexts:
    """What a page says about a run it starts (gettext_lazy texts of the app)."""

    running: StrOrPromise  # another run is running
    queued: StrOrPromise  # another run is queued
    failed: StrOrPromise  # this run failed: '%(error)s'
    started: StrOrPromise  # this run is queued


def report_start(
    request: HttpRequest,
    queue: Callable[[], R],
    texts: RunTexts,
    succeeded: Callable[[R], str],
) -> None:
    """Queue a run and say how that went: refused while another is under way, queued, or
    (immediate backend) finished."""
    try:
        run = queue()
    except RunBusy as busy:
        messages.warning(request, busy_text(busy.run, texts))
        return
    if run.status == RunStatus.SUCCEEDED:
        messages.success(request, succeeded(run))
    elif run.status == RunStatus.FAILED:
        messages.error(request, str(texts.failed) % {"error": run.error})
    else:
        messages.info(request, str(texts.started))


def busy_text(run: BackgroundRun, texts: RunTexts) -> str:
    return str(texts.running if run.status == RunStatus.RUNNING else texts.queued)


def status_panel(
    request: HttpRequest, model: type[BackgroundRun], pk: int, template: str, *, may_run: bool
) -> HttpResponse:
    """The run's status panel, which its page polls (htmx) while the run is under way."""
    run = get_object_or_404(model, pk=pk)
    return render(request, template, {"run": run, "may_run": may_run})


def queue_or_conflict(queue: Callable[[], R], path: str) -> R:
    """Queue a run for the API; 409 while another is under way (`path`: the runs' URL)."""
    try:
        return queue()
    except RunBusy as busy:
        raise HttpError(409, busy_message(busy.run, path)) from None


def busy_message(run: BackgroundRun, path: str) -> str:
    """In English, as the API's errors are."""
    return (
        f"{capfirst(label(run))} {run.pk} is {run.status}; wait until it has finished "
        f"(GET /api/{path}/{run.pk})."
    )


def run_or_404(model: type[R], run_id: int) -> R:
    run = model._default_manager.filter(pk=run_id).first()
    if run is None:
        raise Http404(f"No such {label(model)}")
    return run
