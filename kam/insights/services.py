"""Scoring runs, tiers, overrides, ratings and settings: the writes that matter, and the
questions the pages and the API ask about many rows.

Scoring is portfolio-wide (every account's orders feed the models, so a rank means the
same thing for everybody); visibility applies when results are shown.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, cast

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core import audit
from kam.core.access import require_writer
from kam.core.models import AuditAction, Role, User
from kam.core.runs import (
    RunBusy,
    claim_queued,
    enqueue_or_fail,
    guarded,
    make_run,
    refuse_while_busy,
    save_failure,
)
from kam.insights.models import (
    RATING_FIELDS,
    AccountRating,
    AccountScore,
    Criterion,
    Lifecycle,
    RankingMeasure,
    RunStatus,
    ScoringRun,
    ScoringSettings,
    Tier,
    TierChange,
    TierOverride,
    TimeUnit,
)
from kam.insights.notes import note_record, render_notes
from kam.insights.risk import scoring_succeeded
from kam.transactions.models import Order, Payment

log = logging.getLogger(__name__)

SCORE_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary",
    "total_revenue",
    "r_score",
    "f_score",
    "m_score",
    "rfm_code",
    "rfm_segment",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "score",
    "tier",
    "tier_reason",
    "lifecycle",
)
CURVE_POINTS = 50


# --- who may do what ----------------------------------------------------------------------


def is_director(user: User) -> bool:
    return user.is_active and (
        user.is_superuser or user.role in {Role.ADMINISTRATOR, Role.DIRECTOR}
    )


def may_override_tier(user: User, account: Account) -> bool:
    """Directors, and the sales manager of the team that owns the account."""
    if not user.is_authenticated or is_director(user):
        return user.is_authenticated
    if user.role != Role.SALES_MANAGER or user.team_id is None or not user.is_active:
        return False
    owner = account.owner
    return owner is not None and owner.team_id == user.team_id


def may_rate(user: User, account: Account) -> bool:
    """Whoever may change the account (it is visible to them and they are no analyst)."""
    return (
        user.is_authenticated
        and user.is_active
        and not user.is_read_only
        and visible_accounts(user).filter(pk=account.pk).exists()
    )


# --- the scoring run ----------------------------------------------------------------------


def orders_frame() -> pd.DataFrame:
    rows = Order.objects.values_list("account_id", "order_date", "amount", "margin")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["customer_id", "date", "amount", "margin"]
    )
    frame["customer_id"] = frame["customer_id"].astype("int64")
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = frame["amount"].astype("float64")
    frame["margin"] = pd.to_numeric(frame["margin"], errors="coerce").astype("float64")
    return frame


def payments_frame() -> pd.DataFrame:
    rows = Payment.objects.values_list("account_id", "due_date", "paid_date", "amount")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["customer_id", "due_date", "paid_date", "amount"]
    )
    frame["customer_id"] = frame["customer_id"].astype("int64")
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def ratings_frame() -> pd.DataFrame:
    """customer_id and one column per rated criterion (1-5, NaN when not rated)."""
    criteria = [str(c) for c in RATING_FIELDS]
    rows = AccountRating.objects.values_list("account_id", *RATING_FIELDS.values())
    frame = pd.DataFrame.from_records(list(rows), columns=["customer_id", *criteria])
    frame["customer_id"] = frame["customer_id"].astype("int64")
    for name in criteria:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def rated_only(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The ratings columns someone filled in at least once (a criterion nobody rated is
    left out of the score, not counted as a neutral 3 for everyone)."""
    rated = [c for c in frame.columns if c != "customer_id" and frame[c].notna().any()]
    return frame[["customer_id", *rated]] if rated else None


def engine_config(settings: ScoringSettings) -> Any:
    """The value engine's configuration from the settings page (ConfigError if invalid)."""
    from django.conf import settings as django_settings

    from kam_analytics.config import config_from_mapping

    currency = django_settings.KAM_CURRENCY
    return config_from_mapping(
        {
            "weights": {k: float(v) for k, v in settings.weights.items()},
            "tiers": {
                "measure": settings.ranking_measure,
                "shares": {k: float(v) for k, v in settings.tier_shares.items()},
                "currency_symbol": "¥" if currency == "CNY" else currency[:5],
            },
        }
    )


def run_settings(settings: ScoringSettings) -> dict[str, Any]:
    return {
        "weights": settings.weights,
        "tier_shares": settings.tier_shares,
        "ranking_measure": settings.ranking_measure,
        "time_unit": settings.time_unit,
        "horizon": settings.horizon,
        "discount_rate": settings.discount_rate,
    }


