"""Evaluating segments, finding clusters, their rules and STP plans in the REST API
(SEG-2, SEG-3, SEG-4, SEG-5, VAL-5): what the Evaluate, Find segments, Rules and
Targeting plans pages show, through the same services.

Figures about accounts are over the accounts the caller may see, as on the pages; a
clustering run is of the whole book, so its money figures are shown only to those who
see every account.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, P, Query, QueryEx, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from pydantic import BeforeValidator

from kam.accounts.services import visible_accounts
from kam.core.api import actor
from kam.core.fields import Field as ImportField
from kam.core.fields import date, text
from kam.core.models import User
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_ONE,
    ERRORS_READ,
    MAX_ID,
    ErrorOut,
    InputSchema,
    Page,
    PageParams,
    RecordId,
    date_field,
    integral,
    paginate,
    text_field,
)
from kam.segments.api import SegmentOut, StrategyOut, with_stats
from kam.segments.clustering import (
    ClusteringFailed,
    Rules,
    label_rules,
    require_cluster_writer,
    run_clustering,
    save_clusters,
)
from kam.segments.evaluation import Check, Evaluation, SegmentEvaluation, evaluate_segments
from kam.segments.evaluation import quadrants as quadrant_labels
from kam.segments.models import ClusteringRun, ClusterMember, Segment, SegmentKind, StpPlan
from kam.segments.services import active_first, visible_segments, visible_strategies
from kam.segments.stp import get_plan_for_user, may_change_plan, save_plan, visible_plans

router = Router(tags=["segments"])

ERRORS_RUN = {401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_SEGMENTS = 200  # segments named in one evaluation or one plan
MAX_LABEL = 32767  # a cluster's number is a small positive integer

# JSON Schema counts 3.0 as an integer; so do we (as kam.core.schemas.integral says).
SegmentRef = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(integral)]
ClusterLabel = Annotated[int, Ge(1), Le(MAX_LABEL), BeforeValidator(integral)]
Quadrant = Literal["invest", "selective", "maintain", "harvest"]
CheckStatus = Literal["pass", "warn", "not_checked"]

NOT_RECORDED = (
    "not recorded: the book holds no competitor or wallet data yet, so no number is given"
)


def finite(value: Any) -> float | None:
    """A JSON-safe number: None for missing, NaN and infinite values."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# --- evaluation (SEG-3, SEG-4) ----------------------------------------------------------


class ValidityCheckOut(Schema):
    check: str = Field(
        description="measurable, substantial, accessible, differentiable, homogeneous; "
        "'all' when none could be run."
    )
    name: str = Field(description="The check in words, in your language.")
    status: CheckStatus
    reason: str = Field(description="Why it passes, warns or was not checked, in words.")
    figures: dict[str, float | None] = Field(description="The figures the check looked at.")


class NotRecordedFigureOut(Schema):
    value: float | None = Field(description="Null: the book does not record it.")
    reason: str


class SegmentEvaluationOut(Schema):
    segment_id: int
    segment: str = Field(description="The segment's name.")
    kind: SegmentKind
    accounts: int = Field(description="The members you can see.")
    revenue_12m: float = Field(description="Their net revenue of the last 12 months.")
    revenue_prev_12m: float = Field(description="Their net revenue of the 12 months before.")
    margin_12m: float | None = Field(description="Null when no order of the window has one.")
    growth: float | None = Field(description="Year on year; null without revenue before.")
    clv_mean: float | None = Field(description="Average CLV of the latest scoring run.")
    clv_accounts: int = Field(description="Members with a CLV.")
    owner_share: float | None = Field(description="Accessibility: share with an active owner.")
    contact_share: float | None = Field(description="Accessibility: share with a contact.")
    key_share: float | None = Field(description="Share of tiered members in diamond or core.")
    revenue_share: float | None = Field(description="Of the revenue of the book you see.")
    share_of_wallet: NotRecordedFigureOut
    competitive_intensity: NotRecordedFigureOut
    attractiveness: float | None = Field(description="0 to 1; null without members.")
    position: float | None = Field(description="0 to 1; null without members.")
    quadrant: Quadrant | None = Field(description="Null without members.")
    quadrant_label: str | None = Field(description="The quadrant in words, in your language.")
    checks: list[ValidityCheckOut] = Field(description="Against the rest of the book you see.")


