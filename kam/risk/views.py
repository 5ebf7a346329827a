"""Risk pages (RISK-1, 2, 4, 5): the watch list with its filters and export, and the
"Check risks now" button with the run's status panel."""

from __future__ import annotations

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kam.accounts.services import visible_accounts
from kam.core.models import User
from kam.core.run_views import RunTexts, report_start, status_panel
from kam.core.runs import run_in_progress
from kam.core.views import EXPORT_FORMATS, AuthedRequest, list_template, login_required, paginate
from kam.risk.forms import WatchListFilterForm
from kam.risk.models import RiskRun
from kam.risk.services import (
    failed_run,
    latest_run,
    may_check_risks,
    queue_risk_run,
    shown_warnings,
    watch_list,
    watch_list_bytes,
)

RUN_TEXTS = RunTexts(
    running=gettext_lazy("A risk check is already running; wait for it to finish."),
    queued=gettext_lazy("A risk check is already queued; wait for it to finish."),
    failed=gettext_lazy("The risk check failed: %(error)s"),
    started=gettext_lazy("Risk check queued. Its status shows below."),
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
        "active_run": run_in_progress(RiskRun),
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
    queue = partial(queue_risk_run, actor=request.user)
    report_start(request, queue, RUN_TEXTS, checked_text)
    return redirect("risk:watch_list")


def checked_text(run: RiskRun) -> str:
    return _("Checked %(count)s accounts; %(at_risk)s are at risk.") % {
        "count": run.account_count,
        "at_risk": run.at_risk_count,
    }


@login_required
def run_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The run's status panel, which the watch list polls (htmx) while the run is under way."""
    may_run = may_check_risks(request.user)
    return status_panel(request, RiskRun, pk, "risk/_run_status.html", may_run=may_run)