def score_book(run: ScoringRun, settings: ScoringSettings, orders: pd.DataFrame) -> Any:
    """Call the value engine on the whole book (kam_analytics.pipeline.score_book)."""
    from kam_analytics.backends import connect, table_from_pandas
    from kam_analytics.pipeline import score_book as engine_score_book

    table = table_from_pandas(connect(), orders, "orders")
    return engine_score_book(
        table,
        as_of=run.as_of,
        time_unit=cast(Literal["day", "week", "month"], run.time_unit),
        horizon=run.horizon,
        annual_discount_rate=run.discount_rate,
        config=engine_config(settings),
        payments=payments if not (payments := payments_frame()).empty else None,
        ratings=rated_only(ratings_frame()),
    )


class RunInProgress(RunBusy):
    """Another scoring run is queued or running: runs are queued one at a time."""

    run: ScoringRun


def take_settings(run: ScoringRun, settings: ScoringSettings) -> None:
    """Record on the run the settings it scores with."""
    run.time_unit = settings.time_unit
    run.horizon = settings.horizon
    run.discount_rate = settings.discount_rate
    run.config = run_settings(settings)


def new_run(
    *, actor: User | None, as_of: dt.date | None, status: str, settings: ScoringSettings
) -> ScoringRun:
    run = make_run(ScoringRun, actor=actor, as_of=as_of, status=status)
    take_settings(run, settings)
    run.save()
    return run


def run_scoring(*, actor: User | None, as_of: dt.date | None = None) -> ScoringRun:
    """Score every account with orders as of a date, now and in this process (the command
    line and the demo): store the snapshot, update tiers, return the finished run."""
    if actor is not None:
        require_writer(actor)
    settings = ScoringSettings.load()
    run = new_run(actor=actor, as_of=as_of, status=RunStatus.RUNNING, settings=settings)
    return score_run(run, settings)


def queue_scoring_run(*, actor: User, as_of: dt.date | None = None) -> ScoringRun:
    """Queue a scoring run for the task worker and return it (status queued).

    RunInProgress while another run is queued or running. The task is enqueued when the
    run is committed, so the worker never looks for a run it cannot see yet.
    """
    require_writer(actor)
    with transaction.atomic():
        settings = ScoringSettings.load()
        # Two directors clicking at once: the second waits here, then sees the first run.
        ScoringSettings.objects.select_for_update().filter(pk=settings.pk).first()
        refuse_while_busy(ScoringRun, RunInProgress)
        run = new_run(actor=actor, as_of=as_of, status=RunStatus.QUEUED, settings=settings)
        transaction.on_commit(partial(enqueue_run, run))
    run.refresh_from_db()  # with the immediate backend the run has finished already
    return run


def enqueue_run(run: ScoringRun) -> None:
    """Hand the run to the task worker (a run the backend refuses fails at once)."""
    from kam.insights.tasks import score_queued_run

    enqueue_or_fail(score_queued_run, run, record_failure)


def execute_queued_run(run_id: int) -> ScoringRun | None:
    """The task's work: start the queued run and score it. None when the run is no longer
    queued (it has run already, or someone failed it by hand)."""
    # The settings in force when it starts are the ones the engine gets.
    settings = ScoringSettings.load()
    run = claim_queued(ScoringRun, run_id, prepare=partial(take_settings, settings=settings))
    return None if run is None else score_run(run, settings)


def score_run(run: ScoringRun, settings: ScoringSettings) -> ScoringRun:
    """Score the whole book for a running run; store the snapshot and update tiers.

    A failed run keeps status 'failed' and the error, and writes no scores and no tier
    changes. So does an interrupted one (Ctrl+C, a worker stopped at once), which then
    goes on being interrupted.
    """
    guarded(run, partial(score_and_store, run, settings), record_failure)
    if run.status == RunStatus.SUCCEEDED:  # kam.risk checks the risks as of its date
        for receiver, outcome in scoring_succeeded.send_robust(sender=ScoringRun, run=run):
            if isinstance(outcome, Exception):  # the scoring run stands; say what failed
                log.error("scoring run %s: %s failed", run.pk, receiver, exc_info=outcome)
    return run


def score_and_store(run: ScoringRun, settings: ScoringSettings) -> None:
    orders = orders_frame()
    run.order_count = len(orders)
    if orders.empty:
        raise ValueError("there are no orders to score")
    result = score_book(run, settings, orders)
    with transaction.atomic():
        # One run stores at a time: the tier changes compare with the latest tiers.
        ScoringSettings.objects.select_for_update().filter(pk=settings.pk).first()
        store_result(run, result)