class MatrixBubbleOut(Schema):
    segment_id: int
    segment: str
    x: float = Field(description="Our position, 0 to width.")
    y: float = Field(description="Attractiveness, height (low) to 0 (high).")
    r: float = Field(description="Radius; the area grows with the revenue.")


class SegmentMatrixOut(Schema):
    width: int
    height: int
    split_x: float = Field(description="The share of key accounts in the book you see.")
    split_y: float = Field(description="Attractiveness ½.")
    bubbles: list[MatrixBubbleOut] = Field(description="One per segment with members you see.")


class SegmentsEvaluationOut(Schema):
    book_accounts: int = Field(description="The accounts you can see.")
    book_key_share: float | None = Field(description="Their share in diamond or core.")
    has_run: bool = Field(description="A successful scoring run exists (CLV, tiers).")
    segments: list[SegmentEvaluationOut]
    between_segments: list[ValidityCheckOut] = Field(
        description="The segments against each other (two or more segments), over the "
        "accounts in exactly one of them: differentiability and the other checks."
    )
    overlap: int = Field(description="Accounts in more than one of the segments.")
    matrix: SegmentMatrixOut = Field(description="Attractiveness × our position.")


SegmentIdsQuery = QueryEx[
    list[SegmentRef],
    P(
        default_factory=list,
        max_length=MAX_SEGMENTS,
        description="Only these segments (repeat the parameter: ids=1&ids=2); default: all "
        "of them.",
    ),
]


def check_out(check: Check) -> dict[str, Any]:
    return {
        "check": check.check,
        "name": check.name,
        "status": check.status,
        "reason": check.reason,
        "figures": {key: finite(value) for key, value in check.figures.items()},
    }


def not_recorded() -> dict[str, Any]:
    return {"value": None, "reason": NOT_RECORDED}


def segment_evaluation_out(found: SegmentEvaluation, codes: dict[str, str]) -> dict[str, Any]:
    segment = found.segment
    return {
        "segment_id": segment.pk,
        "segment": segment.name,
        "kind": segment.kind,
        "accounts": found.accounts,
        "revenue_12m": finite(found.revenue) or 0.0,
        "revenue_prev_12m": finite(found.revenue_prev) or 0.0,
        "margin_12m": finite(found.margin),
        "growth": finite(found.growth),
        "clv_mean": finite(found.clv_mean),
        "clv_accounts": found.clv_accounts,
        "owner_share": finite(found.owner_share),
        "contact_share": finite(found.contact_share),
        "key_share": finite(found.key_share),
        "revenue_share": finite(found.revenue_share),
        "share_of_wallet": not_recorded(),
        "competitive_intensity": not_recorded(),
        "attractiveness": finite(found.attractiveness),
        "position": finite(found.position),
        "quadrant": codes.get(found.quadrant),
        "quadrant_label": found.quadrant or None,
        "checks": [check_out(c) for c in found.checks],
    }


