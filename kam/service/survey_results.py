"""Satisfaction results (SVC-3): answers, response rate, CSAT and NPS over a period, by
tier, by owner and by month; the low scores with their follow-ups, the latest comments,
an account's summary and the export of the answers.

Definitions (docs/how-to/satisfaction.md):

* answers: surveys answered in the period;
* response rate: of the surveys asked in the period (requests not withdrawn), the share
  answered;
* CSAT: the average of the 1–5 answers, and the share satisfied (4 or 5);
* NPS: promoters (9–10) % minus detractors (0–6) %, of the 0–10 answers (−100 … 100).

Tier and owner are the account's *now* (its effective tier, basic without one; its owner).
Everything is restricted to the accounts the user sees.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core.models import User
from kam.insights.models import Tier
from kam.relations.services import day_end, day_start
from kam.service.models import Survey, SurveyRequest
from kam.service.surveys import nps_group, open_requests, visible_requests, visible_surveys

DEFAULT_MONTHS = 12
LIST_ROWS = 50
COMMENT_ROWS = 10
ACCOUNT_ROWS = 5


def month_start(day: dt.date, back: int = 0) -> dt.date:
    """The first day of the month `back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    return month_start(today, DEFAULT_MONTHS - 1), today


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    month = month_start(start)
    while month <= end:
        months.append(month)
        month = month_start(month, -1)
    return months


@dataclass
class SatisfactionFilters:
    start: dt.date
    end: dt.date  # inclusive
    kind: str = ""  # ticket, relationship or "" for both
    tier: str = ""
    owner: str = ""  # the account owner's username
    q: str = ""  # part of the account's name
    account: int | None = None

    @classmethod
    def default(cls, today: dt.date | None = None, **kwargs: Any) -> SatisfactionFilters:
        start, end = default_period(today)
        return cls(start=start, end=end, **kwargs)


# --- the figures --------------------------------------------------------------------------------


@dataclass
class Figures:
    answers: int = 0
    requested: int = 0
    answered: int = 0  # of the requests asked in the period
    csat_count: int = 0
    csat_sum: int = 0
    satisfied: int = 0  # CSAT 4–5
    nps_count: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    low: int = 0

    def add_answer(self, csat: int | None, nps: int | None, low: bool) -> None:
        self.answers += 1
        self.low += low
        if csat is not None:
            self.csat_count += 1
            self.csat_sum += csat
            self.satisfied += csat >= 4
        group = nps_group(nps)
        if group:
            self.nps_count += 1
            setattr(self, f"{group}s", getattr(self, f"{group}s") + 1)

    def add_request(self, answered: bool) -> None:
        self.requested += 1
        self.answered += answered

    @property
    def response_rate(self) -> float | None:
        """Answered / asked, in percent (None when nothing was asked)."""
        return 100 * self.answered / self.requested if self.requested else None

    @property
    def csat_avg(self) -> float | None:
        return self.csat_sum / self.csat_count if self.csat_count else None

    @property
    def satisfied_pct(self) -> float | None:
        return 100 * self.satisfied / self.csat_count if self.csat_count else None

    @property
    def promoters_pct(self) -> float | None:
        return 100 * self.promoters / self.nps_count if self.nps_count else None

    @property
    def detractors_pct(self) -> float | None:
        return 100 * self.detractors / self.nps_count if self.nps_count else None

    @property
    def nps(self) -> float | None:
        if not self.nps_count:
            return None
        return 100 * (self.promoters - self.detractors) / self.nps_count

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None, digits: int) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "answers": self.answers,
            "requested": self.requested,
            "answered": self.answered,
            "response_rate": rounded(self.response_rate, 1),
            "csat_answers": self.csat_count,
            "csat_average": rounded(self.csat_avg, 2),
            "csat_satisfied_pct": rounded(self.satisfied_pct, 1),
            "nps_answers": self.nps_count,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "promoters_pct": rounded(self.promoters_pct, 1),
            "detractors_pct": rounded(self.detractors_pct, 1),
            "nps": rounded(self.nps, 1),
            "low_scores": self.low,
        }


@dataclass
class Breakdown:
    key: str
    label: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class Results:
    filters: SatisfactionFilters
    total: Figures
    by_tier: list[Breakdown]
    by_owner: list[Breakdown]
    by_month: list[Breakdown]
    account_ids: list[int] | None  # the accounts that match the filters (None: all visible)


def is_low_condition() -> Q:
    return Q(csat__lte=settings.KAM_SURVEY_LOW_CSAT) | Q(nps__lte=settings.KAM_SURVEY_LOW_NPS)


def matching_accounts(user: User, filters: SatisfactionFilters) -> QuerySet[Account]:
    accounts = visible_accounts(user)
    if filters.q.strip():
        accounts = accounts.filter(name__icontains=filters.q.strip())
    if filters.owner:
        accounts = accounts.filter(owner__username=filters.owner)
    if filters.account is not None:
        accounts = accounts.filter(pk=filters.account)
    return accounts


def answers_in(user: User, filters: SatisfactionFilters) -> QuerySet[Survey]:
    rows = visible_surveys(user).filter(
        responded_at__gte=day_start(filters.start), responded_at__lt=day_end(filters.end)
    )
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.q.strip() or filters.owner or filters.account is not None:
        rows = rows.filter(account__in=matching_accounts(user, filters))
    return rows


def requests_in(user: User, filters: SatisfactionFilters) -> QuerySet[SurveyRequest]:
    rows = visible_requests(user).filter(
        created_at__gte=day_start(filters.start),
        created_at__lt=day_end(filters.end),
        cancelled_at__isnull=True,
    )
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.q.strip() or filters.owner or filters.account is not None:
        rows = rows.filter(account__in=matching_accounts(user, filters))
    return rows


def with_tier(rows: QuerySet[Any], account_ids: list[int] | None) -> QuerySet[Any]:
    return rows if account_ids is None else rows.filter(account_id__in=account_ids)


def tier_label(code: str) -> str:
    return str(Tier(code).label) if code in Tier.values else code


def owner_label(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def satisfaction_results(user: User, filters: SatisfactionFilters) -> Results:
    """The figures of the period: in total, by tier, by owner and by month (a handful of
    queries whatever the number of answers)."""
    from kam.service.policies import tiers_of

    answers = list(
        answers_in(user, filters).values_list(
            "account_id", "account__owner_id", "responded_at", "csat", "nps"
        )
    )
    asked = list(
        requests_in(user, filters).values_list(
            "account_id", "account__owner_id", "created_at", "survey_id"
        )
    )
    accounts = sorted({row[0] for row in answers} | {row[0] for row in asked})
    tiers = tiers_of(accounts)
    account_ids: list[int] | None = None
    if filters.tier:
        account_ids = [pk for pk in accounts if tiers[pk] == filters.tier]
        wanted = set(account_ids)
        answers = [row for row in answers if row[0] in wanted]
        asked = [row for row in asked if row[0] in wanted]
    total = Figures()
    by_tier = {tier.value: Breakdown(tier.value, str(tier.label)) for tier in Tier}
    by_owner: dict[int, Breakdown] = {}
    months = {
        m: Breakdown(m.strftime("%Y-%m"), m.strftime("%Y-%m"))
        for m in months_between(filters.start, filters.end)
    }
    low_csat, low_nps = settings.KAM_SURVEY_LOW_CSAT, settings.KAM_SURVEY_LOW_NPS

    def parts(account_id: int, owner_id: int, at: dt.datetime) -> Iterator[Figures]:
        yield total
        yield by_tier[tiers[account_id]].figures
        yield by_owner.setdefault(owner_id, Breakdown(str(owner_id), "")).figures
        month = months.get(month_start(timezone.localdate(at)))
        if month is not None:
            yield month.figures

    for account_id, owner_id, at, csat, nps in answers:
        low = (csat is not None and csat <= low_csat) or (nps is not None and nps <= low_nps)
        for figures in parts(account_id, owner_id, at):
            figures.add_answer(csat, nps, low)
    for account_id, owner_id, at, survey_id in asked:
        for figures in parts(account_id, owner_id, at):
            figures.add_request(survey_id is not None)
    owners = {u.pk: u for u in User.objects.filter(pk__in=list(by_owner))}
    for key, entry in by_owner.items():
        owner = owners.get(key)
        entry.key = owner.username if owner else ""
        entry.label = owner_label(owner)
    return Results(
        filters=filters,
        total=total,
        by_tier=[b for b in by_tier.values() if b.figures.answers or b.figures.requested],
        by_owner=sorted(
            by_owner.values(), key=lambda b: (-b.figures.answers, b.label.lower(), b.key)
        ),
        by_month=list(months.values()),
        account_ids=account_ids,
    )


def low_scores(user: User, results: Results, limit: int = LIST_ROWS) -> list[Survey]:
    """The period's low scores, newest first, with their follow-ups."""
    rows = with_tier(answers_in(user, results.filters), results.account_ids)
    return list(
        rows.filter(is_low_condition())
        .select_related("account", "contact", "ticket", "follow_up__owner", "recorded_by")
        .order_by("-responded_at", "-pk")[:limit]
    )


def latest_comments(user: User, results: Results, limit: int = COMMENT_ROWS) -> list[Survey]:
    rows = with_tier(answers_in(user, results.filters), results.account_ids)
    return list(
        rows.exclude(comment="")
        .select_related("account", "contact", "ticket")
        .order_by("-responded_at", "-pk")[:limit]
    )


def answer_rows(user: User, results: Results) -> QuerySet[Survey]:
    """The answers the figures count, newest first (for the export and the API)."""
    rows = with_tier(answers_in(user, results.filters), results.account_ids)
    return rows.select_related(
        "account__owner", "contact", "ticket", "recorded_by", "follow_up__owner"
    ).order_by("-responded_at", "-pk")


# --- an account's section -----------------------------------------------------------------------


@dataclass
class AccountSatisfaction:
    figures: Figures
    latest: list[Survey]
    pending: list[SurveyRequest]
    since: dt.date


def account_satisfaction(user: User, account: Account) -> AccountSatisfaction:
    """The account's last twelve months: figures, the latest answers and the requests
    still waiting for an answer."""
    filters = SatisfactionFilters.default(account=account.pk)
    figures = Figures()
    low_csat, low_nps = settings.KAM_SURVEY_LOW_CSAT, settings.KAM_SURVEY_LOW_NPS
    for csat, nps in answers_in(user, filters).values_list("csat", "nps"):
        figures.add_answer(
            csat,
            nps,
            (csat is not None and csat <= low_csat) or (nps is not None and nps <= low_nps),
        )
    for (survey_id,) in requests_in(user, filters).values_list("survey_id"):
        figures.add_request(survey_id is not None)
    latest = list(
        visible_surveys(user)
        .filter(account=account)
        .select_related("contact", "ticket", "recorded_by", "follow_up")
        .order_by("-responded_at", "-pk")[:ACCOUNT_ROWS]
    )
    pending = list(
        open_requests()
        .filter(account=account)
        .select_related("contact", "ticket")
        .order_by("-created_at", "-pk")[:ACCOUNT_ROWS]
    )
    return AccountSatisfaction(figures, latest, pending, filters.start)


# --- the export -----------------------------------------------------------------------------------

EXPORT_HEADER = [
    "responded_at",
    "kind",
    "account",
    "account_external_id",
    "tier",
    "owner",
    "contact",
    "csat",
    "nps",
    "nps_group",
    "comment",
    "ticket",
    "answered_by",
    "low_score",
    "follow_up_status",
    "follow_up_owner",
    "follow_up_due",
]


def local_text(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def export_rows(rows: QuerySet[Survey]) -> Iterable[list[Any]]:
    from kam.service.policies import tiers_of
    from kam.service.surveys import is_low

    chunk: list[Survey] = []
    for survey in rows.iterator(chunk_size=500):
        chunk.append(survey)
        if len(chunk) == 500:
            yield from _export_chunk(chunk, tiers_of, is_low)
            chunk = []
    yield from _export_chunk(chunk, tiers_of, is_low)


def _export_chunk(chunk: list[Survey], tiers_of: Any, is_low: Any) -> Iterable[list[Any]]:
    tiers = tiers_of(sorted({s.account_id for s in chunk}))
    for survey in chunk:
        follow_up = survey.follow_up
        yield [
            local_text(survey.responded_at),
            survey.kind,
            survey.account.name,
            survey.account.external_id or "",
            tiers.get(survey.account_id, ""),
            survey.account.owner.username,
            survey.contact.name if survey.contact else "",
            survey.csat if survey.csat is not None else "",
            survey.nps if survey.nps is not None else "",
            nps_group(survey.nps),
            survey.comment,
            survey.ticket.number if survey.ticket else "",
            survey.recorded_by.username if survey.recorded_by else "customer",
            "yes" if is_low(survey.csat, survey.nps) else "",
            follow_up.status if follow_up else "",
            follow_up.owner.username if follow_up else "",
            local_text(follow_up.starts_at) if follow_up else "",
        ]


def export_bytes(rows: QuerySet[Survey], fmt: str) -> bytes:
    """The answers as CSV (UTF-8 with BOM, for Excel) or XLSX, as the other exports."""
    from kam.dataio.export import write_csv, write_xlsx

    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(buffer, EXPORT_HEADER, export_rows(rows))
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(text, EXPORT_HEADER, export_rows(rows))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def export_file(rows: QuerySet[Survey], path: Any) -> int:
    """Write the answers to a .csv or .xlsx file; the number of rows."""
    from kam.dataio.export import write_csv, write_xlsx

    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(path, EXPORT_HEADER, export_rows(rows))
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            return write_csv(handle, EXPORT_HEADER, export_rows(rows))
    raise ValueError(f"cannot export to '{path.name}' (expected a file ending in .csv or .xlsx)")


# --- the trend chart ------------------------------------------------------------------------------


@dataclass
class ChartPoint:
    x: float
    y: float
    label: str
    value: str


@dataclass
class TrendChart:
    """An inline SVG of NPS by month (−100 … 100), no script: points and labels."""

    width: int
    height: int
    zero_y: float
    points: list[ChartPoint]
    months: list[ChartPoint]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend_chart(months: list[Breakdown], width: int = 720, height: int = 200) -> TrendChart:
    pad_x, pad_top, pad_bottom = 36, 12, 28
    inner_w, inner_h = width - 2 * pad_x, height - pad_top - pad_bottom
    step = inner_w / max(1, len(months) - 1)

    def y_of(nps: float) -> float:
        return pad_top + (100 - nps) / 200 * inner_h

    points, labels = [], []
    for index, month in enumerate(months):
        x = pad_x + index * step if len(months) > 1 else pad_x + inner_w / 2
        short = month.label if index == 0 or month.label.endswith("-01") else month.label[5:]
        labels.append(ChartPoint(x, height - 8, short, ""))
        nps = month.figures.nps
        if nps is not None:
            points.append(ChartPoint(x, y_of(nps), month.label, f"{nps:.0f}"))
    return TrendChart(width, height, y_of(0), points, labels)
