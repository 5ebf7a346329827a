"""Service policies per tier and the business calendar: reading them, changing them
(directors, audited), importing holidays, and what follows a tier change.

The seeds' defaults (first response diamond 1 h, core 4 h, potential 24 h, basic 48 h;
dedicated team / dedicated account manager / shared account manager / service centre)
are written by the migration that creates the table; an account without a tier yet is
served under the basic policy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kam.accounts.models import Account
from kam.core import audit
from kam.core.models import AuditAction, AuditEvent, Role, User
from kam.dataio.records import Problem, RecordInvalid
from kam.insights.models import Tier
from kam.insights.services import current_tier, effective_tiers
from kam.service.clock import WorkCalendar, format_hours, parse_hours
from kam.service.models import BusinessCalendar, CalendarDay, ClockKind, DayKind, ServicePolicy

#: The seeds' table (差异化服务策略), with resolution targets and visit intervals added.
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    Tier.DIAMOND: {
        "first_response_minutes": 60,
        "resolution_minutes": 8 * 60,
        "service_model": "dedicated_team",
        "visit_interval_days": 30,
        "survey_interval_days": 90,
        "customisation": "Fully customised solutions and service",
        "discount_ceiling": Decimal("15"),
    },
    Tier.CORE: {
        "first_response_minutes": 4 * 60,
        "resolution_minutes": 24 * 60,
        "service_model": "dedicated_manager",
        "visit_interval_days": 90,
        "survey_interval_days": 180,
        "customisation": "High-quality standard service, partly customised",
        "discount_ceiling": Decimal("10"),
    },
    Tier.POTENTIAL: {
        "first_response_minutes": 24 * 60,
        "resolution_minutes": 72 * 60,
        "service_model": "shared_manager",
        "visit_interval_days": 180,
        "survey_interval_days": 365,
        "customisation": "Quality standard service",
        "discount_ceiling": Decimal("5"),
    },
    Tier.BASIC: {
        "first_response_minutes": 48 * 60,
        "resolution_minutes": 120 * 60,
        "service_model": "service_centre",
        "visit_interval_days": None,
        "survey_interval_days": None,
        "customisation": "Basic standard service",
        "discount_ceiling": Decimal("0"),
    },
}
#: The tier whose policy serves accounts that have none yet.
FALLBACK_TIER = Tier.BASIC

POLICY_FIELDS = [
    "first_response_minutes",
    "resolution_minutes",
    "clock",
    "service_model",
    "visit_interval_days",
    "survey_interval_days",
    "customisation",
    "discount_ceiling",
]


def may_change_policies(user: User) -> bool:
    return user.is_active and (
        user.is_superuser or user.role in {Role.ADMINISTRATOR, Role.DIRECTOR}
    )


def require_policy_writer(user: User) -> None:
    if not may_change_policies(user):
        raise PermissionDenied("only directors and administrators change service policies")


def ensure_policies() -> None:
    """Write the default policy of any tier that has none (a fresh database, a test)."""
    for tier, values in DEFAULT_POLICIES.items():
        ServicePolicy.objects.get_or_create(tier=tier, defaults=values)


def all_policies() -> list[ServicePolicy]:
    """Every tier's policy, diamond first (the migration writes them; a tier found missing
    gets its default first)."""
    found = {policy.tier: policy for policy in ServicePolicy.objects.all()}
    if len(found) < len(DEFAULT_POLICIES):
        ensure_policies()
        found = {policy.tier: policy for policy in ServicePolicy.objects.all()}
    return [found[tier.value] for tier in Tier if tier.value in found]


def policy_for_tier(tier: str | None) -> ServicePolicy:
    tier = tier or FALLBACK_TIER
    found = ServicePolicy.objects.filter(tier=tier).first()
    if found is None:
        ensure_policies()
        found = ServicePolicy.objects.get(tier=tier)
    return found


def account_tier(account: Account) -> str:
    """The account's effective tier (an override wins), basic when it has none yet."""
    return current_tier(account) or FALLBACK_TIER


def policy_for_account(account: Account) -> ServicePolicy:
    return policy_for_tier(account_tier(account))


def tiers_of(account_ids: list[int]) -> dict[int, str]:
    """Effective tiers of many accounts at once (basic for those without one)."""
    found = effective_tiers(account_ids)
    return {pk: found.get(pk) or FALLBACK_TIER for pk in account_ids}


@dataclass
class PolicyChange:
    policy: ServicePolicy
    changes: dict[str, list[Any]]


