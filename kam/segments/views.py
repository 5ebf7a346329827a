"""Segment pages (SEG-1, SEG-5): the list with member counts, the segment with its
definition in words, members and strategies, the segment editor with its condition
editor, and the strategy editor."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user
from kam.core.models import User
from kam.core.views import (
    AuthedRequest,
    export_response,
    form_data,
    list_template,
    login_required,
    paginate,
)
from kam.dataio.records import RecordInvalid
from kam.insights.models import Tier
from kam.insights.services import with_value_results
from kam.segments.conditions import describe, match_words
from kam.segments.forms import ConditionEditor, SegmentForm, StrategyForm
from kam.segments.models import Match, Segment, Strategy, StrategyStatus
from kam.segments.services import (
    SegmentStats,
    active_first,
    clean_segment,
    clean_strategy,
    delete_segment,
    get_segment_for_user,
    get_strategy_for_user,
    may_change_segment,
    may_create_segments,
    member_revenue,
    require_segment_writer,
    save_segment,
    save_strategy,
    seed_builtin_segments,
    segment_history,
    segment_members,
    segment_stats,
    segment_values,
    strategies_for_account,
    strategy_values,
    visible_segments,
)

HISTORY_ROWS = 20


@login_required
def segment_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    active = Strategy.objects.filter(status=StrategyStatus.ACTIVE)
    segments: list[Segment] = list(
        visible_segments(user)
        .select_related("owner")
        .prefetch_related(Prefetch("strategies", queryset=active, to_attr="active_strategies"))
    )
    stats = segment_stats(user, segments)
    rows = [
        (segment, stats[segment.pk], next(iter(segment.active_strategies), None))  # type: ignore[attr-defined]
        for segment in segments
    ]
    context = {
        "rows": rows,
        "may_create": may_create_segments(user),
        "may_seed": may_create_segments(user),
    }
    return render(request, "segments/list.html", context)


def label_tiers(accounts: Iterable[Account]) -> None:
    labels = dict(Tier.choices)
    for account in accounts:
        tier = getattr(account, "effective_tier", None) or ""
        account.effective_tier_label = labels.get(tier, tier)  # type: ignore[attr-defined]


@login_required
def segment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    segment = get_segment_for_user(user, pk)
    members = with_value_results(segment_members(segment, user))
    page = paginate(
        request,
        members.select_related("owner", "region").prefetch_related("tags").order_by("name", "pk"),
    )
    label_tiers(page.object_list)
    context = {
        "segment": segment,
        "page": page,
        "stats": SegmentStats(page.paginator.count, member_revenue(user, [segment])[segment.pk]),
        "conditions": describe(segment.definition),
        "match_words": match_words(segment.definition),
        "strategies": active_first(segment.strategies.select_related("owner")),
        "history": segment_history(segment)[:HISTORY_ROWS],
        "may_change": may_change_segment(user, segment),
    }
    template = list_template(request, "segments/detail.html", "segments/_members.html")
    return render(request, template, context)


@login_required
def segment_export(request: AuthedRequest, pk: int) -> HttpResponse:
    segment = get_segment_for_user(request.user, pk)
    rows = segment_members(segment, request.user)
    return export_response("accounts", rows, request.GET.get("format", "csv"), f"segment-{pk}")


@login_required
def segment_create(request: AuthedRequest) -> HttpResponse:
    require_segment_writer(request.user)
    return segment_editor(request, None)


@login_required
def segment_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    segment = get_segment_for_user(request.user, pk, for_write=True)
    return segment_editor(request, segment)


def segment_editor(request: AuthedRequest, segment: Segment | None) -> HttpResponse:
    """The segment form; its add/remove/switch buttons post here too (action=…)."""
    user = request.user
    here = request.get_full_path()
    base = segment_values(segment) if segment is not None else {"owner": user.username}
    definition = segment.definition if segment is not None else {}
    initial = {**base, "match": definition.get("match", Match.ALL)}
    current_owner = segment.owner if segment is not None else None
    data = form_data(request)
    form = SegmentForm(data, actor=user, current_owner=current_owner, initial=initial)
    if data is None:
        editor = ConditionEditor.from_definition(definition, here)
        return render_editor(request, form, editor, segment)
    action = data.get("action") or "save"
    editor = ConditionEditor.from_post(data, "" if action == "save" else action, here)
    if action != "save":
        if request.htmx:
            return render(request, "segments/_condition_editor.html", {"editor": editor})
        form = SegmentForm(None, actor=user, current_owner=current_owner, initial=data.dict())
        return render_editor(request, form, editor, segment)
    match = data.get("match") if data.get("match") in Match.values else Match.ALL
    values = {**form.values(), "definition": editor.definition(str(match))}
    try:
        cleaned = clean_segment(values, actor=user, segment=segment)
    except RecordInvalid as problem:
        form.show_problems(RecordInvalid([p for p in problem.problems if not is_def(p)]))
        editor.show_problems(RecordInvalid([p for p in problem.problems if is_def(p)]))
        return render_editor(request, form, editor, segment)
    if not editor.complete:  # a bound that is no number: its row says so
        return render_editor(request, form, editor, segment)
    saved = save_segment(actor=user, values=cleaned, segment=segment)
    message = _("Segment “%(name)s” saved.") if segment else _("Segment “%(name)s” created.")
    messages.success(request, message % {"name": saved.name})
    return redirect(saved)


def is_def(problem: Any) -> bool:
    return str(problem.column or "").startswith("definition")


def render_editor(
    request: AuthedRequest, form: SegmentForm, editor: ConditionEditor, segment: Segment | None
) -> HttpResponse:
    context = {"form": form, "editor": editor, "segment": segment}
    return render(request, "segments/form.html", context)


@login_required
def segment_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    segment = get_segment_for_user(request.user, pk, for_write=True)
    if request.method == "POST":
        name = segment.name
        delete_segment(actor=request.user, segment=segment)
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": name})
        return redirect("segments:list")
    context = {"segment": segment, "strategy_count": segment.strategies.count()}
    return render(request, "segments/delete.html", context)


@login_required
@require_POST
def segment_seed(request: AuthedRequest) -> HttpResponse:
    require_segment_writer(request.user)
    report = seed_builtin_segments(actor=request.user, source="web")
    messages.success(
        request,
        _("%(created)s built-in segments created; %(existing)s existed already.")
        % {"created": len(report.created), "existing": len(report.existing)},
    )
    return redirect("segments:list")


# --- strategies -----------------------------------------------------------------------


@login_required
def strategy_create(request: AuthedRequest, pk: int) -> HttpResponse:
    segment = get_segment_for_user(request.user, pk, for_write=True)
    return strategy_editor(request, segment, None)


@login_required
def strategy_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    strategy = get_strategy_for_user(request.user, pk, for_write=True)
    return strategy_editor(request, strategy.segment, strategy)


def strategy_editor(
    request: AuthedRequest, segment: Segment, strategy: Strategy | None
) -> HttpResponse:
    user: User = request.user
    if strategy is not None:
        initial = strategy_values(strategy)
    else:
        initial = {"owner": user.username, "status": StrategyStatus.DRAFT}
    form = StrategyForm(
        form_data(request),
        actor=user,
        currency=settings.KAM_CURRENCY,
        current_owner=strategy.owner if strategy is not None else None,
        initial=initial,
    )
    if form.is_bound:
        try:
            values = clean_strategy(form.values(), actor=user, segment=segment, strategy=strategy)
        except RecordInvalid as problem:
            form.show_problems(problem)
        else:
            saved = save_strategy(actor=user, values=values, segment=segment, strategy=strategy)
            messages.success(request, _("Strategy “%(name)s” saved.") % {"name": saved.name})
            return redirect(reverse("segments:detail", args=[segment.pk]) + "#strategies")
    context = {"form": form, "segment": segment, "strategy": strategy}
    return render(request, "segments/strategy_form.html", context)


# --- the account page's part ----------------------------------------------------------


@login_required
def account_strategies(request: AuthedRequest, pk: int) -> HttpResponse:
    """The segments an account belongs to and their strategies: the part of the account
    page that loads after it (htmx), so the page itself costs no query more."""
    account = get_account_for_user(request.user, pk)
    context = {
        "account": account,
        "segment_strategies": strategies_for_account(request.user, account),
    }
    template = list_template(
        request, "segments/account_strategies.html", "segments/_account_strategies.html"
    )
    return render(request, template, context)


# --- evaluation (SEG-3, SEG-4) ----------------------------------------------------------


def chosen_segments(user: User, ids: str) -> list[Segment]:
    """The segments named in `ids` ("1,2,3"; unknown ones left out), else all of them."""
    wanted = [int(part) for part in ids.replace(" ", "").split(",") if part.isdigit()]
    segments = visible_segments(user).order_by("name", "pk")
    if wanted:
        segments = segments.filter(pk__in=wanted)
    return list(segments)


def render_evaluation(
    request: AuthedRequest, segments: list[Segment], single: Segment | None
) -> HttpResponse:
    from kam.segments.evaluation import evaluate_segments, quadrants

    evaluation = evaluate_segments(request.user, segments)
    labels = quadrants()
    context = {
        "evaluation": evaluation,
        "single": single,
        "all_segments": visible_segments(request.user).order_by("name", "pk"),
        "chosen": {s.pk for s in segments},
        "quadrant_labels": labels,
    }
    return render(request, "segments/evaluate.html", context)


@login_required
def segment_evaluate(request: AuthedRequest, pk: int) -> HttpResponse:
    segment = get_segment_for_user(request.user, pk)
    return render_evaluation(request, [segment], segment)


@login_required
def evaluate_compare(request: AuthedRequest) -> HttpResponse:
    ids = ",".join(request.GET.getlist("ids"))
    return render_evaluation(request, chosen_segments(request.user, ids), None)


# --- data-driven segments and rules (SEG-2, VAL-5) --------------------------------------


@login_required
def clusters(request: AuthedRequest) -> HttpResponse:
    from kam.segments.clustering import (
        CURVE_HEIGHT,
        CURVE_WIDTH,
        ClusteringFailed,
        curve_points,
        may_find_clusters,
        require_cluster_writer,
        run_clustering,
    )
    from kam.segments.models import ClusteringRun

    if request.method == "POST":
        require_cluster_writer(request.user)
        try:
            run = run_clustering(actor=request.user)
        except ClusteringFailed as failed:
            messages.error(request, _("No clusters found: %(reason)s") % {"reason": failed})
        else:
            messages.success(
                request,
                _("%(k)s clusters found in %(seconds)s s.") % {"k": run.k, "seconds": run.seconds},
            )
        return redirect("segments:clusters")
    latest = ClusteringRun.objects.select_related("actor").first()
    zh = (request.LANGUAGE_CODE or "").startswith("zh")
    profiles = []
    saved: dict[int, Segment] = {}
    points: list[tuple[float, float, int, float]] = []
    if latest is not None:
        saved = {s.cluster_label: s for s in Segment.objects.filter(cluster_run=latest)}  # type: ignore[misc]
        for profile in latest.profiles:
            profiles.append(
                {
                    **profile,
                    "description": profile["zh"] if zh else profile["en"],
                    "segment": saved.get(profile["label"]),
                    "distinct": [n for n in profile["numeric"] if n["direction"] != "typical"],
                }
            )
        points = curve_points(latest.curve)
    context = {
        "run": latest,
        "profiles": profiles,
        "points": points,
        "polyline": " ".join(f"{x},{y}" for x, y, _k, _s in points),
        "width": CURVE_WIDTH,
        "height": CURVE_HEIGHT,
        "may_run": may_find_clusters(request.user),
        "notes": [n["zh"] if zh else n["en"] for n in (latest.notes if latest else [])],
    }
    return render(request, "segments/clusters.html", context)


@login_required
@require_POST
def clusters_save(request: AuthedRequest, pk: int) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from kam.segments.clustering import require_cluster_writer, save_clusters
    from kam.segments.models import ClusteringRun

    require_cluster_writer(request.user)
    run = get_object_or_404(ClusteringRun, pk=pk)
    labels = [int(v) for v in request.POST.getlist("labels") if v.isdigit()]
    created = save_clusters(actor=request.user, run=run, labels=labels)
    messages.success(request, _("%(count)s data-driven segments saved.") % {"count": len(created)})
    return redirect("segments:clusters")


@login_required
def label_rules_page(request: AuthedRequest) -> HttpResponse:
    from kam.segments.clustering import label_rules

    kind = "clusters" if request.GET.get("of") == "clusters" else "tiers"
    return render(request, "segments/rules.html", {"result": label_rules(request.user, kind)})


# --- STP (SEG-3, SEG-5) -----------------------------------------------------------------


def plan_choices(request: AuthedRequest, name: str) -> list[Segment]:
    ids = [int(v) for v in request.POST.getlist(name) if v.isdigit()]
    return list(visible_segments(request.user).filter(pk__in=ids))


def plan_review_date(request: AuthedRequest) -> Any:
    import datetime as dt

    text = (request.POST.get("review_date") or "").strip()
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@login_required
def stp_list(request: AuthedRequest) -> HttpResponse:
    from kam.segments.stp import may_change_plan, save_plan, visible_plans

    if request.method == "POST":
        goal = (request.POST.get("goal") or "").strip()
        if not goal:
            messages.error(request, _("Write the goal of the plan."))
            return redirect("segments:stp")
        plan = save_plan(actor=request.user, goal=goal, review_date=plan_review_date(request))
        return redirect(plan)
    plans = visible_plans(request.user).select_related("owner").prefetch_related("targets")
    context = {"plans": plans, "may_create": may_change_plan(request.user)}
    return render(request, "segments/stp_list.html", context)


@login_required
def stp_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    from kam.segments.evaluation import evaluate_segments, quadrants
    from kam.segments.stp import get_plan_for_user, may_change_plan, save_plan

    plan = get_plan_for_user(request.user, pk, for_write=request.method == "POST")
    if request.method == "POST":
        step = request.POST.get("step", "")
        goal = (request.POST.get("goal") or plan.goal).strip() or plan.goal
        review = plan_review_date(request) if "review_date" in request.POST else plan.review_date
        save_plan(
            actor=request.user,
            plan=plan,
            goal=goal,
            review_date=review,
            segments=plan_choices(request, "segments") if step == "segments" else None,
            targets=plan_choices(request, "targets") if step == "targets" else None,
        )
        messages.success(request, _("Plan saved."))
        return redirect(reverse("segments:stp_detail", args=[plan.pk]) + f"#{step or 'goal'}")
    chosen = list(plan.segments.order_by("name", "pk"))
    targets = set(plan.targets.values_list("pk", flat=True))
    target_segments = [s for s in chosen if s.pk in targets]
    strategies = active_first(
        Strategy.objects.filter(segment__in=target_segments).select_related("segment", "owner")
    )
    context = {
        "plan": plan,
        "chosen": chosen,
        "chosen_ids": {s.pk for s in chosen},
        "targets": targets,
        "target_segments": target_segments,
        "strategies": strategies,
        "all_segments": visible_segments(request.user).order_by("name", "pk"),
        "evaluation": evaluate_segments(request.user, chosen) if chosen else None,
        "quadrant_labels": quadrants(),
        "may_change": may_change_plan(request.user, plan),
        "may_change_segments": may_create_segments(request.user),
        "history": plan_history(plan),
    }
    return render(request, "segments/stp_detail.html", context)


def plan_history(plan: Any) -> Any:
    from kam.core.models import AuditEvent

    return AuditEvent.objects.filter(object_type="stpplan", object_id=plan.pk).select_related(
        "actor"
    )[:HISTORY_ROWS]
