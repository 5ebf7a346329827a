"""Service policy pages (SVC-1): the four tiers' policies side by side with their
history, a tier's policy form (directors), the business calendar the SLA clocks count in
(working week, hours, holidays and make-up days), and the account page's section that
says which policy serves the account."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.services import get_account_for_user
from kam.core.views import AuthedRequest, list_template, login_required
from kam.dataio.records import RecordInvalid
from kam.insights.models import Tier
from kam.service.clock import WorkCalendar
from kam.service.forms import (
    WEEKDAYS,
    CalendarForm,
    DayForm,
    HolidayFileForm,
    PolicyForm,
    human_duration,
    human_surveys,
    human_visits,
)
from kam.service.models import BusinessCalendar, CalendarDay, DayKind, ServicePolicy
from kam.service.policies import (
    CalendarImport,
    account_policy,
    all_policies,
    calendar_days,
    calendar_history,
    calendar_years,
    check_calendar_rows,
    delete_calendar_day,
    import_calendar,
    load_bundled_holidays,
    may_change_policies,
    parse_weekdays,
    policy_for_tier,
    policy_history,
    require_policy_writer,
    save_calendar,
    save_policy,
    tier_counts,
    work_calendar,
    working_day_minutes,
    write_calendar_days,
)


@dataclass
class PolicyColumn:
    """One tier's policy as the table shows it."""

    policy: ServicePolicy
    accounts: int
    first_response: str
    resolution: str
    visits: str
    surveys: str = ""


def policy_columns(policies: list[ServicePolicy], counts: dict[str, int]) -> list[PolicyColumn]:
    per_day = working_day_minutes()
    return [
        PolicyColumn(
            policy=policy,
            accounts=counts.get(policy.tier, 0),
            first_response=human_duration(policy.first_response_minutes, policy.clock, per_day),
            resolution=human_duration(policy.resolution_minutes, policy.clock, per_day),
            visits=human_visits(policy.visit_interval_days),
            surveys=human_surveys(policy.survey_interval_days),
        )
        for policy in policies
    ]


@login_required
def policies_page(request: AuthedRequest) -> HttpResponse:
    """Everyone signed in reads the policies; directors and administrators change them."""
    counts, untiered = tier_counts(request.user)
    policies = all_policies()
    context = {
        "columns": policy_columns(policies, counts),
        "untiered": untiered,
        "may_edit": may_change_policies(request.user),
        "history": list(policy_history()),
        "working_day": human_duration(working_day_minutes(), "always", 0),
    }
    return render(request, "service/policies.html", context)


def tier_or_404(tier: str) -> str:
    if tier not in Tier.values:
        raise Http404("No such tier")
    return tier


@login_required
def policy_edit(request: AuthedRequest, tier: str) -> HttpResponse:
    policy = policy_for_tier(tier_or_404(tier))
    require_policy_writer(request.user)
    per_day = working_day_minutes()
    if request.method == "POST":
        form = PolicyForm(request.POST, working_day_minutes=per_day)
        if form.is_valid():
            try:
                save_policy(actor=request.user, policy=policy, values=form.values())
            except RecordInvalid as problem:
                form.show_problems(problem)
            else:
                messages.success(
                    request,
                    _("The service policy of the %(tier)s tier was saved.")
                    % {"tier": policy.get_tier_display()},
                )
                return redirect("service:policies")
    else:
        form = PolicyForm(initial=PolicyForm.initial_of(policy), working_day_minutes=per_day)
    context = {"form": form, "policy": policy, "working_day_minutes": per_day}
    return render(request, "service/policy_form.html", context)


# --- the business calendar ----------------------------------------------------------------


@dataclass
class MonthView:
    first: dt.date
    weeks: list[list[dict[str, Any] | None]] = field(default_factory=list)


