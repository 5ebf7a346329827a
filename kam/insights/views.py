"""Value pages (VAL-3, VAL-4, VAL-6): the portfolio dashboard, the RFM grid, the scoring
settings, and the account page's forms (tier override, ratings)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kam.accounts.services import get_account_for_user
from kam.core.run_views import RunTexts, report_start, status_panel
from kam.core.runs import run_in_progress
from kam.core.views import AuthedRequest, form_data, login_required, require_write
from kam.insights.forms import OverrideForm, RatingForm, SettingsForm
from kam.insights.models import ScoringRun, ScoringSettings
from kam.insights.services import (
    clear_tier_override,
    failed_run,
    is_director,
    portfolio_summary,
    queue_scoring_run,
    rfm_grid,
    rfm_segment_totals,
    save_ratings,
    save_scoring_settings,
    set_tier_override,
)

CHART_WIDTH = 400
CHART_HEIGHT = 240

RUN_TEXTS = RunTexts(
    running=gettext_lazy("A scoring run is already running; wait for it to finish."),
    queued=gettext_lazy("A scoring run is already queued; wait for it to finish."),
    failed=gettext_lazy("Scoring failed: %(error)s"),
    started=gettext_lazy("Scoring run queued. Its status shows below."),
)


def curve_points(curve: list[list[float]]) -> str:
    """The Pareto curve as SVG polyline points in a CHART_WIDTH x CHART_HEIGHT box."""
    points = [(0.0, 0.0), *((x, y) for x, y in curve)]
    return " ".join(
        f"{x * CHART_WIDTH:.1f},{CHART_HEIGHT - y * CHART_HEIGHT:.1f}" for x, y in points
    )


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    summary = portfolio_summary(request.user)
    largest = max((row.revenue for row in summary.tiers), default=0.0)
    context = {
        "summary": summary,
        "tier_bars": [
            (row, round(100 * row.revenue / largest) if largest > 0 else 0) for row in summary.tiers
        ],
        "points": curve_points(summary.curve),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "x80": 0.2 * CHART_WIDTH,
        "y80": CHART_HEIGHT - 0.8 * CHART_HEIGHT,
        "failed_run": failed_run(),
        "active_run": run_in_progress(ScoringRun),
        "may_run": is_director(request.user),
        "may_configure": is_director(request.user),
    }
    return render(request, "insights/dashboard.html", context)


@login_required
def rfm_page(request: AuthedRequest) -> HttpResponse:
    run, grid = rfm_grid(request.user)
    return render(
        request,
        "insights/rfm.html",
        {"run": run, "grid": grid, "segments": rfm_segment_totals(request.user, run)},
    )


@login_required
@require_POST
def start_run(request: AuthedRequest) -> HttpResponse:
    if not is_director(request.user):
        raise PermissionDenied
    queue = partial(queue_scoring_run, actor=request.user)
    report_start(request, queue, RUN_TEXTS, scored_text)
    return redirect("insights:dashboard")


def scored_text(run: ScoringRun) -> str:
    return _("Scored %(count)s accounts; %(changes)s tier changes.") % {
        "count": run.account_count,
        "changes": run.change_count,
    }


@login_required
def run_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The run's status panel, which the dashboard polls (htmx) while the run is under way."""
    may_run = is_director(request.user)
    return status_panel(request, ScoringRun, pk, "insights/_run_status.html", may_run=may_run)


@login_required
def settings_page(request: AuthedRequest) -> HttpResponse:
    if not is_director(request.user):
        raise PermissionDenied
    settings = ScoringSettings.load()
    form = SettingsForm(form_data(request), initial=SettingsForm.initial_from(settings))
    if form.is_bound and form.is_valid():
        try:
            save_scoring_settings(actor=request.user, values=form.values())
        except ValidationError as problem:
            for errors in problem.message_dict.values():
                form.add_error(None, errors)
        else:
            messages.success(request, _("Scoring settings saved. They apply from the next run."))
            return redirect("insights:settings")
    return render(request, "insights/settings.html", {"form": form, "settings": settings})


@login_required
@require_POST
def override(request: AuthedRequest, pk: int) -> HttpResponse:
    require_write(request)
    account = get_account_for_user(request.user, pk, for_write=True)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a tier and say why."))
    else:
        try:
            set_tier_override(
                actor=request.user,
                account=account,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as problem:
            messages.error(request, " ".join(problem.messages))
        else:
            messages.success(request, _("Tier set by hand."))
    return redirect(f"{account.get_absolute_url()}#value")


@login_required
@require_POST
def clear_override(request: AuthedRequest, pk: int) -> HttpResponse:
    require_write(request)
    account = get_account_for_user(request.user, pk, for_write=True)
    clear_tier_override(actor=request.user, account=account)
    messages.success(request, _("The computed tier applies again."))
    return redirect(f"{account.get_absolute_url()}#value")


@login_required
@require_POST
def ratings(request: AuthedRequest, pk: int) -> HttpResponse:
    require_write(request)
    account = get_account_for_user(request.user, pk, for_write=True)
    form = RatingForm(request.POST)
    if form.is_valid():
        save_ratings(actor=request.user, account=account, values=form.values())
        messages.success(request, _("Ratings saved. They count from the next scoring run."))
    else:
        messages.error(request, _("Rate from 1 to 5, or leave it empty."))
    return redirect(f"{account.get_absolute_url()}#value")
