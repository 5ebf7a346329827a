"""Value insights in the REST API (VAL-4, VAL-6): an account's scores and tier history,
the portfolio summary, and scoring runs.

A scoring run started here is queued for the task worker (`kam worker`): the answer is
202 with the queued run, and GET /scoring-runs/{id} tells when it has finished.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kam.accounts.services import get_account_for_user
from kam.core.api import actor
from kam.core.models import User
from kam.core.run_views import queue_or_conflict, run_or_404
from kam.core.schemas import ERRORS_ONE, ERRORS_READ, ErrorOut, RecordId
from kam.insights.models import (
    AccountScore,
    Lifecycle,
    RunStatus,
    ScoringRun,
    Tier,
    TierChange,
    TimeUnit,
)
from kam.insights.notes import render_notes
from kam.insights.services import (
    active_override,
    is_director,
    latest_score,
    portfolio_summary,
    queue_scoring_run,
    tier_history,
)

router = Router(tags=["insights"])

# 409: a run is queued or running already.
ERRORS_START = {401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ScoringRunOut(Schema):
    id: int
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    as_of: dt.date
    time_unit: TimeUnit
    horizon: int = Field(
        description="How far ahead expected purchases and CLV look, in time units."
    )
    discount_rate: float = Field(description="Annual discount rate of the CLV.")
    account_count: int
    order_count: int
    change_count: int = Field(description="Accounts whose effective tier changed in this run.")
    warnings: list[str] = Field(description="What the models could not estimate, in words.")
    error: str
    pareto: dict[str, Any] = Field(
        description="Top shares, Gini, HHI, ABC counts, the curve of the whole book; empty "
        "for callers who do not see every account."
    )
    clv_params: dict[str, Any] = Field(description="Fitted parameters and standard errors.")

    @staticmethod
    def resolve_warnings(run: ScoringRun) -> list[str]:
        return render_notes(run.warnings)  # in the request's language


class ScoreOut(Schema):
    run_id: int
    as_of: dt.date
    frequency: float
    recency: float
    T: float
    monetary: float
    total_revenue: float
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_code: str
    rfm_segment: str
    p_alive: float | None
    expected_purchases: float | None
    expected_spend: float | None
    clv: float | None
    score: float | None
    breakdown: dict[str, float | None] = Field(description="Criterion -> its score, 0 to 1.")
    tier: Tier = Field(description="The computed tier of this run.")
    tier_reason: str
    lifecycle: Lifecycle | None

    @staticmethod
    def resolve_as_of(score: AccountScore) -> dt.date:
        return score.run.as_of

    @staticmethod
    def resolve_lifecycle(score: AccountScore) -> str | None:
        return score.lifecycle or None


class OverrideOut(Schema):
    tier: Tier
    reason: str
    by: str | None
    at: dt.datetime


class TierChangeOut(Schema):
    from_tier: Tier | None
    to_tier: Tier
    at: dt.datetime
    run_id: int | None
    by: str | None
    reason: str
    is_override: bool

    @staticmethod
    def resolve_from_tier(change: TierChange) -> str | None:
        return change.from_tier or None

    @staticmethod
    def resolve_by(change: TierChange) -> str | None:
        return change.actor.username if change.actor else None


class AccountScoresOut(Schema):
    account_id: int
    tier: Tier | None = Field(description="The effective tier: set by hand, else computed.")
    override: OverrideOut | None
    latest: ScoreOut | None = Field(description="The latest successful run's score.")
    tier_history: list[TierChangeOut] = Field(description="Newest first.")


class TierOut(Schema):
    tier: Tier
    accounts: int
    revenue: float
    clv: float


class PortfolioOut(Schema):
    run: ScoringRunOut | None = Field(description="The latest successful run, if any.")
    accounts: int = Field(description="Scored accounts you can see.")
    revenue: float
    clv: float
    tiers: list[TierOut]
    top_shares: dict[str, float | None] = Field(description="'20%' -> share of revenue.")
    gini: float | None
    hhi: float | None
    upgrades: int
    downgrades: int
    warnings: list[str]


@router.get(
    "/accounts/{account_id}/scores",
    response={200: AccountScoresOut, **ERRORS_ONE},
    summary="An account's latest score and tier history",
)
def account_scores(request: HttpRequest, account_id: RecordId) -> dict[str, Any]:
    account = get_account_for_user(actor(request), account_id)
    score = latest_score(account)
    override = active_override(account)
    tier = override.tier if override else (score.tier if score else None)
    return {
        "account_id": account.pk,
        "tier": tier,
        "override": None
        if override is None
        else {
            "tier": override.tier,
            "reason": override.reason,
            "by": override.actor.username if override.actor else None,
            "at": override.at,
        },
        "latest": score,
        "tier_history": list(tier_history(account)[:100]),
    }


@router.get(
    "/portfolio",
    response={200: PortfolioOut, **ERRORS_READ},
    summary="Value of the accounts you can see, by tier",
)
def portfolio(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    summary = portfolio_summary(user)
    return {
        "run": shown_run(user, summary.run) if summary.run else None,
        "accounts": summary.accounts,
        "revenue": summary.revenue,
        "clv": summary.clv,
        "tiers": [vars(row) for row in summary.tiers],
        "top_shares": summary.top_shares,
        "gini": summary.gini,
        "hhi": summary.hhi,
        "upgrades": summary.upgrades,
        "downgrades": summary.downgrades,
        "warnings": summary.warnings,
    }


@router.post(
    "/scoring-runs",
    response={202: ScoringRunOut, **ERRORS_START},
    summary="Queue a scoring of the whole book (directors and administrators)",
    description="Queues the run for the task worker and answers 202 with it (status "
    "'queued'); poll GET /api/scoring-runs/{id} until its status is 'succeeded' or 'failed' "
    "(with the error). One run at a time: 409 while another is queued or running. With "
    "KAM_TASKS_BACKEND=immediate the run has finished when the answer comes.",
)
def start_scoring_run(request: HttpRequest) -> Status[ScoringRun]:
    user = actor(request)
    if not is_director(user):
        raise PermissionDenied("only directors and administrators start scoring runs")
    run = queue_or_conflict(partial(queue_scoring_run, actor=user), "scoring-runs")
    return Status(202, shown_run(user, run))


@router.get(
    "/scoring-runs/{run_id}",
    response={200: ScoringRunOut, **ERRORS_ONE},
    summary="One scoring run and its status",
    description="The status is 'queued' until the task worker starts the run, then "
    "'running', then 'succeeded' or 'failed' (see error).",
)
def read_scoring_run(request: HttpRequest, run_id: RecordId) -> ScoringRun:
    user = actor(request)
    return shown_run(user, run_or_404(ScoringRun, run_id))


def shown_run(user: User, run: ScoringRun) -> ScoringRun:
    """The run as `user` may see it: the whole book's concentration only for those who
    see every account."""
    if not user.sees_all_accounts:
        run.pareto = {}
    return run