def record_failure(run: ScoringRun, exc: BaseException) -> None:
    run.account_count = run.change_count = 0
    run.pareto, run.clv_params = {}, {}
    save_failure(run, exc)


def store_result(run: ScoringRun, result: Any) -> None:
    customers: pd.DataFrame = result.customers
    known = set(Account.objects.values_list("pk", flat=True))
    scores = [
        score_row(run, row)
        for row in customers.to_dict("records")
        if whole(row["customer_id"]) in known
    ]
    AccountScore.objects.bulk_create(scores, batch_size=1000)
    run.change_count = record_tier_changes(run, {s.account_id: s.tier for s in scores})
    run.account_count = len(scores)
    run.warnings = [note_record(w) for w in getattr(result, "warnings", [])]
    run.pareto = pareto_summary(getattr(result, "pareto", None))
    run.clv_params = clv_summary(getattr(result, "clv", None))
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    audit.record(
        actor=run.actor,
        action=AuditAction.CREATE,
        instance=run,
        changes=audit.created(
            {
                "as_of": run.as_of,
                "accounts": run.account_count,
                "tier_changes": run.change_count,
            }
        ),
        account_id=None,
        source="scoring",
    )


def number(value: Any) -> float | None:
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


def whole(value: Any) -> int | None:
    found = number(value)
    return None if found is None else int(found)


def score_row(run: ScoringRun, row: dict[str, Any]) -> AccountScore:
    breakdown = {
        name.removeprefix("score_"): number(value)
        for name, value in row.items()
        if name.startswith("score_")
    }
    tier = str(row.get("tier") or Tier.BASIC)
    lifecycle = str(row.get("lifecycle") or "")
    return AccountScore(
        run=run,
        account_id=int(float(row["customer_id"])),
        frequency=number(row.get("frequency")) or 0.0,
        recency=number(row.get("recency")) or 0.0,
        T=number(row.get("T")) or 0.0,
        monetary=number(row.get("monetary")) or 0.0,
        total_revenue=number(row.get("total_revenue")) or 0.0,
        r_score=whole(row.get("r_score")),
        f_score=whole(row.get("f_score")),
        m_score=whole(row.get("m_score")),
        rfm_code=str(row.get("rfm_code") or "")[:10],
        rfm_segment=str(row.get("rfm_segment") or "")[:40],
        p_alive=number(row.get("p_alive")),
        expected_purchases=number(row.get("expected_purchases")),
        expected_spend=number(row.get("expected_spend")),
        clv=number(row.get("clv")),
        score=number(row.get("score")),
        breakdown=breakdown,
        tier=tier if tier in Tier.values else Tier.BASIC,
        tier_reason=str(row.get("tier_reason") or ""),
        tier_reason_code=str(row.get("tier_reason_code") or "")[:40],
        lifecycle=lifecycle if lifecycle in Lifecycle.values else "",
    )


def effective_tiers(account_ids: Any = None) -> dict[int, str]:
    """Account id -> its effective tier now (the latest TierChange says it)."""
    latest = TierChange.objects.filter(account=OuterRef("pk")).order_by("-at", "-id")
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    rows = accounts.annotate(tier=Subquery(latest.values("to_tier")[:1])).values_list("pk", "tier")
    return {pk: tier for pk, tier in rows if tier}


def active_overrides() -> dict[int, TierOverride]:
    return {o.account_id: o for o in TierOverride.objects.filter(cleared_at__isnull=True)}


def record_tier_changes(run: ScoringRun, computed: dict[int, str]) -> int:
    before = effective_tiers()
    overrides = active_overrides()
    now = timezone.now()
    changes = []
    for account_id, tier in computed.items():
        effective = overrides[account_id].tier if account_id in overrides else tier
        if before.get(account_id) != effective:
            changes.append(
                TierChange(
                    account_id=account_id,
                    from_tier=before.get(account_id, ""),
                    to_tier=effective,
                    at=now,
                    run=run,
                    actor=None,
                    reason="",
                )
            )
    TierChange.objects.bulk_create(changes, batch_size=1000)
    return len(changes)