def clean_policy(values: dict[str, Any]) -> dict[str, Any]:
    """Check a policy's editable values; RecordInvalid names each bad field."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    for name in ("first_response_minutes", "resolution_minutes"):
        clean[name] = _whole(values.get(name), name, problems, low=1, high=525_600)
    interval = values.get("visit_interval_days")
    clean["visit_interval_days"] = (
        None
        if interval in (None, "")
        else _whole(interval, "visit_interval_days", problems, 1, 3660)
    )
    if "survey_interval_days" in values:  # left out: it keeps its value
        surveys = values.get("survey_interval_days")
        clean["survey_interval_days"] = (
            None
            if surveys in (None, "")
            else _whole(surveys, "survey_interval_days", problems, 1, 3660)
        )
    clock = str(values.get("clock") or ClockKind.BUSINESS)
    if clock not in ClockKind.values:
        problems.append(Problem(None, "clock", f"expected one of {', '.join(ClockKind.values)}"))
    clean["clock"] = clock
    model = str(values.get("service_model") or "")
    from kam.service.models import ServiceModel

    if model not in ServiceModel.values:
        problems.append(
            Problem(None, "service_model", f"expected one of {', '.join(ServiceModel.values)}")
        )
    clean["service_model"] = model
    clean["customisation"] = str(values.get("customisation") or "").strip()
    clean["discount_ceiling"] = _percent(values.get("discount_ceiling"), problems)
    if (
        isinstance(clean["first_response_minutes"], int)
        and isinstance(clean["resolution_minutes"], int)
        and clean["resolution_minutes"] < clean["first_response_minutes"]
    ):
        problems.append(
            Problem(None, "resolution_minutes", "expected at least the first response target")
        )
    if problems:
        raise RecordInvalid(problems)
    return clean


def _whole(value: Any, name: str, problems: list[Problem], low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        problems.append(Problem(None, name, f"expected a whole number from {low} to {high}"))
        return None
    if not low <= number <= high:
        problems.append(Problem(None, name, f"expected a whole number from {low} to {high}"))
        return None
    return number


def _percent(value: Any, problems: list[Problem]) -> Decimal | None:
    try:
        number = Decimal(str(value if value not in (None, "") else "0").strip())
    except InvalidOperation:
        problems.append(Problem(None, "discount_ceiling", "expected a percentage from 0 to 100"))
        return None
    # NaN cannot be compared (InvalidOperation), Infinity is out of range either way.
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        problems.append(Problem(None, "discount_ceiling", "expected a percentage from 0 to 100"))
        return None
    return number.quantize(Decimal("0.01"))


def save_policy(
    *, actor: User, policy: ServicePolicy, values: dict[str, Any], source: str = "web"
) -> PolicyChange:
    """Change a tier's policy (directors); audited field by field. Open tickets of the
    tier's accounts take the new targets."""
    require_policy_writer(actor)
    clean = clean_policy(values)
    with transaction.atomic():
        locked = ServicePolicy.objects.select_for_update().get(pk=policy.pk)
        before = audit.snapshot(locked, POLICY_FIELDS)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.updated_by = actor
        locked.save()
        changes = audit.diff(before, audit.snapshot(locked, POLICY_FIELDS))
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=locked,
            changes=changes,
            account_id=None,
            source=source,
        )
        if changes:
            from kam.service.signals import policy_changed

            policy_changed.send(sender=ServicePolicy, policy=locked)
    return PolicyChange(locked, changes)


# --- the business calendar ----------------------------------------------------------------


def work_calendar(clock: str = ClockKind.BUSINESS) -> WorkCalendar:
    """The company's calendar as the SLA clocks use it."""
    zone = ZoneInfo(settings.TIME_ZONE)
    if clock == ClockKind.ALWAYS:
        return WorkCalendar(zone=zone, always=True)
    stored = BusinessCalendar.load()
    days = CalendarDay.objects.values_list("date", "kind")
    return WorkCalendar(
        zone=zone,
        weekdays=parse_weekdays(stored.weekdays),
        hours=parse_hours(stored.hours),
        holidays=frozenset(day for day, kind in days if kind == DayKind.HOLIDAY),
        workdays=frozenset(day for day, kind in days if kind == DayKind.WORKDAY),
    )


def parse_weekdays(text: str) -> frozenset[int]:
    try:
        days = frozenset(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise ValueError("working weekdays are numbers 0 (Monday) to 6 (Sunday)") from None
    if not days or not days <= set(range(7)):
        raise ValueError("working weekdays are numbers 0 (Monday) to 6 (Sunday)")
    return days


def save_calendar(
    *, actor: User, weekdays: str, hours: str, source: str = "web"
) -> BusinessCalendar:
    """Change the working week and hours (directors); audited."""
    require_policy_writer(actor)
    problems: list[Problem] = []
    try:
        days = parse_weekdays(weekdays)
    except ValueError as exc:
        problems.append(Problem(None, "weekdays", str(exc)))
    try:
        periods = parse_hours(hours)
    except ValueError as exc:
        problems.append(Problem(None, "hours", str(exc)))
    if problems:
        raise RecordInvalid(problems)
    with transaction.atomic():
        stored = BusinessCalendar.load()
        before = audit.snapshot(stored, ["weekdays", "hours"])
        stored.weekdays = ",".join(str(day) for day in sorted(days))
        stored.hours = format_hours(periods)
        stored.updated_at = timezone.now()
        stored.save()
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=stored,
            changes=audit.diff(before, audit.snapshot(stored, ["weekdays", "hours"])),
            account_id=None,
            source=source,
        )
    return stored