def evaluation_out(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as the API (and `kam segment evaluate --out x.json`) gives it."""
    codes = {label: code for code, label in quadrant_labels().items()}
    bubbles = [
        {
            "segment_id": b.evaluation.segment.pk,
            "segment": b.evaluation.segment.name,
            "x": b.x,
            "y": b.y,
            "r": b.r,
        }
        for b in evaluation.bubbles
    ]
    return {
        "book_accounts": evaluation.book_accounts,
        "book_key_share": finite(evaluation.book_key_share),
        "has_run": evaluation.has_run,
        "segments": [segment_evaluation_out(e, codes) for e in evaluation.segments],
        "between_segments": [check_out(c) for c in evaluation.overall],
        "overlap": evaluation.overlap,
        "matrix": {
            "width": evaluation.width,
            "height": evaluation.height,
            "split_x": evaluation.split_x,
            "split_y": evaluation.split_y,
            "bubbles": bubbles,
        },
    }


def chosen_segments(user: User, ids: Iterable[int]) -> list[Segment]:
    """The segments with these ids (all of them without ids), by name; 404 for any unknown."""
    wanted = set(ids)
    segments = visible_segments(user).order_by("name", "pk")
    if not wanted:
        return list(segments)
    found = list(segments.filter(pk__in=wanted))
    missing = sorted(wanted - {s.pk for s in found})
    if missing:
        raise Http404("No such segment: " + ", ".join(str(pk) for pk in missing))
    return found


@router.get(
    "/segments/evaluation",
    response={200: SegmentsEvaluationOut, **ERRORS_ONE},
    summary="Evaluate segments: size, revenue, growth, CLV, validity, the matrix",
    description="The segments you name in `ids` (all of them without), over the accounts "
    "you can see: what the Evaluate page shows. 404 when an id names no segment.",
)
def evaluate(request: HttpRequest, ids: SegmentIdsQuery) -> dict[str, Any]:
    user = actor(request)
    segments = chosen_segments(user, ids)
    return evaluation_out(evaluate_segments(user, segments))


# --- rules (VAL-5) ----------------------------------------------------------------------


class LabelRuleOut(Schema):
    text: str = Field(description="IF … THEN …, in your language.")
    label: int | str = Field(description="The tier's code, or the cluster's number.")
    accounts: int = Field(description="Accounts the rule covers.")
    purity: float | None = Field(description="Share of them that have its label.")


class FeatureImportanceOut(Schema):
    feature: str
    share: float | None = Field(description="The feature's share of the tree's decisions.")


class LabelRulesOut(Schema):
    kind: Literal["tier", "cluster"]
    accounts: int = Field(description="Accounts you can see that have a tier / a cluster.")
    rules: list[LabelRuleOut]
    training_accuracy: float | None
    cv_accuracy: float | None = Field(description="Cross-validated; null when not possible.")
    cv_folds: int
    importances: list[FeatureImportanceOut] = Field(description="Largest first.")
    problem: str | None = Field(description="Why there are no rules, in words; else null.")


class LabelRulesParams(Schema):
    kind: Literal["tier", "cluster"] = Field(
        "tier", description="Rules that reproduce the tiers, or the latest run's clusters."
    )


def rule_label(label: Any) -> int | str:
    return int(label) if isinstance(label, numbers.Integral) else str(label)


def rules_out(kind: str, rules: Rules) -> dict[str, Any]:
    """The rules as the API and `kam segment rules` give them."""
    return {
        "kind": kind,
        "accounts": rules.accounts,
        "rules": [
            {
                "text": str(rule["text"]),
                "label": rule_label(rule["label"]),
                "accounts": int(rule["accounts"]),
                "purity": finite(rule["purity"]),
            }
            for rule in rules.rules
        ],
        "training_accuracy": finite(rules.training_accuracy),
        "cv_accuracy": finite(rules.cv_accuracy),
        "cv_folds": rules.cv_folds,
        "importances": [{"feature": f, "share": finite(v)} for f, v in rules.importances],
        "problem": rules.problem or None,
    }


def explain_labels(user: User, kind: str) -> dict[str, Any]:
    return rules_out(kind, label_rules(user, "clusters" if kind == "cluster" else "tiers"))


@router.get(
    "/segments/rules",
    response={200: LabelRulesOut, **ERRORS_READ},
    summary="If/then rules that reproduce the tiers or the clusters",
    description="A decision tree (depth 3) fitted on the accounts you can see, as on the "
    "Rules page; `problem` says why there are none (fewer than two labels).",
)
def read_rules(request: HttpRequest, params: Query[LabelRulesParams]) -> dict[str, Any]:
    return explain_labels(actor(request), params.kind)


# --- clustering runs (SEG-2) ------------------------------------------------------------


class SilhouettePointOut(Schema):
    k: int
    silhouette: float | None
    inertia: float | None


class ClusteringFeaturesOut(Schema):
    numeric: list[str]
    categorical: list[str]


class ClusterFeatureOut(Schema):
    feature: str
    direction: str = Field(description="How the cluster differs from the book.")
    effect: float | None = Field(description="Median difference in robust SDs.")
    cluster_median: float | None = Field(description="Null unless you see every account.")
    book_median: float | None = Field(description="Null unless you see every account.")


class ClusterLevelOut(Schema):
    feature: str
    level: str
    cluster_share: float | None
    book_share: float | None
    lift: float | None


class ClusterProfileOut(Schema):
    label: int
    description: str = Field(description="In your language.")
    description_en: str
    description_zh: str
    accounts: int = Field(description="Its accounts in the whole book.")
    share: float | None = Field(description="Of the book's accounts.")
    accounts_you_see: int
    revenue: float | None = Field(description="Null unless you see every account.")
    revenue_share: float | None = Field(description="Null unless you see every account.")
    distinguishing: list[ClusterFeatureOut] = Field(
        description="The numeric features that set it apart (medians: cluster / book)."
    )
    levels: list[ClusterLevelOut] = Field(description="Categories over-represented in it.")
    segment_id: int | None = Field(description="The segment it was saved as, if any.")


class ClusteringRunOut(Schema):
    id: int
    created_at: dt.datetime
    actor: str = Field(description="Who ran it (username).")
    scoring_run_id: int | None = Field(description="The scoring run whose CLV it used.")
    k: int = Field(description="The number of clusters chosen.")
    silhouette: float | None
    account_count: int = Field(description="Accounts of the whole book clustered.")
    seconds: float
    features: ClusteringFeaturesOut
    notes: list[str] = Field(description="Remarks of the clustering, in your language.")


class ClusteringRunDetailOut(ClusteringRunOut):
    curve: list[SilhouettePointOut] = Field(description="Mean silhouette (and inertia) per k.")
    clusters: list[ClusterProfileOut]


class SaveClustersIn(InputSchema):
    labels: list[ClusterLabel] = Field(
        min_length=1, max_length=64, description="The clusters to save as segments."
    )


class SavedClustersOut(Schema):
    created: list[SegmentOut] = Field(description="Segments made now, one per cluster.")
    already_saved: list[int] = Field(description="Clusters saved before: nothing new made.")


def language_key(request: HttpRequest) -> str:
    return "zh" if (getattr(request, "LANGUAGE_CODE", "") or "").startswith("zh") else "en"


def note_texts(run: ClusteringRun, key: str) -> list[str]:
    return [str(note.get(key, "")) for note in run.notes]


def run_out(run: ClusteringRun, key: str) -> dict[str, Any]:
    features = run.features or {}
    return {
        "id": run.pk,
        "created_at": run.created_at,
        "actor": run.actor.username,
        "scoring_run_id": run.scoring_run_id,
        "k": run.k,
        "silhouette": finite(run.silhouette),
        "account_count": run.account_count,
        "seconds": run.seconds,
        "features": {
            "numeric": list(features.get("numeric", [])),
            "categorical": list(features.get("categorical", [])),
        },
        "notes": note_texts(run, key),
    }


def numeric_out(entry: dict[str, Any], sees_all: bool) -> dict[str, Any]:
    return {
        "feature": entry["feature"],
        "direction": entry["direction"],
        "effect": finite(entry.get("effect")),
        "cluster_median": finite(entry.get("segment_median")) if sees_all else None,
        "book_median": finite(entry.get("book_median")) if sees_all else None,
    }


def level_out(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "feature": entry["feature"],
        "level": str(entry["level"]),
        "cluster_share": finite(entry.get("segment_share")),
        "book_share": finite(entry.get("book_share")),
        "lift": finite(entry.get("lift")),
    }


def cluster_out(
    profile: dict[str, Any], *, key: str, sees_all: bool, seen: int, segment_id: int | None
) -> dict[str, Any]:
    return {
        "label": int(profile["label"]),
        "description": str(profile.get(key, "")),
        "description_en": str(profile.get("en", "")),
        "description_zh": str(profile.get("zh", "")),
        "accounts": int(profile.get("accounts", 0)),
        "share": finite(profile.get("share")),
        "accounts_you_see": seen,
        "revenue": finite(profile.get("revenue")) if sees_all else None,
        "revenue_share": finite(profile.get("revenue_share")) if sees_all else None,
        "distinguishing": [
            numeric_out(n, sees_all)
            for n in profile.get("numeric", [])
            if n["direction"] != "typical"
        ],
        "levels": [level_out(level) for level in profile.get("levels", [])],
        "segment_id": segment_id,
    }


def members_seen(user: User, run: ClusteringRun) -> dict[int, int]:
    """Per cluster, how many of its accounts `user` may see (one query)."""
    rows = (
        ClusterMember.objects.filter(run=run, account__in=visible_accounts(user))
        .values("label")
        .annotate(n=Count("pk"))
    )
    return {int(row["label"]): int(row["n"]) for row in rows}


def run_detail_out(user: User, run: ClusteringRun, key: str) -> dict[str, Any]:
    seen = members_seen(user, run)
    saved = dict(visible_segments(user).filter(cluster_run=run).values_list("cluster_label", "pk"))
    clusters = [
        cluster_out(
            profile,
            key=key,
            sees_all=user.sees_all_accounts,
            seen=seen.get(int(profile["label"]), 0),
            segment_id=saved.get(int(profile["label"])),
        )
        for profile in run.profiles
    ]
    curve = [
        {
            "k": int(p["k"]),
            "silhouette": finite(p.get("silhouette")),
            "inertia": finite(p.get("inertia")),
        }
        for p in run.curve
    ]
    return {**run_out(run, key), "curve": curve, "clusters": clusters}


def clustering_runs() -> QuerySet[ClusteringRun]:
    """Every run, newest first: a run is of the whole book, and everybody reads it (as the
    Find segments page shows the latest one to everybody)."""
    return ClusteringRun.objects.select_related("actor").order_by("-created_at", "-pk")


def get_run(pk: int) -> ClusteringRun:
    run = clustering_runs().filter(pk=pk).first()
    if run is None:
        raise Http404("No such clustering run")
    return run


@router.get(
    "/clustering-runs",
    response={200: Page[ClusteringRunOut], **ERRORS_READ},
    summary="Clustering runs, newest first",
)
def list_clustering_runs(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    actor(request)
    page = paginate(clustering_runs(), params)
    key = language_key(request)
    page["items"] = [run_out(run, key) for run in page["items"]]
    return page


@router.get(
    "/clustering-runs/{run_id}",
    response={200: ClusteringRunDetailOut, **ERRORS_ONE},
    summary="One clustering run: its k curve and its clusters",
    description="Sizes are of the whole book; `accounts_you_see` counts those you may see, "
    "and money figures are null unless you see every account. The rules that reproduce "
    "the latest run's clusters: GET /api/segments/rules?kind=cluster.",
)
def read_clustering_run(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    user = actor(request)
    return run_detail_out(user, get_run(run_id), language_key(request))


@router.post(
    "/clustering-runs",
    response={201: ClusteringRunDetailOut, **ERRORS_RUN},
    summary="Find clusters in the whole book (directors and administrators)",
    description="k-means over every account, k chosen by the silhouette, as Find segments "
    "does; answers when it has finished. 409 when the book cannot be clustered (too few "
    "accounts, all alike), with the reason.",
)
def start_clustering_run(request: HttpRequest) -> Status[dict[str, Any]]:
    user = actor(request)
    require_cluster_writer(user)
    try:
        run = run_clustering(actor=user)
    except ClusteringFailed as failed:
        raise HttpError(409, f"No clusters found: {failed}") from None
    return Status(201, run_detail_out(user, get_run(run.pk), language_key(request)))


def check_labels(run: ClusteringRun, labels: list[int]) -> None:
    """422 naming each label that is no cluster of the run (in the API's error format)."""
    known = sorted(int(p["label"]) for p in run.profiles)
    expected = ", ".join(str(label) for label in known) or "none"
    problems = [
        {
            "loc": ("body", "payload", "labels", i),
            "type": "kam_invalid",
            "msg": f"not a cluster of run {run.pk} (got {label}, expected one of: {expected})",
        }
        for i, label in enumerate(labels)
        if label not in known
    ]
    if problems:
        raise ValidationError(problems)


@router.post(
    "/clustering-runs/{run_id}/segments",
    response={200: SavedClustersOut, 201: SavedClustersOut, **ERRORS_CHANGE},
    exclude_none=True,  # as the segment endpoints: a data-driven segment has no definition
    summary="Save clusters of a run as data-driven segments (directors and administrators)",
    description="One segment per cluster, whose members are the run's result (201); a "
    "cluster saved before is not saved again (200 when nothing is new). 422 for a label "
    "that is no cluster of the run.",
)
def save_run_clusters(
    request: HttpRequest, run_id: RecordId, payload: SaveClustersIn
) -> Status[dict[str, Any]]:
    user = actor(request)
    require_cluster_writer(user)
    run = get_run(run_id)
    labels = sorted(set(payload.labels))
    check_labels(run, labels)
    before = set(
        visible_segments(user).filter(cluster_run=run).values_list("cluster_label", flat=True)
    )
    created = save_clusters(actor=user, run=run, labels=labels)
    body = {
        "created": with_stats(user, created),
        "already_saved": [label for label in labels if label in before],
    }
    return Status(201 if created else 200, body)


# --- STP plans (SEG-3, SEG-5) -----------------------------------------------------------

PLAN_FIELDS: list[ImportField] = [
    ImportField("goal", text(5000), required=True),
    ImportField("review_date", date),
]
PlanGoal = Annotated[str | None, text_field(PLAN_FIELDS, "goal", 5000, blank=False)]
PlanReview = Annotated[str | None, date_field(PLAN_FIELDS, "review_date")]
SegmentIds = list[SegmentRef]


class PlanSegmentOut(Schema):
    id: int
    name: str


class StpPlanOut(Schema):
    id: int
    goal: str
    owner_id: int
    owner: str = Field(description="The owner's username.")
    review_date: dt.date | None
    segments: list[PlanSegmentOut] = Field(description="The segments considered, by name.")
    targets: list[PlanSegmentOut] = Field(description="The target segments, by name.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(plan: StpPlan) -> str:
        return plan.owner.username

    @staticmethod
    def resolve_segments(plan: StpPlan) -> list[Segment]:
        return list(plan.segments.all())

    @staticmethod
    def resolve_targets(plan: StpPlan) -> list[Segment]:
        return list(plan.targets.all())


class StpPlanDetailOut(StpPlanOut):
    strategies: list[StrategyOut] = Field(
        description="The strategies of the target segments, the active ones first."
    )

    @staticmethod
    def resolve_strategies(plan: StpPlan) -> list[Any]:
        return list(getattr(plan, "target_strategies", []))


class StpPlanCreate(InputSchema):
    goal: PlanGoal
    review_date: PlanReview = None
    segments: SegmentIds = Field(
        default_factory=list, max_length=MAX_SEGMENTS, description="Segment ids to consider."
    )
    targets: SegmentIds = Field(
        default_factory=list,
        max_length=MAX_SEGMENTS,
        description="Segment ids to target; they are considered too.",
    )


class StpPlanPatch(InputSchema):
    """Only the fields sent change; segments and targets sent replace the stored ones."""

    goal: PlanGoal = None
    review_date: PlanReview = None
    segments: SegmentIds | None = Field(
        None,
        max_length=MAX_SEGMENTS,
        description="Segment ids to consider; targets no longer among them stop being "
        "targets. Left out or null: unchanged.",
    )
    targets: SegmentIds | None = Field(
        None,
        max_length=MAX_SEGMENTS,
        description="Segment ids to target; they are considered too. Left out or null: unchanged.",
    )


def with_plan_segments(plans: QuerySet[StpPlan]) -> QuerySet[StpPlan]:
    by_name = Segment.objects.order_by("name", "pk")
    return plans.select_related("owner").prefetch_related(
        Prefetch("segments", queryset=by_name), Prefetch("targets", queryset=by_name)
    )


def plan_detail(user: User, pk: int) -> StpPlan:
    """The plan with its segments, targets and the targets' strategies (404 if unknown)."""
    plan = get_plan_for_user(user, pk)
    plan = with_plan_segments(visible_plans(user)).get(pk=plan.pk)
    targets = [s.pk for s in plan.targets.all()]
    strategies = visible_strategies(user).filter(segment__in=targets)
    plan.target_strategies = list(  # type: ignore[attr-defined]
        active_first(strategies.select_related("segment", "owner"))
    )
    return plan


def referenced_segments(user: User, ids: list[int] | None, field: str) -> list[Segment] | None:
    """The segments named by id (None: keep the stored ones); 404 naming any unknown id."""
    if ids is None:
        return None
    wanted = set(ids)
    found = list(visible_segments(user).filter(pk__in=wanted))
    missing = sorted(wanted - {s.pk for s in found})
    if missing:
        listed = ", ".join(str(pk) for pk in missing)
        raise Http404(f"No such segment: {listed} (in {field})")
    return found


def plan_values(row: dict[str, Any], plan: StpPlan | None) -> tuple[str, dt.date | None]:
    """The goal and review date to store: those sent (checked by the schema already, with
    the import's converters), else the plan's."""
    goal = PLAN_FIELDS[0].parse(row["goal"]) if "goal" in row else getattr(plan, "goal", "")
    if "review_date" in row:
        review = PLAN_FIELDS[1].parse(row["review_date"])
    else:
        review = plan.review_date if plan is not None else None
    return str(goal).strip(), review


def kept_targets(
    plan: StpPlan, segments: list[Segment] | None, targets: list[Segment] | None
) -> list[Segment] | None:
    """New segments without new targets: the targets that are still considered."""
    if segments is None or targets is not None:
        return targets
    considered = {s.pk for s in segments}
    current = list(plan.targets.all())
    kept = [t for t in current if t.pk in considered]
    return kept if len(kept) < len(current) else None


def require_plan_writer(user: User) -> None:
    if not may_change_plan(user):
        raise PermissionDenied("only directors, administrators and sales managers create plans")


@router.get(
    "/stp-plans",
    response={200: Page[StpPlanOut], **ERRORS_READ},
    summary="Targeting plans (STP), the most recently changed first",
)
def list_plans(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    user = actor(request)
    return paginate(with_plan_segments(visible_plans(user)).order_by("-updated_at", "-pk"), params)


@router.get(
    "/stp-plans/{plan_id}",
    response={200: StpPlanDetailOut, **ERRORS_ONE},
    summary="One targeting plan, with the strategies of its targets",
    description="The evaluation of its segments: GET /api/segments/evaluation?ids=…",
)
def read_plan(request: HttpRequest, plan_id: RecordId) -> StpPlan:
    return plan_detail(actor(request), plan_id)


@router.post(
    "/stp-plans",
    response={201: StpPlanDetailOut, **ERRORS_CHANGE},
    summary="Create a targeting plan (directors, administrators, sales managers)",
    description="404 when a segment id names no segment.",
)
def create_plan(request: HttpRequest, payload: StpPlanCreate) -> Status[StpPlan]:
    user = actor(request)
    require_plan_writer(user)
    goal, review = plan_values(payload.import_row(), None)
    segments = referenced_segments(user, payload.segments, "segments")
    targets = referenced_segments(user, payload.targets, "targets")
    plan = save_plan(
        actor=user, goal=goal, review_date=review, segments=segments, targets=targets, source="api"
    )
    return Status(201, plan_detail(user, plan.pk))


@router.patch(
    "/stp-plans/{plan_id}",
    response={200: StpPlanDetailOut, **ERRORS_CHANGE},
    summary="Change a targeting plan (its owner, directors and administrators)",
    description="404 when a segment id names no segment.",
)
def change_plan(request: HttpRequest, plan_id: RecordId, payload: StpPlanPatch) -> StpPlan:
    user = actor(request)
    plan = get_plan_for_user(user, plan_id, for_write=True)
    row = payload.import_row()
    goal, review = plan_values(row, plan)
    segments = referenced_segments(user, row.get("segments"), "segments")
    targets = referenced_segments(user, row.get("targets"), "targets")
    with transaction.atomic():  # the targets are read, then written
        save_plan(
            actor=user,
            plan=plan,
            goal=goal,
            review_date=review,
            segments=segments,
            targets=kept_targets(plan, segments, targets),
            source="api",
        )
    return plan_detail(user, plan.pk)
