"""The service KPI page (SVC-4): per department and per person over a period, with its
filters, links into the ticket list, and the export of both tables.

Views parse input and call kam.service.kpis, which decides whose figures the user sees.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kam.core.views import EXPORT_FORMATS, AuthedRequest, list_template, login_required
from kam.dataio.records import RecordInvalid
from kam.service.kpi_forms import KpiFilterForm
from kam.service.kpis import (
    PERSON,
    KpiReport,
    KpiScope,
    Row,
    build_report,
    default_period,
    export_bytes,
    export_name,
    kpi_scope,
    preset_periods,
    sort_people,
    visible_departments,
)


def filter_form(request: AuthedRequest, scope: KpiScope) -> KpiFilterForm:
    return KpiFilterForm(
        request.GET,
        departments=visible_departments(request.user, scope),
        everyone=scope.everyone,
        period=default_period(timezone.localdate()),
    )


def ticket_links(report: KpiReport, row: Row) -> dict[str, str]:
    """Links into the ticket list for a person's figures: the tickets they own that were
    resolved in the period; and, for a period that reaches today, their open and overdue
    tickets now."""
    if row.level != PERSON:
        return {}
    base = reverse("tickets:list")
    filters = report.filters
    common = {
        "owner": row.key,
        **{
            name: value
            for name, value in (
                ("kind", filters.kind),
                ("priority", filters.priority),
                ("tier", filters.tier),
            )
            if value
        },
    }
    links = {
        "owner": f"{base}?{urlencode({'owner': row.key})}",
        "resolved": f"{base}?"
        + urlencode(
            {
                **common,
                "resolved_from": report.period.first.isoformat(),
                "resolved_to": report.period.last.isoformat(),
            }
        ),
    }
    if report.is_current:
        links["backlog"] = f"{base}?{urlencode({**common, 'status': 'open'})}"
        links["overdue"] = f"{base}?{urlencode({**common, 'sla': 'breached'})}"
    return links


DEFAULT = "last_3_months"


def presets(request: AuthedRequest) -> list[dict[str, Any]]:
    """One-click periods, keeping the other filters."""
    out = []
    asked = (request.GET.get("from"), request.GET.get("to"))
    for code, label, period in preset_periods(timezone.localdate()):
        params = request.GET.copy()
        params["from"], params["to"] = period.first.isoformat(), period.last.isoformat()
        out.append(
            {
                "code": code,
                "label": label,
                "query": params.urlencode(),
                "current": asked == (params["from"], params["to"])
                or (asked == (None, None) and code == DEFAULT),
            }
        )
    return out


@login_required
@require_GET
def kpi_page(request: AuthedRequest) -> HttpResponse:
    scope = kpi_scope(request.user)
    form = filter_form(request, scope)
    context: dict[str, Any] = {"form": form, "presets": presets(request), "sort": ""}
    try:
        period, filters, sort = form.choice()
    except RecordInvalid as problem:
        context["problems"] = problem.problems
        # htmx swaps only successful answers: the filter bar's request gets the message
        # with 200, a page load 422.
        status = 200 if request.htmx else 422
    else:
        report = build_report(request.user, period, filters, scope=scope)
        people, sort = sort_people(report.people, sort)
        shown = request.GET.copy()
        shown["from"], shown["to"] = period.first.isoformat(), period.last.isoformat()
        form.data = shown
        context.update(
            {
                "report": report,
                "headline": report.headline,
                "groups": [(row, {}) for row in report.groups],
                "people": [(row, ticket_links(report, row)) for row in people],
                "sort": sort,
                "goals": report.goals,
            }
        )
        status = 200
    template = list_template(request, "service/kpis.html", "service/_kpi_results.html")
    return render(request, template, context, status=status)


@login_required
@require_GET
def kpi_export(request: AuthedRequest) -> HttpResponse:
    scope = kpi_scope(request.user)
    form = filter_form(request, scope)
    try:
        period, filters, _sort = form.choice()
    except RecordInvalid as problem:
        text = "; ".join(f"{p.column}: {p.message}" for p in problem.problems)
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    report = build_report(request.user, period, filters, scope=scope)
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    response = HttpResponse(export_bytes(report, fmt), content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export_name(report, fmt)}"'
    return response