def plain_json(value: Any) -> Any:
    """Results of the engine (dataclasses, numpy numbers, frames) as JSON-safe values."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return number(value)
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return plain_json(value.item())
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain_json(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [plain_json(r) for r in value.to_dict("records")]
    if isinstance(value, pd.Series):
        return {str(k): plain_json(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {name: plain_json(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def clv_summary(clv: Any) -> dict[str, Any]:
    """The fitted parameters and their standard errors (not the per-customer arrays)."""
    if clv is None:
        return {}
    names = (
        "bgnbd_params",
        "bgnbd_standard_errors",
        "gamma_gamma_params",
        "gamma_gamma_standard_errors",
        "warnings",
        "horizon",
        "time_unit_days",
        "annual_discount_rate",
    )
    return {name: plain_json(getattr(clv, name, None)) for name in names}


def pareto_summary(report: Any) -> dict[str, Any]:
    if report is None:
        return {}
    revenue = report.revenue
    return {
        "customers": int(revenue.n_customers),
        "total": number(revenue.total),
        "top_shares": {f"{k:g}": number(v) for k, v in revenue.top_shares.items()},
        "gini": number(revenue.gini),
        "hhi": number(revenue.hhi),
        "abc": {str(k): int(v) for k, v in revenue.classes.value_counts().items()},
        "curve": downsample(revenue.curve),
    }


def downsample(curve: pd.DataFrame, points: int = CURVE_POINTS) -> list[list[float]]:
    if curve.empty:
        return []
    step = max(1, len(curve) // points)
    picked = curve.iloc[::step]
    if picked.index[-1] != curve.index[-1]:
        picked = pd.concat([picked, curve.iloc[[-1]]])
    return [
        [round(float(x), 4), round(float(y), 4)]
        for x, y in zip(picked["customer_share"], picked["value_share"], strict=True)
    ]


# --- questions the pages ask ------------------------------------------------------------


def latest_run() -> ScoringRun | None:
    return ScoringRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-pk").first()


def failed_run() -> ScoringRun | None:
    """The latest run, when it failed (the pages then show the run before it)."""
    last = ScoringRun.objects.exclude(status=RunStatus.QUEUED).order_by("-pk").first()
    return last if last is not None and last.status == RunStatus.FAILED else None


def latest_score(account: Account) -> AccountScore | None:
    return (
        AccountScore.objects.filter(account=account, run__status=RunStatus.SUCCEEDED)
        .select_related("run")
        .order_by("-run_id")
        .first()
    )


def active_override(account: Account) -> TierOverride | None:
    return (
        TierOverride.objects.filter(account=account, cleared_at__isnull=True)
        .select_related("actor")
        .first()
    )


def current_tier(account: Account) -> str | None:
    """The effective tier: an active override, else the latest computed tier."""
    override = active_override(account)
    if override is not None:
        return override.tier
    score = latest_score(account)
    return score.tier if score is not None else None


def tier_history(account: Account) -> QuerySet[TierChange]:
    return TierChange.objects.filter(account=account).select_related("actor", "run")


def segment_name(code: str) -> str:
    """An RFM segment's name in the language of the page."""
    from kam_analytics.models.rfm import RFM_SEGMENTS

    segment = RFM_SEGMENTS.get(code)
    if segment is None:
        return code
    return segment.name_zh if (get_language() or "").startswith("zh") else segment.name_en


def segment_description(code: str) -> str:
    from kam_analytics.models.rfm import RFM_SEGMENTS

    segment = RFM_SEGMENTS.get(code)
    if segment is None:
        return ""
    zh = (get_language() or "").startswith("zh")
    return segment.description_zh if zh else segment.description_en


@dataclass
class BreakdownRow:
    label: str
    value: float | None
    weight: float | None


def breakdown_rows(score: AccountScore, weights: dict[str, float]) -> list[BreakdownRow]:
    labels = dict(Criterion.choices)
    return [
        BreakdownRow(str(labels.get(name, name)), value, weights.get(name))
        for name, value in score.breakdown.items()
    ]


def measure_value(score: AccountScore, measure: str) -> float:
    if measure == RankingMeasure.SCORE:
        return score.score or 0.0
    if measure == RankingMeasure.REVENUE:
        return score.total_revenue
    return score.clv or 0.0


