"""Risk in the REST API (RISK-1, 2, 4, 5): the watch list, an account's latest risks, and
risk runs.

A risk run started here is queued for the task worker (`kam worker`): the answer is 202
with the queued run, and GET /risk-runs/{id} tells when it has finished. Reasons come in
English and Chinese (`reasons_en`, `reasons_zh`), as the models word them.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kam.accounts.services import get_account_for_user
from kam.core.api import actor
from kam.core.run_views import queue_or_conflict, run_or_404
from kam.core.schemas import ERRORS_ONE, ERRORS_READ, NO_NUL, ErrorOut, PageParams, RecordId
from kam.insights.models import RunStatus, Tier
from kam.risk.models import (
    AccountRisk,
    ChurnBand,
    CreditFlag,
    RiskLevel,
    RiskRun,
    RiskTrigger,
    RiskType,
    Severity,
)
from kam.risk.services import (
    latest_account_risk,
    latest_run,
    may_check_risks,
    queue_risk_run,
    shown_warnings,
    watch_list,
)

router = Router(tags=["risk"])

# 409: a run is queued or running already.
ERRORS_START = {401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Reasons = list[str]


class RiskRunOut(Schema):
    id: int
    status: RunStatus
    trigger: RiskTrigger = Field(description="After a scoring run, on request, or kam risk.")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    as_of: dt.date
    scoring_run_id: int | None = Field(description="The scoring run it followed, if any.")
    account_count: int
    at_risk_count: int = Field(description="Accounts with at least one type of risk.")
    order_count: int
    payment_count: int
    warnings: list[str] = Field(description="What the models could not measure, in words.")
    error: str
    churn_model: dict[str, Any] = Field(
        description="The churn model: method (logistic, or rules with too little history), "
        "training figures, coefficients and, when trained, 'evaluation': AUC, top-decile "
        "lift, Brier score and calibration measured out of time on the windows before."
    )

    @staticmethod
    def resolve_warnings(run: RiskRun) -> list[str]:
        return shown_warnings(run)  # in the request's language


class ChurnOut(Schema):
    probability: float | None = Field(description="P(no purchase in the next 180 days).")
    band: ChurnBand
    reasons_en: Reasons
    reasons_zh: Reasons


class CreditOut(Schema):
    flag: CreditFlag
    open_receivables: float
    overdue_amount: float
    ageing: dict[str, float] = Field(
        description="Open receivables by days past due: current, overdue_1_30, overdue_31_60, "
        "overdue_61_90, overdue_over_90."
    )
    max_days_past_due: int
    dso_days: float | None
    delay_trend_days: float | None = Field(
        description="Mean days late of the last 90 days minus that of the 90 days before."
    )
    credit_limit: float | None
    utilisation: float | None = Field(description="Open receivables / credit limit.")
    reasons_en: Reasons
    reasons_zh: Reasons


class RelationshipOut(Schema):
    severity: Severity
    flags: list[str]
    reasons_en: Reasons
    reasons_zh: Reasons


class AnomaliesOut(Schema):
    count: int = Field(description="Unusual orders (and discounts) of the last 90 days.")
    latest: dt.date | None
    reasons_en: Reasons = Field(description="Of the latest ones, newest first.")
    reasons_zh: Reasons


class AccountRiskOut(Schema):
    account_id: int
    account: str = Field(description="The account's name.")
    external_id: str | None
    owner: str = Field(description="The owner's username.")
    run_id: int
    as_of: dt.date
    level: RiskLevel
    risk_types: list[RiskType]
    tier: Tier | None = Field(description="The effective tier when the risks were checked.")
    revenue_at_stake: float = Field(description="Revenue of the 12 months up to as_of.")
    churn: ChurnOut | None = Field(description="Empty for accounts without orders.")
    credit: CreditOut | None = Field(description="Empty without payments or a credit limit.")
    relationship: RelationshipOut | None
    anomalies: AnomaliesOut

    @staticmethod
    def resolve_account(risk: AccountRisk) -> str:
        return risk.account.name

    @staticmethod
    def resolve_external_id(risk: AccountRisk) -> str | None:
        return risk.account.external_id

    @staticmethod
    def resolve_owner(risk: AccountRisk) -> str:
        return risk.account.owner.username

    @staticmethod
    def resolve_as_of(risk: AccountRisk) -> dt.date:
        return risk.run.as_of

    @staticmethod
    def resolve_risk_types(risk: AccountRisk) -> list[str]:
        return risk.risk_types()

    @staticmethod
    def resolve_tier(risk: AccountRisk) -> str | None:
        return risk.tier or None

    @staticmethod
    def resolve_churn(risk: AccountRisk) -> dict[str, Any] | None:
        if not risk.churn_band:
            return None
        return {
            "probability": risk.churn_probability,
            "band": risk.churn_band,
            "reasons_en": risk.churn_reasons_en,
            "reasons_zh": risk.churn_reasons_zh,
        }

    @staticmethod
    def resolve_credit(risk: AccountRisk) -> dict[str, Any] | None:
        if not risk.credit_flag:
            return None
        return {
            "flag": risk.credit_flag,
            "open_receivables": risk.open_receivables,
            "overdue_amount": risk.overdue_amount,
            "ageing": risk.ageing,
            "max_days_past_due": risk.max_days_past_due,
            "dso_days": risk.dso_days,
            "delay_trend_days": risk.delay_trend_days,
            "credit_limit": risk.credit_limit,
            "utilisation": risk.utilisation,
            "reasons_en": risk.credit_reasons_en,
            "reasons_zh": risk.credit_reasons_zh,
        }

    @staticmethod
    def resolve_relationship(risk: AccountRisk) -> dict[str, Any] | None:
        if not risk.relationship_severity:
            return None
        return {
            "severity": risk.relationship_severity,
            "flags": risk.relationship_flags,
            "reasons_en": risk.relationship_reasons_en,
            "reasons_zh": risk.relationship_reasons_zh,
        }

    @staticmethod
    def resolve_anomalies(risk: AccountRisk) -> dict[str, Any]:
        return {
            "count": risk.anomaly_count,
            "latest": risk.latest_anomaly,
            "reasons_en": risk.anomaly_reasons_en,
            "reasons_zh": risk.anomaly_reasons_zh,
        }


class AccountRisksOut(Schema):
    account_id: int
    latest: AccountRiskOut | None = Field(description="From the latest successful risk run.")


class WatchListOut(Schema):
    count: int = Field(description="How many accounts at risk match, on all pages together.")
    run: RiskRunOut | None = Field(description="The latest successful risk run, if any.")
    items: list[AccountRiskOut]


class WatchListFilters(PageParams):
    risk_type: RiskType | None = Field(None, description="Only this type of risk (default: any).")
    level: RiskLevel | None = Field(None, description="Only this overall risk level.")
    tier: Tier | None = Field(None, description="The effective tier when checked.")
    owner: str | None = Field(
        None, max_length=150, pattern=NO_NUL, description="The owner's username."
    )
    sort: Literal["-at_stake", "at_stake", "-probability", "probability"] = Field(
        "-at_stake",
        description="By revenue at stake or churn probability; '-' for largest first.",
    )


@router.get(
    "/risk/watch-list",
    response={200: WatchListOut, **ERRORS_READ},
    summary="Accounts at risk that you can see",
    description="From the latest successful risk run, sorted by revenue at stake (largest "
    "first) unless asked otherwise. Without a risk run the list is empty.",
)
def read_watch_list(request: HttpRequest, filters: Query[WatchListFilters]) -> dict[str, Any]:
    user = actor(request)
    run = latest_run()
    rows, _sort = watch_list(
        user,
        run,
        risk_type=filters.risk_type or "",
        level=filters.level or "",
        tier=filters.tier or "",
        owner=filters.owner or "",
        sort=filters.sort,
    )
    start = filters.offset
    items = list(rows.select_related("run")[start : start + filters.limit])
    return {"count": rows.count(), "run": run, "items": items}


@router.get(
    "/accounts/{account_id}/risk",
    response={200: AccountRisksOut, **ERRORS_ONE},
    summary="An account's latest risks",
)
def account_risk(request: HttpRequest, account_id: RecordId) -> dict[str, Any]:
    account = get_account_for_user(actor(request), account_id)
    found = latest_account_risk(account)
    if found is not None:
        found.account = account
    return {"account_id": account.pk, "latest": found}


@router.post(
    "/risk-runs",
    response={202: RiskRunOut, **ERRORS_START},
    summary="Queue a risk check of the whole book (directors and administrators)",
    description="Queues the run for the task worker and answers 202 with it (status "
    "'queued'); poll GET /api/risk-runs/{id} until its status is 'succeeded' or 'failed' "
    "(with the error). One run at a time: 409 while another is queued or running. With "
    "KAM_TASKS_BACKEND=immediate the run has finished when the answer comes.",
)
def start_risk_run(request: HttpRequest) -> Status[RiskRun]:
    user = actor(request)
    if not may_check_risks(user):
        raise PermissionDenied("only directors and administrators check risks")
    return Status(202, queue_or_conflict(partial(queue_risk_run, actor=user), "risk-runs"))


@router.get(
    "/risk-runs/{run_id}",
    response={200: RiskRunOut, **ERRORS_ONE},
    summary="One risk run and its status",
    description="The status is 'queued' until the task worker starts the run, then "
    "'running', then 'succeeded' or 'failed' (see error).",
)
def read_risk_run(request: HttpRequest, run_id: RecordId) -> RiskRun:
    actor(request)
    return run_or_404(RiskRun, run_id)
