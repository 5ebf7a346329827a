"""Service KPIs in the REST API (SVC-4): GET /service/kpis, the figures of the web page.

You see what the page shows you: directors, administrators and analysts every person,
department and the company total; a sales manager the people of the team and of their own
department, with the team's and that department's totals; anyone else their own figures
and their department's totals. How each figure is counted: docs/how-to/service-kpis.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema

from kam.core.api import actor
from kam.core.schemas import DATE_SCHEMA, ERRORS_READ, NO_NUL, _query_schema, iso_date
from kam.insights.models import Tier
from kam.service.kpis import (
    MAX_DAYS,
    NO_DEPARTMENT,
    Figures,
    KpiFilters,
    KpiReport,
    Row,
    build_report,
    check_period,
    hours,
    rounded,
)
from kam.service.models import TicketKind, TicketPriority

router = Router(tags=["service KPIs"])

Day = Annotated[dt.date, BeforeValidator(iso_date), WithJsonSchema(DATE_SCHEMA)]


class KpiQuery(Schema):
    model_config = ConfigDict(json_schema_extra=_query_schema, populate_by_name=True)

    date_from: Day | None = Field(
        None,
        alias="from",
        description="First day of the period (YYYY-MM-DD, the installation's time zone). "
        "Default: the first day of the third full month before this one.",
    )
    date_to: Day | None = Field(
        None,
        alias="to",
        description=f"Last day of the period, included; on or after `from`, at most "
        f"{MAX_DAYS} days in all. Default: today when `from` is given, else the last day "
        "of last month.",
    )
    kind: TicketKind | None = Field(None, description="Only requests, or only complaints.")
    priority: TicketPriority | None = Field(None, description="Only tickets of this priority.")
    tier: Tier | None = Field(None, description="Only tickets served under this tier's targets.")
    department: str | None = Field(
        None,
        max_length=40,
        pattern=NO_NUL,
        description="Only the rows of this department (its code), or `none` for people "
        "without a department. An unknown code matches nobody. The company total stays.",
    )


class KpiPeriodOut(Schema):
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    days: int
    current: bool = Field(
        description="The period reaches today: its figures still move, and the backlog is "
        "the open tickets now."
    )


class KpiGoalsOut(Schema):
    within_target_pct: int = Field(
        description="Goal for the shares within target and SLA attainment (at least)."
    )
    reopen_rate_pct: int = Field(description="Goal for the reopen rate (at most).")
    csat_satisfied_pct: int = Field(description="Goal for the share of CSAT 4–5 (at least).")
    nps: int = Field(description="Goal for the net promoter score (at least).")


class KpiFiguresOut(Schema):
    received: int = Field(description="Tickets recorded in the period (credited to the recorder).")
    resolved: int = Field(
        description="Tickets resolved in the period, each once at its last resolution in the "
        "period, credited to the owner then (tickets handled)."
    )
    backlog: int = Field(description="Tickets open at the end of the period (or now).")
    backlog_overdue: int = Field(description="Of the backlog, those with a clock past target.")
    first_responses: int = Field(description="First responses given in the period.")
    response_median_hours: float | None = Field(
        description="Median first-response time in working hours of the ticket's SLA clock."
    )
    response_mean_hours: float | None
    response_target_median_hours: float | None = Field(
        description="Median of those tickets' own first-response targets."
    )
    response_within_target_pct: float | None
    resolution_median_hours: float | None = Field(
        description="Median resolution time of the resolved tickets, working hours, paused "
        "time (waiting for the customer, resolved before a reopen) excluded."
    )
    resolution_mean_hours: float | None
    resolution_target_median_hours: float | None
    resolution_within_target_pct: float | None
    sla_attained: int = Field(description="Resolved tickets that met both of their targets.")
    sla_attainment_pct: float | None
    response_breaches: int = Field(
        description="First-response clocks whose target ran out in the period, still running."
    )
    resolution_breaches: int = Field(
        description="Resolution clocks whose target ran out in the period, still running."
    )
    escalations: int = Field(
        description="Clocks escalated to a manager or to the directors in the period."
    )
    escalations_to_directors: int
    resolutions: int = Field(
        description="Resolutions given in the period (a ticket may count twice)."
    )
    reopened: int = Field(description="Of those resolutions, the ones reopened since.")
    reopen_rate_pct: float | None
    handovers_out: int
    handovers_in: int
    survey_answers: int = Field(
        description="Surveys after a ticket answered in the period, credited to the owner at "
        "the ticket's last resolution before the answer."
    )
    csat_answers: int
    csat_average: float | None = Field(description="Average CSAT, 1–5.")
    csat_satisfied_pct: float | None = Field(description="Share of CSAT answers of 4 or 5.")
    nps_answers: int
    nps: float | None = Field(description="% promoters (9–10) − % detractors (0–6).")
    below_goal: list[str] = Field(
        description="The figures that miss their goal: response_within_target_pct, "
        "resolution_within_target_pct, sla_attainment_pct, reopen_rate_pct, "
        "csat_satisfied_pct, nps."
    )


class KpiRowOut(Schema):
    level: str = Field(description="company, department, team or person.")
    key: str = Field(
        description="The department's code (`none`: no department), the team's name, the "
        "person's username; empty for the company."
    )
    name: str
    department: str | None = Field(description="A person's department (its code).")
    figures: KpiFiguresOut


class KpiOut(Schema):
    period: KpiPeriodOut
    made_at: dt.datetime = Field(description="The moment the figures were counted.")
    goals: KpiGoalsOut
    total: KpiRowOut | None = Field(
        description="The company (directors, administrators and analysts only)."
    )
    groups: list[KpiRowOut] = Field(
        description="Departments (everyone's), or your department and your team."
    )
    people: list[KpiRowOut]


GOAL_NAMES = {
    "response_within": "response_within_target_pct",
    "resolution_within": "resolution_within_target_pct",
    "sla_attainment": "sla_attainment_pct",
    "reopen_rate": "reopen_rate_pct",
    "csat_satisfied": "csat_satisfied_pct",
    "nps_score": "nps",
}


def figures_out(figures: Figures, judged: dict[str, str]) -> dict[str, Any]:
    f = figures
    return {
        "received": f.received,
        "resolved": f.resolved,
        "backlog": f.backlog,
        "backlog_overdue": f.backlog_overdue,
        "first_responses": f.responses,
        "response_median_hours": hours(f.response_median),
        "response_mean_hours": hours(f.response_mean),
        "response_target_median_hours": hours(f.response_target_median),
        "response_within_target_pct": rounded(f.response_within),
        "resolution_median_hours": hours(f.resolution_median),
        "resolution_mean_hours": hours(f.resolution_mean),
        "resolution_target_median_hours": hours(f.resolution_target_median),
        "resolution_within_target_pct": rounded(f.resolution_within),
        "sla_attained": f.sla_attained,
        "sla_attainment_pct": rounded(f.sla_attainment),
        "response_breaches": f.response_breaches,
        "resolution_breaches": f.resolution_breaches,
        "escalations": f.escalations,
        "escalations_to_directors": f.escalations_to_directors,
        "resolutions": f.resolutions,
        "reopened": f.reopened,
        "reopen_rate_pct": rounded(f.reopen_rate),
        "handovers_out": f.handovers_out,
        "handovers_in": f.handovers_in,
        "survey_answers": f.answers,
        "csat_answers": len(f.csat),
        "csat_average": rounded(f.csat_average, 2),
        "csat_satisfied_pct": rounded(f.csat_satisfied),
        "nps_answers": len(f.nps),
        "nps": rounded(f.nps_score),
        "below_goal": [GOAL_NAMES[name] for name, state in judged.items() if state == "below"],
    }


def row_out(row: Row) -> dict[str, Any]:
    return {
        "level": row.level,
        "key": row.key,
        "name": row.label,
        "department": (row.department_code or NO_DEPARTMENT) if row.level == "person" else None,
        "figures": figures_out(row.figures, row.judged),
    }


def report_out(report: KpiReport) -> dict[str, Any]:
    goals = report.goals
    return {
        "period": {
            "from": report.period.first,
            "to": report.period.last,
            "days": report.period.days,
            "current": report.is_current,
        },
        "made_at": report.made_at,
        "goals": {
            "within_target_pct": goals.within_target,
            "reopen_rate_pct": goals.reopened,
            "csat_satisfied_pct": goals.satisfied,
            "nps": goals.nps,
        },
        "total": row_out(report.total) if report.total is not None else None,
        "groups": [row_out(row) for row in report.groups],
        "people": [row_out(row) for row in report.people],
    }


@router.get(
    "/service/kpis",
    response={200: KpiOut, **ERRORS_READ},
    by_alias=True,
    summary="Service KPIs per department and per person over a period",
    description="Tickets handled, first-response and resolution times against their "
    "targets (working hours of each ticket's SLA clock), SLA attainment, breaches, "
    "escalations, reopens, handovers and satisfaction. Each figure is credited to whoever "
    "owned the ticket at the moment that counts (tickets are handed over). A period that "
    "ends before it begins, or is longer than the limit, answers 422 naming the field.",
)
def read_kpis(request: HttpRequest, query: Query[KpiQuery]) -> dict[str, Any]:
    user = actor(request)
    period = check_period(query.date_from, query.date_to)
    filters = KpiFilters(
        kind=query.kind or "",
        priority=query.priority or "",
        tier=query.tier or "",
        department=query.department or "",  # an unknown code matches nobody
    )
    return report_out(build_report(user, period, filters))