def tier_explanation(score: AccountScore, override: TierOverride | None) -> str:
    """Why the account has its tier, in a sentence of the page's language."""
    if override is not None:
        return _(
            "Set by hand to %(tier)s by %(who)s on %(when)s: %(reason)s. "
            "The computed tier is %(computed)s."
        ) % {
            "tier": Tier(override.tier).label,
            "who": override.actor or _("someone"),
            "when": timezone.localtime(override.at).date().isoformat(),
            "reason": override.reason,
            "computed": Tier(score.tier).label,
        }
    run = score.run
    measure = str(run.config.get("ranking_measure", RankingMeasure.CLV))
    if measure not in RankingMeasure.values:
        measure = RankingMeasure.CLV
    mine = measure_value(score, measure)
    field_name = {"clv": "clv", "score": "score", "revenue": "total_revenue"}[measure]
    better = AccountScore.objects.filter(run=run, **{f"{field_name}__gt": mine}).count()
    total = run.account_count or AccountScore.objects.filter(run=run).count()
    shares = run.config.get("tier_shares", {})
    facts = {
        "rank": better + 1,
        "total": total,
        "measure": RankingMeasure(measure).label,
        "diamond": percent(shares.get("diamond")),
        "core": percent(shares.get("core")),
        "potential": percent(shares.get("potential")),
    }
    code = score.tier_reason_code
    if score.tier == Tier.DIAMOND:
        text = _(
            "Diamond: rank %(rank)s of %(total)s by %(measure)s, within the top %(diamond)s "
            "of accounts."
        )
    elif score.tier == Tier.CORE:
        text = _(
            "Core: rank %(rank)s of %(total)s by %(measure)s, within the next %(core)s "
            "of accounts after the diamond ones."
        )
    elif score.tier == Tier.POTENTIAL and code == "potential_growth_observed":
        text = _(
            "Potential: rank %(rank)s of %(total)s by %(measure)s, not a top account, but a "
            "growth candidate: probably still buying, and it brought in more in the last "
            "period than in the one before."
        )
    elif score.tier == Tier.POTENTIAL:
        text = _(
            "Potential: rank %(rank)s of %(total)s by %(measure)s, not a top account, but a "
            "growth candidate: probably still buying, and the model predicts more value over "
            "the horizon than the account brought in the last equal period."
        )
    elif code == "basic_below_potential_cutoff":
        text = _(
            "Basic: rank %(rank)s of %(total)s by %(measure)s; a growth candidate, but below "
            "the cut-off of the potential tier (the top %(potential)s of accounts by predicted "
            "value uplift)."
        )
    elif code == "basic_low_p_alive":
        text = _(
            "Basic: rank %(rank)s of %(total)s by %(measure)s; probably no longer buying "
            "(low P(alive))."
        )
    elif code == "basic_not_growing":
        text = _(
            "Basic: rank %(rank)s of %(total)s by %(measure)s; it brought in no more in the "
            "last period than in the one before."
        )
    else:
        text = _(
            "Basic: rank %(rank)s of %(total)s by %(measure)s; not a top account, and no more "
            "value is predicted for the horizon than in the last equal period."
        )
    return text % facts


def percent(value: Any) -> str:
    found = number(value)
    return "—" if found is None else f"{found:.0%}"


def account_value_context(user: User, account: Account) -> dict[str, Any]:
    """What the account page's value section shows (the account is visible to `user`)."""
    history = list(tier_history(account)[:20])
    rating = AccountRating.objects.filter(account=account).select_related("updated_by").first()
    # Every scored or hand-tiered account has tier history: without it there is no more
    # to ask (and the account page stays within its query budget).
    score = latest_score(account) if history else None
    override = active_override(account) if history else None
    tier = override.tier if override else (score.tier if score else None)
    value: dict[str, Any] = {
        "score": score,
        "tier": tier,
        "tier_label": Tier(tier).label if tier else "",
        "override": override,
        "tier_history": history,
        "rating": rating,
        "rated_criteria": rating_rows(rating),
        "may_override": may_override_tier(user, account),
        "may_rate": not user.is_read_only,
        "tier_choices": Tier.choices,
    }
    if score is not None:
        settings = ScoringSettings.objects.filter(pk=1).first() or ScoringSettings()
        value.update(
            explanation=tier_explanation(score, override),
            breakdown=breakdown_rows(score, settings.weights),
            segment_name=segment_name(score.rfm_segment),
            segment_description=segment_description(score.rfm_segment),
            lifecycle_label=Lifecycle(score.lifecycle).label if score.lifecycle else "",
            horizon=horizon_words(score.run),
        )
    return {"value": value}


def horizon_words(run: ScoringRun) -> str:
    """'52 weeks', '12 months', '365 days' in the page's language."""
    n = run.horizon
    if run.time_unit == TimeUnit.DAY:
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    if run.time_unit == TimeUnit.MONTH:
        return ngettext("%(n)s month", "%(n)s months", n) % {"n": n}
    return ngettext("%(n)s week", "%(n)s weeks", n) % {"n": n}


def rating_rows(rating: AccountRating | None) -> list[tuple[str, str, int | None]]:
    labels = dict(Criterion.choices)
    return [
        (name, str(labels[c]), getattr(rating, name) if rating else None)
        for c, name in RATING_FIELDS.items()
    ]


@dataclass
class TierRow:
    tier: str
    label: str
    accounts: int = 0
    revenue: float = 0.0
    clv: float = 0.0


