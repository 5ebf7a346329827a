"""Risk pages (RISK-1, 2, 4, 5): the watch list with its filters and export, and the
"Check risks now" button with the run's status panel."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.services import visible_accounts
from kam.core.models import User
from kam.core.views import EXPORT_FORMATS, AuthedRequest, list_template, login_required, paginate
from kam.insights.models import RunStatus
from kam.risk.forms import WatchListFilterForm
from kam.risk.models import RiskRun
from kam.risk.services import (
    RiskRunInProgress,
    failed_run,
    latest_run,
    may_check_risks,
    queue_risk_run,
    run_in_progress,
    shown_warnings,
    watch_list,
    watch_list_bytes,
)


def owners_of(user: User) -> QuerySet[User]:
    accounts = visible_accounts(user)
    return User.objects.filter(pk__in=accounts.values("owner_id")).order_by("username")


@login_required
def watch_list_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = WatchListFilterForm(request.GET, owners=owners_of(user))
    run = latest_run()
    rows, sort = watch_list(user, run, **form.criteria())
    context = {
        "form": form,
        "run": run,
        "page": paginate(request, rows),
        "sort": sort,
        "warnings": shown_warnings(run) if run else [],
        "evaluation": run.churn_evaluation() if run else {},
        "failed_run": failed_run(),
        "active_run": run_in_progress(),
        "may_run": may_check_risks(user),
    }
    template = list_template(request, "risk/watch_list.html", "risk/_results.html")
    return render(request, template, context)


@login_required
def watch_list_export(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = WatchListFilterForm(request.GET, owners=owners_of(user))
    rows, _sort = watch_list(user, latest_run(), **form.criteria())
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(watch_list_bytes(rows, fmt), content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="watch-list-{stamp}.{fmt}"'
    return response


@login_required
@require_POST
def start_run(request: AuthedRequest) -> HttpResponse:
    if not may_check_risks(request.user):
        raise PermissionDenied
    try:
        run = queue_risk_run(actor=request.user)
    except RiskRunInProgress as busy:
        messages.warning(request, in_progress_message(busy.run))
    else:
        report_run(request, run)
    return redirect("risk:watch_list")


def in_progress_message(run: RiskRun) -> str:
    if run.status == RunStatus.RUNNING:
        return _("A risk check is already running; wait for it to finish.")
    return _("A risk check is already queued; wait for it to finish.")


def report_run(request: AuthedRequest, run: RiskRun) -> None:
    """Say how the run just started went: queued, or (immediate backend) finished."""
    if run.status == RunStatus.SUCCEEDED:
        messages.success(
            request,
            _("Checked %(count)s accounts; %(at_risk)s are at risk.")
            % {"count": run.account_count, "at_risk": run.at_risk_count},
        )
    elif run.status == RunStatus.FAILED:
        messages.error(request, _("The risk check failed: %(error)s") % {"error": run.error})
    else:
        messages.info(request, _("Risk check queued. Its status shows below."))


@login_required
def run_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The run's status panel, which the watch list polls (htmx) while the run is under way."""
    run = get_object_or_404(RiskRun, pk=pk)
    context = {"run": run, "may_run": may_check_risks(request.user)}
    return render(request, "risk/_run_status.html", context)