@dataclass
class CalendarImport:
    created: int
    updated: int
    unchanged: int


CALENDAR_COLUMNS = ("date", "kind", "name")
#: The Chinese public holidays and make-up working days (调休) of 2025 and 2026, from the
#: State Council's notices; `load_bundled_holidays` imports them.
BUNDLED_HOLIDAYS = Path(__file__).resolve().parent / "data" / "cn-holidays-2025-2026.csv"

CalendarRow = tuple[dt.date, str, str]


def check_calendar_row(
    raw: dict[str, Any], row: int | None, prefix: str = ""
) -> tuple[CalendarRow | None, list[Problem]]:
    """One day of a holiday file or of the API: a date (YYYY-MM-DD), a kind (holiday or
    workday) and an optional name of at most 100 characters."""
    day_text = str(raw.get("date") or "").strip()
    kind = str(raw.get("kind") or "").strip().lower()
    name = str(raw.get("name") or "").strip()
    problems: list[Problem] = []
    day: dt.date | None = None
    try:
        day = dt.date.fromisoformat(day_text) if len(day_text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        problems.append(
            Problem(row, f"{prefix}date", f"'{day_text}' is not a date like 2026-10-01")
        )
    if kind not in DayKind.values:
        problems.append(Problem(row, f"{prefix}kind", f"'{kind}' is not holiday or workday"))
    if len(name) > 100:
        problems.append(Problem(row, f"{prefix}name", "expected at most 100 characters"))
    if problems or day is None:
        return None, problems
    return (day, kind, name), []


def check_calendar_rows(
    raws: Sequence[tuple[int | None, str, dict[str, Any]]],
) -> list[CalendarRow]:
    """Every row checked (row number or None, field prefix, values); a date given twice is
    a problem too. RecordInvalid names every bad row and field."""
    rows: list[CalendarRow] = []
    problems: list[Problem] = []
    seen: dict[dt.date, str] = {}
    for row, prefix, raw in raws:
        checked, found = check_calendar_row(raw, row, prefix)
        problems.extend(found)
        if checked is None:
            continue
        where = f"row {row}" if row is not None else prefix.rstrip(".") or "another day"
        if checked[0] in seen:
            problems.append(
                Problem(
                    row,
                    f"{prefix}date",
                    f"{checked[0]} is given twice (also {seen[checked[0]]})",
                )
            )
            continue
        seen[checked[0]] = where
        rows.append(checked)
    if problems:
        raise RecordInvalid(problems)
    return rows


def read_calendar_rows(data: bytes, filename: str) -> list[CalendarRow]:
    """Rows of a holiday file: a CSV with columns date (YYYY-MM-DD), kind (holiday or
    workday) and name. Every bad row is named (row numbers count the header as 1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordInvalid(
            [Problem(None, None, f"{filename}: not UTF-8 text (byte {exc.start})")]
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in CALENDAR_COLUMNS[:2] if name not in fields]
    if missing:
        raise RecordInvalid(
            [Problem(None, None, f"{filename}: missing column(s) {', '.join(missing)}")]
        )
    reader.fieldnames = fields
    raws = [(number, "", dict(raw)) for number, raw in enumerate(reader, start=2)]
    if not raws:
        raise RecordInvalid([Problem(None, None, f"{filename}: no days in the file")])
    return check_calendar_rows(raws)


def import_calendar(
    *, actor: User, data: bytes, filename: str, source: str = "web"
) -> CalendarImport:
    """Add or change the days of a holiday file, all or nothing (directors)."""
    require_policy_writer(actor)
    return write_calendar_days(actor=actor, rows=read_calendar_rows(data, filename), source=source)


def load_bundled_holidays(*, actor: User, source: str = "web") -> CalendarImport:
    """Import the bundled Chinese public holidays 2025–2026 (directors)."""
    return import_calendar(
        actor=actor,
        data=BUNDLED_HOLIDAYS.read_bytes(),
        filename=BUNDLED_HOLIDAYS.name,
        source=source,
    )


def write_calendar_days(*, actor: User, rows: list[CalendarRow], source: str) -> CalendarImport:
    """Add or change checked days in one transaction, each change audited (directors)."""
    require_policy_writer(actor)
    created = updated = unchanged = 0
    events = []
    with transaction.atomic():
        found = {day.date: day for day in CalendarDay.objects.filter(date__in=[r[0] for r in rows])}
        for day, kind, name in rows:
            stored = found.get(day)
            if stored is None:
                stored = CalendarDay.objects.create(date=day, kind=kind, name=name)
                changes = audit.created({"date": day, "kind": kind, "name": name})
                events.append(_day_event(actor, AuditAction.CREATE, stored, changes, source))
                created += 1
            elif (stored.kind, stored.name) != (kind, name):
                before = audit.snapshot(stored, ["kind", "name"])
                stored.kind, stored.name = kind, name
                stored.save(update_fields=["kind", "name"])
                changes = audit.diff(before, audit.snapshot(stored, ["kind", "name"]))
                events.append(_day_event(actor, AuditAction.UPDATE, stored, changes, source))
                updated += 1
            else:
                unchanged += 1
        audit.record_many(events)
    return CalendarImport(created, updated, unchanged)


def _day_event(
    actor: User, action: str, day: CalendarDay, changes: dict[str, list[Any]], source: str
) -> Any:
    return audit.event(
        actor=actor, action=action, instance=day, changes=changes, account_id=None, source=source
    )


def delete_calendar_day(*, actor: User, day: dt.date, source: str = "web") -> bool:
    """Remove a holiday or make-up day (directors); False when there was none."""
    require_policy_writer(actor)
    with transaction.atomic():
        stored = CalendarDay.objects.select_for_update().filter(date=day).first()
        if stored is None:
            return False
        changes = audit.deleted({"date": stored.date, "kind": stored.kind, "name": stored.name})
        audit.record(
            actor=actor,
            action=AuditAction.DELETE,
            instance=stored,
            changes=changes,
            account_id=None,
            source=source,
        )
        stored.delete()
    return True


def calendar_days(year: int | None = None) -> list[CalendarDay]:
    """The holidays and make-up days, by date (of one year when given)."""
    days = CalendarDay.objects.all()
    if year is not None:
        days = days.filter(date__year=year)
    return list(days.order_by("date"))


def calendar_years() -> list[int]:
    """The years that have holidays or make-up days, in order."""
    return sorted({day.year for day in CalendarDay.objects.values_list("date", flat=True)})


# --- reading for the pages, the API and the command --------------------------------------


def policy_history(limit: int = 50) -> QuerySet[AuditEvent]:
    """The changes of the service policies, newest first."""
    return AuditEvent.objects.filter(object_type="servicepolicy").select_related("actor")[:limit]


def calendar_history(limit: int = 30) -> QuerySet[AuditEvent]:
    """The changes of the working week and of the holidays, newest first."""
    kinds = ["businesscalendar", "calendarday"]
    return AuditEvent.objects.filter(object_type__in=kinds).select_related("actor")[:limit]


def tier_counts(user: User) -> tuple[dict[str, int], int]:
    """How many of the accounts `user` sees hold each effective tier now (an active
    override wins, as in the accounts list), and how many have no tier yet (served
    under the basic policy)."""
    from django.db.models import Count

    from kam.accounts.services import visible_accounts
    from kam.insights.services import with_value_results

    rows = (
        with_value_results(visible_accounts(user))
        .order_by()
        .values("effective_tier")  # type: ignore[misc]  # with_value_results' annotation
        .annotate(accounts=Count("pk"))
    )
    counts = {tier.value: 0 for tier in Tier}
    untiered = 0
    for row in rows:
        if row["effective_tier"] in counts:
            counts[row["effective_tier"]] += row["accounts"]
        else:
            untiered += row["accounts"]
    return counts, untiered


def working_day_minutes() -> int:
    """Minutes of working time in one working day of the business calendar (480 with the
    default 09:00-12:00, 13:00-18:00)."""
    stored = BusinessCalendar.load()
    try:
        hours = parse_hours(stored.hours)
    except ValueError:
        return 8 * 60
    return WorkCalendar(zone=ZoneInfo(settings.TIME_ZONE), hours=hours).seconds_per_day() // 60


@dataclass
class AccountPolicy:
    """The policy that applies to an account, and why: its effective tier now (set by
    hand or computed), or none yet (then the basic policy serves it)."""

    account: Account
    tier: str | None
    by_hand: bool
    policy: ServicePolicy

    @property
    def source(self) -> str:
        if self.tier is None:
            return "none"
        return "override" if self.by_hand else "computed"


def account_policy(account: Account) -> AccountPolicy:
    """The policy serving `account` now (two or three queries)."""
    from kam.insights.services import active_override, latest_score

    override = active_override(account)
    if override is not None:
        tier: str | None = override.tier
    else:
        score = latest_score(account)
        tier = score.tier if score is not None else None
    return AccountPolicy(account, tier, override is not None, policy_for_tier(tier))