def month_views(year: int, work: WorkCalendar, names: dict[dt.date, str]) -> list[MonthView]:
    """Twelve small months: each day working, off (weekend), a holiday or a make-up day."""
    months = []
    weeks_of = month_calendar.Calendar(firstweekday=0).monthdatescalendar
    for month in range(1, 13):
        view = MonthView(first=dt.date(year, month, 1))
        for week in weeks_of(year, month):
            row: list[dict[str, Any] | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                if day in work.workdays:
                    kind = "makeup"
                elif day in work.holidays:
                    kind = "holiday"
                else:
                    kind = "work" if day.weekday() in work.weekdays else "off"
                row.append({"date": day, "kind": kind, "name": names.get(day, "")})
            view.weeks.append(row)
        months.append(view)
    return months


def chosen_year(request: AuthedRequest, years: list[int]) -> int:
    today = timezone.localdate()
    text = request.GET.get("year", "")
    if text.isdigit() and 1900 <= int(text) <= 2199:
        return int(text)
    return today.year if today.year in years or not years else years[-1]


def render_calendar(request: AuthedRequest, status: int = 200, **forms: Any) -> HttpResponse:
    stored = BusinessCalendar.load()
    years = calendar_years()
    year = chosen_year(request, years)
    days = calendar_days(year)
    work = work_calendar()
    try:
        chosen_days = sorted(parse_weekdays(stored.weekdays))
    except ValueError:
        chosen_days = [0, 1, 2, 3, 4]
    context = {
        "stored": stored,
        "weekday_names": [str(name) for number, name in WEEKDAYS if number in chosen_days],
        "working_day": human_duration(working_day_minutes(), "always", 0),
        "years": sorted({*years, year}),
        "year": year,
        "days": days,
        "holiday_count": sum(1 for day in days if day.kind == DayKind.HOLIDAY),
        "workday_count": sum(1 for day in days if day.kind == DayKind.WORKDAY),
        "months": month_views(year, work, {day.date: day.name for day in days}),
        "weekday_abbr": [WEEKDAYS_ABBR[number] for number in range(7)],
        "may_edit": may_change_policies(request.user),
        "calendar_form": forms.get("calendar_form")
        or CalendarForm(initial={"weekdays": chosen_days, "hours": stored.hours}),
        "file_form": forms.get("file_form") or HolidayFileForm(),
        "day_form": forms.get("day_form") or DayForm(),
        "import_problems": forms.get("import_problems") or [],
        "history": list(calendar_history()),
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "service/calendar.html", context, status=status)


@login_required
def calendar_page(request: AuthedRequest) -> HttpResponse:
    return render_calendar(request)


@login_required
@require_POST
def calendar_week(request: AuthedRequest) -> HttpResponse:
    require_policy_writer(request.user)
    form = CalendarForm(request.POST)
    if form.is_valid():
        weekdays = ",".join(str(day) for day in form.cleaned_data["weekdays"])
        try:
            save_calendar(actor=request.user, weekdays=weekdays, hours=form.cleaned_data["hours"])
        except RecordInvalid as problem:
            form.show_problems(problem)
        else:
            messages.success(request, _("The working week and hours were saved."))
            return redirect("service:calendar")
    return render_calendar(request, calendar_form=form)


def imported_text(result: CalendarImport) -> str:
    return _(
        "Imported: %(created)s days added, %(updated)s changed, %(unchanged)s already there."
    ) % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@login_required
@require_POST
def calendar_import(request: AuthedRequest) -> HttpResponse:
    require_policy_writer(request.user)
    form = HolidayFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_calendar(request, file_form=form)
    upload = form.cleaned_data["file"]
    try:
        result = import_calendar(actor=request.user, data=upload.read(), filename=upload.name)
    except RecordInvalid as problem:
        return render_calendar(request, file_form=form, import_problems=problem.problems)
    messages.success(request, imported_text(result))
    return redirect("service:calendar")


@login_required
@require_POST
def calendar_load_cn(request: AuthedRequest) -> HttpResponse:
    require_policy_writer(request.user)
    result = load_bundled_holidays(actor=request.user)
    messages.success(request, imported_text(result))
    return redirect(f"{reverse('service:calendar')}?year=2026")


@login_required
@require_POST
def calendar_add_day(request: AuthedRequest) -> HttpResponse:
    require_policy_writer(request.user)
    form = DayForm(request.POST)
    if not form.is_valid():
        return render_calendar(request, day_form=form)
    data = form.cleaned_data
    raw = {"date": data["date"].isoformat(), "kind": data["kind"], "name": data["name"]}
    try:
        rows = check_calendar_rows([(None, "", raw)])
    except RecordInvalid as problem:
        for name, message in problem.by_field().items():
            form.add_error(name if name in form.fields else None, message)
        return render_calendar(request, day_form=form)
    write_calendar_days(actor=request.user, rows=rows, source="web")
    messages.success(request, _("%(date)s was saved.") % {"date": data["date"].isoformat()})
    return redirect(f"{reverse('service:calendar')}?year={data['date'].year}")


@login_required
@require_POST
def calendar_delete_day(request: AuthedRequest, day: str) -> HttpResponse:
    require_policy_writer(request.user)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("No such day") from None
    if not CalendarDay.objects.filter(date=date).exists():
        raise Http404("No such day")
    delete_calendar_day(actor=request.user, day=date)
    messages.success(request, _("%(date)s was removed.") % {"date": date.isoformat()})
    return redirect(f"{reverse('service:calendar')}?year={date.year}")


# --- the account page's section -----------------------------------------------------------


@login_required
def account_policy_section(request: AuthedRequest, pk: int) -> HttpResponse:
    """Which policy serves an account: the part of the account page that loads after it
    (htmx), so the page itself costs no query more."""
    account = get_account_for_user(request.user, pk)
    found = account_policy(account)
    per_day = working_day_minutes()
    policy = found.policy
    context = {
        "account": account,
        "service_policy": found,
        "first_response": human_duration(policy.first_response_minutes, policy.clock, per_day),
        "resolution": human_duration(policy.resolution_minutes, policy.clock, per_day),
        "visits": human_visits(policy.visit_interval_days),
    }
    template = list_template(request, "service/account_policy.html", "service/_account_policy.html")
    return render(request, template, context)