@dataclass
class Portfolio:
    run: ScoringRun | None
    accounts: int = 0
    revenue: float = 0.0
    clv: float = 0.0
    tiers: list[TierRow] = field(default_factory=list)
    top_shares: dict[str, float | None] = field(default_factory=dict)
    gini: float | None = None
    hhi: float | None = None
    curve: list[list[float]] = field(default_factory=list)
    top_by_clv: list[AccountScore] = field(default_factory=list)
    movements: list[TierChange] = field(default_factory=list)
    upgrades: int = 0
    downgrades: int = 0
    warnings: list[str] = field(default_factory=list)  # in the active language


def visible_scores(user: User, run: ScoringRun) -> QuerySet[AccountScore]:
    return AccountScore.objects.filter(
        run=run, account__in=visible_accounts(user).values("pk")
    ).select_related("account")


def portfolio_summary(user: User) -> Portfolio:
    """The value of the accounts `user` sees, from the latest successful run."""
    from kam_analytics.models.pareto import concentration

    run = latest_run()
    summary = Portfolio(run=run)
    if run is None:
        return summary
    scores = list(visible_scores(user, run))
    overrides = active_overrides()
    rows = {t: TierRow(str(t), str(label)) for t, label in Tier.choices}
    for score in scores:
        tier = overrides[score.account_id].tier if score.account_id in overrides else score.tier
        score.effective_tier = tier  # type: ignore[attr-defined]
        score.effective_tier_label = Tier(tier).label  # type: ignore[attr-defined]
        row = rows[Tier(tier)]
        row.accounts += 1
        row.revenue += score.total_revenue
        row.clv += score.clv or 0.0
    summary.tiers = list(rows.values())
    summary.accounts = len(scores)
    summary.revenue = sum(s.total_revenue for s in scores)
    summary.clv = sum(s.clv or 0.0 for s in scores)
    summary.top_by_clv = sorted(scores, key=lambda s: s.clv or 0.0, reverse=True)[:10]
    if scores:
        totals = pd.Series(
            [s.total_revenue for s in scores], index=[s.account_id for s in scores], dtype=float
        )
        found = concentration(totals)
        summary.top_shares = {f"{k:.0%}": number(v) for k, v in found.top_shares.items()}
        summary.gini = number(found.gini)
        summary.hhi = number(found.hhi)
        summary.curve = downsample(found.curve)
    summary.movements = list(tier_movements(user, run)[:50])
    directions = Counter(m.direction for m in summary.movements)
    summary.upgrades, summary.downgrades = directions["up"], directions["down"]
    summary.warnings = render_notes(run.warnings)
    return summary


def tier_movements(user: User, since_run: ScoringRun) -> QuerySet[TierChange]:
    """Upgrades and downgrades of visible accounts from `since_run` on (first tiers left out)."""
    return (
        TierChange.objects.filter(
            at__gte=since_run.started_at, account__in=visible_accounts(user).values("pk")
        )
        .exclude(from_tier="")
        .select_related("account", "actor")
    )


@dataclass
class RfmCell:
    r: int
    f: int
    accounts: int = 0
    revenue: float = 0.0
    segment_code: str = ""
    segment: str = ""
    heat: float = 0.0


@dataclass
class RfmSegmentTotal:
    code: str
    name: str
    accounts: int = 0
    revenue: float = 0.0


def rfm_grid(user: User) -> tuple[ScoringRun | None, list[list[RfmCell]]]:
    """R (rows, 5 at the top) by F (columns) counts and revenue of the visible accounts.

    Counted in the database: one grouped query, whatever the size of the book.
    """
    from kam_analytics.models.rfm import RFM_GRID

    run = latest_run()
    grid = [
        [RfmCell(r, f, segment_code=RFM_GRID[r][f - 1]) for f in range(1, 6)]
        for r in range(5, 0, -1)
    ]
    for row in grid:
        for cell in row:
            cell.segment = segment_name(cell.segment_code)
    if run is None:
        return None, grid
    cells = (
        visible_scores(user, run)
        .filter(r_score__range=(1, 5), f_score__range=(1, 5))
        .values("r_score", "f_score")
        .annotate(accounts=Count("id"), revenue=Sum("total_revenue"))
        .order_by()
    )
    for found in cells:
        r, f = int(found["r_score"] or 1), int(found["f_score"] or 1)  # not null: filtered
        cell = grid[5 - r][f - 1]
        cell.accounts = found["accounts"]
        cell.revenue = float(found["revenue"] or 0.0)
    most = max((c.accounts for row in grid for c in row), default=0)
    for row in grid:
        for cell in row:
            cell.heat = round(cell.accounts / most, 2) if most else 0.0
    return run, grid


