"""Risk runs and the watch list: the writes that matter, and the questions the pages, the
API and the command line ask about many rows.

A risk run checks the whole book (the churn model learns from every account); visibility
applies when the results are shown. The figures come from `kam.insights.risk`, the only
way to the risk models of kam_analytics.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial, reduce
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core import audit
from kam.core.models import AuditAction, User
from kam.core.runs import (
    RunBusy,
    claim_queued,
    enqueue_or_fail,
    guarded,
    make_run,
    refuse_while_busy,
    save_failure,
)
from kam.insights import risk as bridge
from kam.insights.models import RunStatus, ScoringRun, ScoringSettings, Tier
from kam.insights.notes import render_notes
from kam.insights.services import effective_tiers, is_director
from kam.risk.models import (
    LEVEL_RANK,
    AccountRisk,
    ChurnBand,
    CreditFlag,
    RiskLevel,
    RiskRun,
    RiskTrigger,
    RiskType,
    Severity,
)

log = logging.getLogger(__name__)

#: An account is on the watch list for a type of risk when its snapshot matches.
TYPE_FILTERS: dict[str, Q] = {
    RiskType.CHURN: Q(churn_band__in=[ChurnBand.MEDIUM, ChurnBand.HIGH]),
    RiskType.CREDIT: Q(credit_flag__in=[CreditFlag.WATCH, CreditFlag.STOP]),
    RiskType.RELATIONSHIP: Q(relationship_severity__in=[Severity.MEDIUM, Severity.HIGH]),
    RiskType.ANOMALY: Q(anomaly_count__gt=0),
}
#: On the watch list at all: any type of risk.
AT_RISK: Q = reduce(operator.or_, TYPE_FILTERS.values())

#: Watch-list orders: revenue at stake (the default) or churn probability, largest first.
SORTS = {"at_stake": "revenue_at_stake", "probability": "churn_probability"}
DEFAULT_SORT = "-at_stake"


# --- who may do what ----------------------------------------------------------------------


def may_check_risks(user: User) -> bool:
    """Directors and administrators start risk runs (as they start scoring runs)."""
    return is_director(user)


def require_checker(user: User | None) -> None:
    if user is not None and not may_check_risks(user):
        raise PermissionDenied("only directors and administrators check risks")


# --- the risk run -------------------------------------------------------------------------


class RiskRunInProgress(RunBusy):
    """Another risk run is queued or running: runs go one at a time."""

    run: RiskRun


def new_run(
    *,
    actor: User | None,
    as_of: dt.date | None,
    status: str,
    trigger: str,
    scoring_run: ScoringRun | None = None,
) -> RiskRun:
    """A run, unless one is under way (RiskRunInProgress). Call inside a transaction."""
    # The one-row settings table is the lock, as for scoring runs: two directors clicking
    # at once, the second waits here and then sees the first run.
    ScoringSettings.load()
    ScoringSettings.objects.select_for_update().filter(pk=1).first()
    refuse_while_busy(RiskRun, RiskRunInProgress)
    run = make_run(
        RiskRun, actor=actor, as_of=as_of, status=status, trigger=trigger, scoring_run=scoring_run
    )
    run.save(force_insert=True)
    return run


def check_risks(
    *,
    actor: User | None,
    as_of: dt.date | None = None,
    trigger: str = RiskTrigger.COMMAND,
    scoring_run: ScoringRun | None = None,
) -> RiskRun:
    """Check every account's risks now, in this process (the command line, and right after
    a scoring run): store the snapshot and return the finished run.

    RiskRunInProgress while another run is queued or running. `actor` None: the system.
    """
    require_checker(actor)
    with transaction.atomic():
        run = new_run(
            actor=actor,
            as_of=as_of,
            status=RunStatus.RUNNING,
            trigger=trigger,
            scoring_run=scoring_run,
        )
    return compute_run(run)


def queue_risk_run(*, actor: User, as_of: dt.date | None = None) -> RiskRun:
    """Queue a risk run for the task worker and return it (status queued); directors and
    administrators only. RiskRunInProgress while another run is queued or running. The
    task is enqueued once the run is committed, so the worker never misses it."""
    if not may_check_risks(actor):
        raise PermissionDenied("only directors and administrators check risks")
    with transaction.atomic():
        run = new_run(
            actor=actor, as_of=as_of, status=RunStatus.QUEUED, trigger=RiskTrigger.REQUEST
        )
        transaction.on_commit(partial(enqueue_run, run))
    run.refresh_from_db()  # with the immediate backend the run has finished already
    return run


def enqueue_run(run: RiskRun) -> None:
    """Hand the run to the task worker (a run the backend refuses fails at once)."""
    from kam.risk.tasks import check_queued_risks

    enqueue_or_fail(check_queued_risks, run, record_failure)


def execute_queued_run(run_id: int) -> RiskRun | None:
    """The task's work: start the queued run and compute it. None when the run is no
    longer queued (it has run already, or someone failed it by hand)."""
    run = claim_queued(RiskRun, run_id)
    return None if run is None else compute_run(run)


def compute_run(run: RiskRun) -> RiskRun:
    """Check the book for a running run and store the snapshot.

    A failed run keeps status 'failed' and its error and writes no snapshot; so does an
    interrupted one (Ctrl+C, a worker stopped at once), which goes on being interrupted.
    """
    return guarded(run, partial(check_and_store, run), record_failure)


def check_and_store(run: RiskRun) -> None:
    book = bridge.book_risk(run.as_of)
    with transaction.atomic():
        store_result(run, book)


def record_failure(run: RiskRun, exc: BaseException) -> None:
    run.account_count = run.at_risk_count = 0
    run.churn_model = {}
    save_failure(run, exc)


#: Tiers whose likely churn alone does not make an account high risk: the service centre
#: serves them and a high churn probability there is common (dormant small buyers); the
#: watch list keeps them at medium so that the key accounts' high risks stand out.
CHURN_CAPPED_TIERS = frozenset({Tier.BASIC})


def overall_level(risk: AccountRisk) -> str:
    """High: churn high (medium at a basic-tier account), credit stopped or relationship
    high. Medium: churn medium, credit watch or relationship medium. Low: order anomalies
    or a low relationship severity only. Otherwise none."""
    churn_high = risk.churn_band == ChurnBand.HIGH
    if (
        (churn_high and risk.tier not in CHURN_CAPPED_TIERS)
        or risk.credit_flag == CreditFlag.STOP
        or risk.relationship_severity == Severity.HIGH
    ):
        return RiskLevel.HIGH
    if (
        churn_high
        or risk.churn_band == ChurnBand.MEDIUM
        or risk.credit_flag == CreditFlag.WATCH
        or risk.relationship_severity == Severity.MEDIUM
    ):
        return RiskLevel.MEDIUM
    if risk.anomaly_count > 0 or risk.relationship_severity == Severity.LOW:
        return RiskLevel.LOW
    return RiskLevel.NONE


def snapshot(run: RiskRun, signals: bridge.Signals, tier: str | None) -> AccountRisk:
    risk = AccountRisk(
        run=run,
        account_id=signals.account_id,
        tier=tier if tier in Tier.values else "",
        revenue_at_stake=signals.revenue_12m,
    )
    if signals.churn is not None:
        band = signals.churn["band"]
        risk.churn_probability = signals.churn["probability"]
        risk.churn_band = band if band in ChurnBand.values else ""
        risk.churn_reasons_en = signals.churn["reasons_en"]
        risk.churn_reasons_zh = signals.churn["reasons_zh"]
    if signals.credit is not None:
        credit = signals.credit
        risk.credit_flag = credit["flag"] if credit["flag"] in CreditFlag.values else ""
        risk.open_receivables = credit["open_receivables"]
        risk.overdue_amount = credit["overdue_amount"]
        risk.ageing = credit["ageing"]
        risk.max_days_past_due = max(credit["max_days_past_due"], 0)
        risk.dso_days = credit["dso_days"]
        risk.delay_trend_days = credit["delay_trend_days"]
        risk.credit_limit = credit["credit_limit"]
        risk.utilisation = credit["utilisation"]
        risk.credit_reasons_en = credit["reasons_en"]
        risk.credit_reasons_zh = credit["reasons_zh"]
    if signals.relationship is not None:
        found = signals.relationship
        severity = found["severity"]
        risk.relationship_severity = severity if severity in Severity.values else ""
        risk.relationship_flags = found["flags"]
        risk.relationship_reasons_en = found["reasons_en"]
        risk.relationship_reasons_zh = found["reasons_zh"]
    anomalies = signals.anomalies
    risk.anomaly_count = anomalies["count"]
    risk.latest_anomaly = anomalies["latest"]
    risk.anomaly_reasons_en = anomalies["reasons_en"]
    risk.anomaly_reasons_zh = anomalies["reasons_zh"]
    risk.level = overall_level(risk)
    return risk


def store_result(run: RiskRun, book: bridge.BookRisk) -> None:
    known = set(Account.objects.values_list("pk", flat=True))  # some may be gone by now
    tiers = effective_tiers()
    risks = [
        snapshot(run, signals, tiers.get(pk))
        for pk, signals in book.accounts.items()
        if pk in known
    ]
    AccountRisk.objects.bulk_create(risks, batch_size=1000)
    run.account_count = len(risks)
    run.at_risk_count = sum(1 for r in risks if r.risk_types())
    run.order_count, run.payment_count = book.order_count, book.payment_count
    run.warnings = book.warnings
    run.churn_model = book.churn_model
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    audit.record(
        actor=run.actor,
        action=AuditAction.CREATE,
        instance=run,
        changes=audit.created(
            {"as_of": run.as_of, "accounts": run.account_count, "at_risk": run.at_risk_count}
        ),
        account_id=None,
        source="risk",
    )


def after_scoring(sender: Any, run: ScoringRun, **kwargs: Any) -> RiskRun | None:
    """A scoring run succeeded: check the risks as of its date, right away and in the same
    process (the scoring task's worker, or the command), so the watch list always goes
    with the tiers just computed. Skipped while another risk run is under way."""
    try:
        return check_risks(
            actor=None, as_of=run.as_of, trigger=RiskTrigger.SCORING, scoring_run=run
        )
    except RiskRunInProgress as busy:
        log.info("scoring run %s: no risk check, risk run %s is under way", run.pk, busy.run.pk)
        return None


# --- questions the pages ask --------------------------------------------------------------


def latest_run() -> RiskRun | None:
    return RiskRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-pk").first()


def failed_run() -> RiskRun | None:
    """The latest run, when it failed (the pages then show the run before it)."""
    last = RiskRun.objects.exclude(status=RunStatus.QUEUED).order_by("-pk").first()
    return last if last is not None and last.status == RunStatus.FAILED else None


def visible_risks(user: User, run: RiskRun) -> QuerySet[AccountRisk]:
    """The snapshots of `run` for the accounts `user` sees."""
    return AccountRisk.objects.filter(run=run, account__in=visible_accounts(user).values("pk"))


def watch_list(
    user: User,
    run: RiskRun | None,
    *,
    risk_type: str = "",
    level: str = "",
    tier: str = "",
    owner: str = "",
    sort: str = DEFAULT_SORT,
) -> tuple[QuerySet[AccountRisk], str]:
    """The visible accounts at risk in `run` (any type, or `risk_type`), narrowed to a
    risk level, the tier at the time and the current owner's username; sorted by `sort`
    (a SORTS key, '-' for largest first; nulls last). Returns the rows and the sort used."""
    if run is None:
        return AccountRisk.objects.none(), DEFAULT_SORT
    rows = visible_risks(user, run).filter(TYPE_FILTERS.get(risk_type, AT_RISK))
    if level:
        rows = rows.filter(level=level)
    if tier:
        rows = rows.filter(tier=tier)
    if owner:
        rows = rows.filter(account__owner__username=owner)
    key = sort if sort.lstrip("-") in SORTS else DEFAULT_SORT
    column = F(SORTS[key.lstrip("-")])
    descending = key.startswith("-")
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    rows = rows.order_by(order, "-revenue_at_stake", "pk").select_related(
        "account", "account__owner"
    )
    return rows, key


def latest_account_risk(account: Account) -> AccountRisk | None:
    return (
        AccountRisk.objects.filter(account=account, run__status=RunStatus.SUCCEEDED)
        .select_related("run")
        .order_by("-run_id")
        .first()
    )


@dataclass
class AgeingRow:
    label: str
    amount: float


def ageing_rows(risk: AccountRisk) -> list[AgeingRow]:
    from django.utils.translation import gettext as _

    labels = {
        "current": _("Not yet due"),
        "overdue_1_30": _("1-30 days overdue"),
        "overdue_31_60": _("31-60 days overdue"),
        "overdue_61_90": _("61-90 days overdue"),
        "overdue_over_90": _("Over 90 days overdue"),
    }
    ageing = risk.ageing if isinstance(risk.ageing, dict) else {}
    return [AgeingRow(str(label), float(ageing.get(name) or 0.0)) for name, label in labels.items()]


def account_risk_context(user: User, account: Account) -> dict[str, Any]:
    """What the account page's risk section shows (the account is visible to `user`):
    the latest snapshot of the account, its reasons in the page's language. One query."""
    found = latest_account_risk(account)
    risk: dict[str, Any] = {
        "snapshot": found,
        "run": found.run if found else None,
        "may_check": may_check_risks(user),
    }
    if found is not None:
        risk.update(
            types=found.risk_types(),
            reasons=found.reasons(),
            ageing=ageing_rows(found),
            level_label=RiskLevel(found.level).label,
        )
    return {"risk": risk}


@dataclass
class SummaryRow:
    code: str
    label: str
    accounts: int = 0
    at_stake: float = 0.0


@dataclass
class RiskSummary:
    run: RiskRun | None
    accounts: int = 0
    at_risk: int = 0
    at_stake: float = 0.0
    levels: list[SummaryRow] = field(default_factory=list)
    types: list[SummaryRow] = field(default_factory=list)


def risk_summary(user: User) -> RiskSummary:
    """Accounts at risk and their revenue at stake per risk level and per type, among the
    accounts `user` sees, from the latest successful run. Two queries."""
    run = latest_run()
    summary = RiskSummary(run=run)
    if run is None:
        return summary
    counted: dict[str, Any] = {
        "accounts": Count("pk"),
        "at_risk": Count("pk", filter=AT_RISK),
        "at_stake": Sum("revenue_at_stake", filter=AT_RISK),
    }
    levels = [lv for lv in RiskLevel if lv != RiskLevel.NONE]
    levels.sort(key=lambda lv: -LEVEL_RANK[lv])
    for level in levels:
        where = AT_RISK & Q(level=level)
        counted[f"n_{level}"] = Count("pk", filter=where)
        counted[f"s_{level}"] = Sum("revenue_at_stake", filter=where)
    for kind in RiskType:
        counted[f"n_{kind}"] = Count("pk", filter=TYPE_FILTERS[kind])
        counted[f"s_{kind}"] = Sum("revenue_at_stake", filter=TYPE_FILTERS[kind])
    found = visible_risks(user, run).aggregate(**counted)
    summary.accounts = found["accounts"] or 0
    summary.at_risk = found["at_risk"] or 0
    summary.at_stake = float(found["at_stake"] or 0.0)
    summary.levels = [
        SummaryRow(str(lv), str(lv.label), found[f"n_{lv}"] or 0, float(found[f"s_{lv}"] or 0))
        for lv in levels
    ]
    summary.types = [
        SummaryRow(str(k), str(k.label), found[f"n_{k}"] or 0, float(found[f"s_{k}"] or 0))
        for k in RiskType
    ]
    return summary


# --- the watch list as a file -------------------------------------------------------------

EXPORT_HEADER = [
    "external_id",
    "account",
    "owner",
    "tier",
    "risk_level",
    "risk_types",
    "revenue_at_stake",
    "churn_probability",
    "churn_band",
    "credit_flag",
    "overdue_amount",
    "dso_days",
    "credit_limit_used",
    "relationship_risk",
    "order_anomalies",
    "reasons",
    "as_of",
]


def export_rows(rows: QuerySet[AccountRisk], language: str | None = None) -> Iterator[list[Any]]:
    """One list of cells per watch-list row, in EXPORT_HEADER order; the reasons in
    ``language`` (default: the active one), one per line."""
    language = language or get_language() or "en"
    for risk in rows.select_related("run").iterator(chunk_size=2000):
        account = risk.account
        yield [
            account.external_id or "",
            account.name,
            account.owner.username,
            risk.tier,
            risk.level,
            "; ".join(risk.risk_types()),
            round(risk.revenue_at_stake, 2),
            "" if risk.churn_probability is None else round(risk.churn_probability, 4),
            risk.churn_band,
            risk.credit_flag,
            round(risk.overdue_amount, 2),
            "" if risk.dso_days is None else round(risk.dso_days, 1),
            "" if risk.utilisation is None else round(risk.utilisation, 4),
            risk.relationship_severity,
            risk.anomaly_count,
            "\n".join(risk.reason_lines(language)),
            risk.run.as_of.isoformat(),
        ]


def watch_list_bytes(rows: QuerySet[AccountRisk], fmt: str) -> bytes:
    """The watch list as CSV (UTF-8 with BOM) or XLSX, as the other exports write them."""
    import io

    from kam.dataio.export import write_csv, write_xlsx

    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(buffer, EXPORT_HEADER, export_rows(rows))
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(text, EXPORT_HEADER, export_rows(rows))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def export_watch_list(rows: QuerySet[AccountRisk], out: Path) -> int:
    """Write the watch list to `out`, CSV or XLSX by its extension; returns the row count."""
    from kam.dataio.export import write_csv, write_xlsx

    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(out, EXPORT_HEADER, export_rows(rows))
    if suffix == ".csv":
        # utf-8-sig: Excel opens a CSV with a BOM as UTF-8, so Chinese text survives.
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            return write_csv(handle, EXPORT_HEADER, export_rows(rows))
    raise ValueError(f"cannot export to '{out.name}' (expected a file ending in .csv or .xlsx)")


def shown_warnings(run: RiskRun) -> list[str]:
    """The run's warnings in the active language."""
    return render_notes(run.warnings)