def rfm_segment_totals(user: User, run: ScoringRun | None) -> list[RfmSegmentTotal]:
    """Accounts and revenue per named RFM segment among the visible accounts of ``run``.

    Every segment is listed (with zeros where it is empty), in the engine's order.
    """
    from kam_analytics.models.rfm import RFM_SEGMENTS

    totals = {code: RfmSegmentTotal(code, segment_name(code)) for code in RFM_SEGMENTS}
    if run is None:
        return list(totals.values())
    found = (
        visible_scores(user, run)
        .exclude(rfm_segment="")
        .values("rfm_segment")
        .annotate(accounts=Count("id"), revenue=Sum("total_revenue"))
        .order_by()
    )
    for row in found:
        total = totals.setdefault(
            row["rfm_segment"], RfmSegmentTotal(row["rfm_segment"], row["rfm_segment"])
        )
        total.accounts = row["accounts"]
        total.revenue = float(row["revenue"] or 0.0)
    return list(totals.values())


def with_value_results(
    accounts: QuerySet[Account],
    *,
    tier: str = "",
    rfm_segment: str = "",
    r_score: int | None = None,
    f_score: int | None = None,
    m_score: int | None = None,
    lifecycle: str = "",
) -> QuerySet[Account]:
    """`accounts` with their effective tier now (`effective_tier`: the active override,
    else the computed tier of the latest successful run; None when neither), narrowed to
    those that match every criterion given (empty or None: no criterion).

    An active override wins over the computed tier, as in `current_tier`; the computed
    tier, the scores, the segment and the lifecycle stage are those of the latest
    successful run. It is all subqueries on that run's scores and on the active
    overrides: no extra query, no ids loaded. Without a successful run a score criterion
    matches nothing (a tier still matches the tiers set by hand).
    """
    from django.db.models import Q
    from django.db.models.functions import Coalesce

    run = ScoringRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-pk").values("pk")[:1]
    scores = AccountScore.objects.filter(run_id=Subquery(run)).order_by()
    overrides = TierOverride.objects.filter(cleared_at__isnull=True).order_by()
    accounts = accounts.annotate(
        effective_tier=Coalesce(
            Subquery(overrides.filter(account=OuterRef("pk")).values("tier")[:1]),
            Subquery(scores.filter(account=OuterRef("pk")).values("tier")[:1]),
        )
    )
    if tier:
        computed = scores.filter(tier=tier).exclude(account_id__in=overrides.values("account_id"))
        accounts = accounts.filter(
            Q(pk__in=overrides.filter(tier=tier).values("account_id"))
            | Q(pk__in=computed.values("account_id"))
        )
    measured = {
        name: value
        for name, value in (
            ("rfm_segment", rfm_segment),
            ("r_score", r_score),
            ("f_score", f_score),
            ("m_score", m_score),
            ("lifecycle", lifecycle),
        )
        if value not in (None, "")
    }
    if measured:
        accounts = accounts.filter(pk__in=scores.filter(**measured).values("account_id"))
    return accounts


def rfm_segment_codes() -> list[str]:
    """The codes of the RFM segments, best first (names: `segment_name`)."""
    from kam_analytics.models.rfm import RFM_SEGMENTS

    return list(RFM_SEGMENTS)


# --- the writes ---------------------------------------------------------------------------


class OverrideRefused(ValidationError):
    """An override without a reason, or with an unknown tier."""


@transaction.atomic
def set_tier_override(*, actor: User, account: Account, tier: str, reason: str) -> TierOverride:
    """Set the account's tier by hand; it wins over the computed tier until cleared."""
    require_writer(actor)
    if not may_override_tier(actor, account):
        raise PermissionDenied("only directors and the account's sales manager set tiers")
    reason = (reason or "").strip()
    if tier not in Tier.values:
        raise OverrideRefused(_("Choose one of the tiers."))
    if not reason:
        raise OverrideRefused(_("Say why the tier is set by hand."))
    before = current_tier(account)
    now = timezone.now()
    TierOverride.objects.filter(account=account, cleared_at__isnull=True).update(cleared_at=now)
    override = TierOverride.objects.create(
        account=account, tier=tier, reason=reason, actor=actor, at=now
    )
    if before != tier:
        TierChange.objects.create(
            account=account,
            from_tier=before or "",
            to_tier=tier,
            at=now,
            actor=actor,
            reason=reason,
            is_override=True,
        )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=override,
        changes={"tier": [before, tier], "reason": [None, reason]},
        account_id=account.pk,
    )
    return override


@transaction.atomic
def clear_tier_override(*, actor: User, account: Account) -> None:
    """Return the account to its computed tier."""
    require_writer(actor)
    if not may_override_tier(actor, account):
        raise PermissionDenied("only directors and the account's sales manager set tiers")
    override = active_override(account)
    if override is None:
        return
    override.cleared_at = timezone.now()
    override.save(update_fields=["cleared_at"])
    score = latest_score(account)
    computed = score.tier if score is not None else None
    if computed and computed != override.tier:
        TierChange.objects.create(
            account=account,
            from_tier=override.tier,
            to_tier=computed,
            at=override.cleared_at,
            actor=actor,
            reason=_("Override cleared"),
            is_override=True,
        )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=override,
        changes={"tier": [override.tier, computed], "cleared_at": [None, "now"]},
        account_id=account.pk,
    )


@transaction.atomic
def save_ratings(*, actor: User, account: Account, values: dict[str, int | None]) -> AccountRating:
    """Store the 1-5 ratings of the criteria no data measures (None clears one)."""
    require_writer(actor)
    if not may_rate(actor, account):
        raise PermissionDenied("you may not change this account")
    names = list(RATING_FIELDS.values())
    unknown = set(values) - set(names)
    if unknown:
        raise ValidationError(
            _("Unknown criteria: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 5):
            raise ValidationError({name: _("Rate from 1 to 5, or leave it empty.")})
    rating, created = AccountRating.objects.get_or_create(account=account)
    before = {} if created else audit.snapshot(rating, names)
    for name, value in values.items():
        setattr(rating, name, value)
    rating.updated_by = actor
    rating.updated_at = timezone.now()
    rating.save()
    after = audit.snapshot(rating, names)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=rating,
        changes=audit.created(after) if created else audit.diff(before, after),
        account_id=account.pk,
    )
    return rating


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validated settings values, or ValidationError with a message per field."""
    problems: dict[str, str] = {}
    weights = values.get("weights", {})
    if not isinstance(weights, dict) or set(weights) - set(Criterion.values):
        problems["weights"] = _("Weights are given per criterion.")
    elif any(number(w) is None or number(w) < 0 for w in weights.values()):  # type: ignore[operator]
        problems["weights"] = _("Weights are numbers of 0 or more.")
    elif sum(float(w) for w in weights.values()) <= 0:
        problems["weights"] = _("At least one weight must be above 0.")
    shares = values.get("tier_shares", {})
    if not isinstance(shares, dict) or set(shares) != set(Tier.values):
        problems["tier_shares"] = _("Give a share for every tier.")
    elif any(number(s) is None or not 0 <= number(s) <= 1 for s in shares.values()):  # type: ignore[operator]
        problems["tier_shares"] = _("Tier shares are between 0 and 1.")
    elif abs(sum(float(s) for s in shares.values()) - 1.0) > 0.001:
        problems["tier_shares"] = _("Tier shares must add up to 100%.")
    if values.get("ranking_measure") not in RankingMeasure.values:
        problems["ranking_measure"] = _("Choose a ranking measure.")
    if values.get("time_unit") not in TimeUnit.values:
        problems["time_unit"] = _("Choose a time unit.")
    horizon = values.get("horizon")
    if not isinstance(horizon, int) or not 1 <= horizon <= 10000:
        problems["horizon"] = _("The horizon is a whole number of time units, 1 or more.")
    rate = number(values.get("discount_rate"))
    if rate is None or not 0 <= rate < 1:
        problems["discount_rate"] = _("The annual discount rate is between 0 and 1 (0.1 is 10%).")
    if not problems:
        from kam_analytics.config import ConfigError

        try:
            engine_config(ScoringSettings(**values))
        except ConfigError as exc:
            problems["weights" if "weights" in str(exc) else "tier_shares"] = str(exc)
    if problems:
        raise ValidationError(problems)
    return values


@transaction.atomic
def save_scoring_settings(*, actor: User, values: dict[str, Any]) -> ScoringSettings:
    """Change how accounts are scored; directors and administrators only."""
    if not is_director(actor):
        raise PermissionDenied("only directors and administrators change scoring settings")
    settings = ScoringSettings.load()
    merged = {**run_settings(settings), **values}
    check_settings(merged)
    before = run_settings(settings)
    for name in before:
        setattr(settings, name, merged[name])
    settings.weights = {k: float(v) for k, v in settings.weights.items()}
    settings.tier_shares = {k: float(v) for k, v in settings.tier_shares.items()}
    settings.discount_rate = float(settings.discount_rate)
    settings.updated_by = actor
    settings.updated_at = timezone.now()
    settings.save()
    after = run_settings(settings)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=settings,
        changes={k: [before[k], v] for k, v in after.items() if before[k] != v},
        account_id=None,
    )
    return settings
