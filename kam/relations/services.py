"""Relationship management: who sees which activity, the writes that matter (logging,
completing, cancelling, the gift limit), the visit cadence and its reminders, and the
buying-centre map with its coverage and health scores (the ORM glue around the pure
functions of kam.relations.scoring).

An activity is visible exactly when its account is (kam.core.access.account_scope);
whoever may change the account may log, change, complete and cancel its activities.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.contacts.models import Contact
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.fields import FieldError, is_blank, shown
from kam.core.models import AuditAction, Role, User
from kam.dataio.records import Problem, RecordInvalid
from kam.relations import scoring
from kam.relations.io import ACTIVITY_AUDIT_FIELDS, ACTIVITY_FIELDS
from kam.relations.models import (
    GIFT_KINDS,
    Activity,
    ActivityStatus,
    VisitReminder,
)

CENT = Decimal("0.01")
#: The contact's meetings of this many days are counted on the map.
MEETINGS_WINDOW_DAYS = 365
SCALAR_FIELDS = [
    "kind",
    "status",
    "subject",
    "starts_at",
    "duration_minutes",
    "notes",
    "outcome",
    "sentiment",
    "value",
    "currency",
]
FIELDS = {f.name: f for f in ACTIVITY_FIELDS}


# --- visibility -----------------------------------------------------------------------------


def visible_activities(user: User) -> QuerySet[Activity]:
    scope = account_scope(user, prefix="account__")
    activities = Activity.objects.all()
    return activities if scope is None else activities.filter(scope)


def get_activity_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Activity:
    """The activity if `user` may see its account (and change it, with for_write), else 404."""
    try:
        activity = (
            visible_activities(user)
            .select_related("account", "account__owner", "owner", "limit_acknowledged_by")
            .get(pk=pk)
        )
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("No such activity") from None
    if for_write:
        require_writer(user)
    return activity


# --- the gift limit -------------------------------------------------------------------------


def company_currency() -> str:
    return str(settings.KAM_CURRENCY)


def gift_limit() -> Decimal:
    """The yearly value of gifts and entertainment one person may receive (company currency)."""
    return Decimal(str(getattr(settings, "KAM_GIFT_LIMIT_PER_PERSON", 2000))).quantize(CENT)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    return start, timezone.make_aware(dt.datetime(year + 1, 1, 1))


def counted_gifts() -> QuerySet[Activity]:
    """Gifts and entertainment that count toward the limit: not cancelled, with a value in
    the company currency."""
    return (
        Activity.objects.filter(kind__in=GIFT_KINDS, value__isnull=False)
        .filter(currency=company_currency())
        .exclude(status=ActivityStatus.CANCELLED)
    )


def recipient_counts(activity_ids: Iterable[int]) -> dict[int, int]:
    through = Activity.recipients.through
    rows = (
        through.objects.filter(activity_id__in=list(activity_ids))
        .values("activity_id")
        .annotate(n=Count("id"))
    )
    return {row["activity_id"]: row["n"] for row in rows}


def yearly_gift_totals(
    contact_ids: Sequence[int], year: int, *, exclude: int | None = None
) -> dict[int, Decimal]:
    """What each contact received in `year`: each gift's value shared evenly among its
    recipients (a dinner for three counts a third for each)."""
    through = Activity.recipients.through
    start, end = year_bounds(year)
    gifts = counted_gifts().filter(starts_at__gte=start, starts_at__lt=end)
    if exclude is not None:
        gifts = gifts.exclude(pk=exclude)
    rows = list(
        through.objects.filter(contact_id__in=list(contact_ids), activity__in=gifts).values_list(
            "activity_id", "contact_id", "activity__value"
        )
    )
    counts = recipient_counts({activity_id for activity_id, _c, _v in rows})
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for activity_id, contact_id, value in rows:
        totals[contact_id] += Decimal(value or 0) / counts[activity_id]
    return {pk: total.quantize(CENT) for pk, total in totals.items()}


def gift_warnings(
    *,
    kind: str,
    status: str,
    value: Decimal | None,
    currency: str,
    starts_at: dt.datetime,
    recipients: Sequence[Contact],
    exclude: int | None = None,
) -> list[dict[str, Any]]:
    """The recipients this gift takes above the yearly limit, with their new yearly total."""
    if (
        kind not in GIFT_KINDS
        or status == ActivityStatus.CANCELLED
        or value is None
        or currency != company_currency()
        or not recipients
    ):
        return []
    year = timezone.localtime(starts_at).year
    share = Decimal(value) / len(recipients)
    before = yearly_gift_totals([c.pk for c in recipients], year, exclude=exclude)
    limit = gift_limit()
    warnings = []
    for contact in recipients:
        total = (before.get(contact.pk, Decimal(0)) + share).quantize(CENT)
        if total > limit:
            warnings.append(
                {
                    "contact": contact.pk,
                    "name": contact.name,
                    "year": year,
                    "total": str(total),
                    "limit": str(limit),
                }
            )
    return warnings


class GiftLimitExceeded(Exception):
    """A gift would take recipients above the yearly limit; it is saved only once someone
    acknowledges the warning (and that is recorded)."""

    def __init__(self, warnings: list[dict[str, Any]]) -> None:
        self.warnings = warnings
        super().__init__(self.text())

    def text(self) -> str:
        currency = company_currency()
        return "; ".join(
            f"{w['name']} would receive {w['total']} {currency} in {w['year']}, above the "
            f"yearly limit of {w['limit']} {currency}"
            for w in self.warnings
        )

    def lines(self) -> list[str]:
        """The warnings in the active language."""
        return [warning_line(w) for w in self.warnings]


def warning_line(warning: Mapping[str, Any]) -> str:
    return _(
        "%(name)s would receive %(total)s %(currency)s in %(year)s, above the yearly limit "
        "of %(limit)s %(currency)s."
    ) % {**warning, "currency": company_currency()}


class ActivityKept(Exception):
    """Done activities are the record of what happened (and of gifts given): they are
    changed or cancelled, never deleted."""


# --- reading and checking input -------------------------------------------------------------


@dataclass
class ActivityDraft:
    """Checked input of one activity: model values and the people it names."""

    values: dict[str, Any]
    owner: User
    participants: list[User]
    contacts: list[Contact]
    recipients: list[Contact]


def activity_base(activity: Activity | None) -> dict[str, Any]:
    """The values a partial change starts from (a new activity: the defaults)."""
    if activity is None:
        return {f.name: f.default for f in ACTIVITY_FIELDS if f.name in SCALAR_FIELDS}
    return {name: getattr(activity, name) for name in SCALAR_FIELDS}


def parse_scalars(
    raw: Mapping[str, Any], base: dict[str, Any], problems: list[Problem]
) -> dict[str, Any]:
    values = dict(base)
    for name in SCALAR_FIELDS:
        if name not in raw:
            if FIELDS[name].required and values.get(name) in (None, ""):
                problems.append(Problem(None, name, "missing value (got '', expected a value)"))
            continue
        try:
            values[name] = FIELDS[name].parse(raw[name])
        except FieldError as exc:
            problems.append(Problem(None, name, exc.message))
    if values.get("value") is not None:
        values["value"] = Decimal(values["value"]).quantize(CENT)
    return values


def parse_names(raw: Mapping[str, Any], name: str, problems: list[Problem]) -> list[str] | None:
    """The names given for a list field, or None when it was not given."""
    if name not in raw:
        return None
    try:
        return list(FIELDS[name].parse(raw[name]))
    except FieldError as exc:
        problems.append(Problem(None, name, exc.message))
        return []


def find_users(usernames: list[str], name: str, problems: list[Problem]) -> list[User]:
    people: list[User] = []
    for username in usernames:
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            problems.append(
                Problem(
                    None,
                    name,
                    f"unknown user (got {shown(username)}, expected the username of an active "
                    "user)",
                )
            )
        elif user not in people:
            people.append(user)
    return people


def find_contacts(
    account: Account, refs: list[Any], name: str, by: str, problems: list[Problem]
) -> list[Contact]:
    """The account's contacts named by external id (by="external_id") or id (by="pk")."""
    keys = [str(ref) for ref in refs]
    if by == "pk":
        keys = [key for key in keys if key.isdigit()]
    lookup = {
        str(getattr(c, by)): c
        for c in Contact.objects.filter(account=account, **{f"{by}__in": keys})
    }
    contacts = []
    for ref in refs:
        contact = lookup.get(str(ref))
        if contact is None:
            problems.append(
                Problem(
                    None,
                    name,
                    f"unknown contact (got {shown(ref)}, expected the "
                    f"{'external id' if by == 'external_id' else 'id'} of a contact of "
                    f"{shown(account.name)})",
                )
            )
        elif contact not in contacts:
            contacts.append(contact)
    return contacts


def clean_activity(
    raw: Mapping[str, Any],
    *,
    actor: User,
    account: Account,
    activity: Activity | None = None,
    contacts_by: str = "external_id",
) -> ActivityDraft:
    """Checked values for save_activity from what a form or the API sent (only the fields
    sent change), or RecordInvalid naming each bad field."""
    problems: list[Problem] = []
    values = parse_scalars(raw, activity_base(activity), problems)
    owner: User | None = activity.owner if activity is not None else actor
    if not is_blank(raw.get("owner")):
        try:
            username = FIELDS["owner"].parse(raw.get("owner"))
        except FieldError as exc:
            problems.append(Problem(None, "owner", exc.message))
        else:
            found = find_users([username], "owner", problems)
            owner = found[0] if found else None
    participants = _people(raw, activity, problems)
    contacts = _contacts(raw, "contacts", account, activity, contacts_by, problems)
    gift = values.get("kind") in GIFT_KINDS
    # Value and recipients belong to gifts and entertainment only: other kinds drop them.
    recipients = (
        _contacts(raw, "recipients", account, activity, contacts_by, problems) if gift else []
    )
    if problems or owner is None:
        raise RecordInvalid(problems)
    if gift:
        values["currency"] = values.get("currency") or company_currency()
        if not recipients:
            recipients = list(contacts)
    else:
        values["value"], values["currency"] = None, ""
    return ActivityDraft(values, owner, participants, contacts, recipients)


def _people(
    raw: Mapping[str, Any], activity: Activity | None, problems: list[Problem]
) -> list[User]:
    given = parse_names(raw, "participants", problems)
    if given is None:
        return list(activity.participants.all()) if activity is not None else []
    return find_users(given, "participants", problems)


def _contacts(
    raw: Mapping[str, Any],
    name: str,
    account: Account,
    activity: Activity | None,
    by: str,
    problems: list[Problem],
) -> list[Contact]:
    given = parse_names(raw, name, problems) if by == "external_id" else raw.get(name)
    if given is None:
        return list(getattr(activity, name).all()) if activity is not None else []
    return find_contacts(account, list(given), name, by, problems)


# --- writes ----------------------------------------------------------------------------------


def names_of(items: Iterable[Any], attribute: str) -> str:
    return str(audit.plain(sorted(str(getattr(item, attribute)) for item in items)))


def activity_snapshot(activity: Activity) -> dict[str, Any]:
    names = [n for n in ACTIVITY_AUDIT_FIELDS if n in SCALAR_FIELDS]
    values = audit.snapshot(activity, names)
    values["starts_at"] = timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")
    values["owner"] = activity.owner.username if activity.owner_id else None
    saved = activity.pk is not None
    values["participants"] = names_of(activity.participants.all(), "username") if saved else ""
    values["contacts"] = names_of(activity.contacts.all(), "name") if saved else ""
    values["recipients"] = names_of(activity.recipients.all(), "name") if saved else ""
    by = activity.limit_acknowledged_by
    values["limit_acknowledged_by"] = by.username if by is not None else None
    return values


@transaction.atomic
def save_activity(
    *,
    actor: User,
    account: Account,
    draft: ActivityDraft,
    activity: Activity | None = None,
    acknowledge: bool = False,
    source: str = "web",
) -> Activity:
    """Log or change an activity (one audit event). A gift or entertainment that takes a
    recipient above the yearly limit raises GiftLimitExceeded unless `acknowledge`; then
    the warning, who acknowledged it and when are stored with it."""
    require_writer(actor)
    creating = activity is None
    target = activity or Activity(account=account, created_by=actor)
    before = {} if creating else activity_snapshot(target)
    values = draft.values
    warnings = gift_warnings(
        kind=values["kind"],
        status=values["status"],
        value=values.get("value"),
        currency=values.get("currency") or "",
        starts_at=values["starts_at"],
        recipients=draft.recipients,
        exclude=target.pk,
    )
    apply_limit(target, warnings, actor=actor, acknowledge=acknowledge)
    for name, value in values.items():
        setattr(target, name, value)
    target.owner = draft.owner
    target.save()
    target.participants.set(draft.participants)
    target.contacts.set(draft.contacts)
    target.recipients.set(draft.recipients)
    after = activity_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=target.account_id,
        source=source,
    )
    return target


def apply_limit(
    target: Activity, warnings: list[dict[str, Any]], *, actor: User, acknowledge: bool
) -> None:
    if not warnings:
        target.limit_warnings = []
        target.limit_acknowledged_by = None
        target.limit_acknowledged_at = None
        return
    known = target.limit_acknowledged_by_id is not None and target.limit_warnings == warnings
    if known:
        return  # acknowledged before, for the very same totals
    if not acknowledge:
        raise GiftLimitExceeded(warnings)
    target.limit_warnings = warnings
    target.limit_acknowledged_by = actor
    target.limit_acknowledged_at = timezone.now()


@transaction.atomic
def complete_activity(
    *,
    actor: User,
    activity: Activity,
    outcome: str | None = None,
    sentiment: str | None = None,
    source: str = "web",
) -> Activity:
    """Mark a planned (or cancelled) activity done, with its outcome and sentiment."""
    raw: dict[str, Any] = {"status": ActivityStatus.DONE}
    if outcome is not None:
        raw["outcome"] = outcome
    if sentiment is not None:
        raw["sentiment"] = sentiment
    draft = clean_activity(raw, actor=actor, account=activity.account, activity=activity)
    return save_activity(
        actor=actor,
        account=activity.account,
        draft=draft,
        activity=activity,
        acknowledge=True,  # the limit was checked when it was planned; cancelling freed it
        source=source,
    )


@transaction.atomic
def cancel_activity(*, actor: User, activity: Activity, source: str = "web") -> Activity:
    draft = clean_activity(
        {"status": ActivityStatus.CANCELLED},
        actor=actor,
        account=activity.account,
        activity=activity,
    )
    return save_activity(
        actor=actor, account=activity.account, draft=draft, activity=activity, source=source
    )


@transaction.atomic
def delete_activity(*, actor: User, activity: Activity, source: str = "web") -> None:
    """Delete a planned or cancelled activity (a mistake); done ones are kept."""
    require_writer(actor)
    if activity.status == ActivityStatus.DONE:
        raise ActivityKept("a done activity is kept: change it or cancel it instead")
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=activity,
        changes=audit.deleted(activity_snapshot(activity)),
        account_id=activity.account_id,
        source=source,
    )
    activity.delete()
    entry.save()


def activity_history(activity: Activity) -> QuerySet[Any]:
    from kam.core.models import AuditEvent

    return AuditEvent.objects.filter(object_type="activity", object_id=activity.pk).select_related(
        "actor"
    )


# --- lists -----------------------------------------------------------------------------------


def with_people(rows: QuerySet[Activity]) -> QuerySet[Activity]:
    """What a list shows of each activity, in a fixed number of queries."""
    return rows.select_related("account", "owner", "limit_acknowledged_by").prefetch_related(
        "contacts", "participants", "recipients"
    )


def account_timeline(user: User, account: Account, limit: int) -> tuple[list[Activity], int]:
    rows = visible_activities(user).filter(account=account)
    return list(with_people(rows)[:limit]), rows.count()


def contact_timeline(user: User, contact: Contact, limit: int) -> tuple[list[Activity], int]:
    rows = visible_activities(user).filter(Q(contacts=contact) | Q(recipients=contact)).distinct()
    return list(with_people(rows)[:limit]), rows.count()


EXPORT_HEADER = [
    "id",
    "account",
    "account_name",
    "kind",
    "status",
    "starts_at",
    "duration_minutes",
    "subject",
    "owner",
    "participants",
    "contacts",
    "sentiment",
    "outcome",
    "notes",
    "value",
    "currency",
    "recipients",
    "limit_acknowledged_by",
]


def export_rows(rows: QuerySet[Activity]) -> Iterable[list[Any]]:
    for activity in with_people(rows):
        by = activity.limit_acknowledged_by
        yield [
            activity.pk,
            activity.account.external_id or "",
            activity.account.name,
            activity.kind,
            activity.status,
            timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M"),
            "" if activity.duration_minutes is None else activity.duration_minutes,
            activity.subject,
            activity.owner.username,
            "; ".join(u.username for u in activity.participants.all()),
            "; ".join(c.external_id or c.name for c in activity.contacts.all()),
            activity.sentiment,
            activity.outcome,
            activity.notes,
            "" if activity.value is None else activity.value,
            activity.currency,
            "; ".join(c.external_id or c.name for c in activity.recipients.all()),
            by.username if by is not None else "",
        ]


def table_bytes(header: list[str], rows: Iterable[list[Any]], fmt: str) -> bytes:
    """Rows as CSV (UTF-8 with BOM) or XLSX, as the other exports write them."""
    import io

    from kam.dataio.export import write_csv, write_xlsx

    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(buffer, header, rows)
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(text, header, rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


# --- the visit cadence (REL-2) --------------------------------------------------------------


@dataclass
class CadenceRow:
    account: Account
    tier: str
    interval: int | None
    last_visit: dt.date | None
    next_planned: dt.date | None
    due: scoring.VisitDue

    @property
    def status(self) -> str:
        return self.due.status


STATUS_ORDER = {"overdue": 0, "never": 1, "due_soon": 2, "ok": 3, "none": 4}
#: Cadence filters: which statuses each shows.
CADENCE_FILTERS: dict[str, set[str]] = {
    "attention": {"overdue", "never", "due_soon"},
    "overdue": {"overdue", "never"},
    "due_soon": {"due_soon"},
    "all": set(STATUS_ORDER),
}


def visit_intervals() -> dict[str, int | None]:
    from kam.service.policies import all_policies

    return {policy.tier: policy.visit_interval_days for policy in all_policies()}


#: The first and last moments any local day can stand for: the calendar's very first and
#: last days cannot be made aware in a time zone east or west of UTC.
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def day_end(day: dt.date) -> dt.datetime:
    """The moment the local day ends (the next day's start)."""
    if day >= LATEST.date():
        return LATEST
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def day_start(day: dt.date) -> dt.datetime:
    """The moment the local day starts."""
    if day <= EARLIEST.date():
        return EARLIEST
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def cadence(
    accounts: QuerySet[Account], *, today: dt.date | None = None, tier: str = ""
) -> list[CadenceRow]:
    """Each account's next visit due (the last done visit or meeting + its tier's visit
    interval), in a fixed number of queries, most urgent first."""
    from kam.service.policies import tiers_of

    today = today or timezone.localdate()
    found = list(accounts.select_related("owner").order_by("name", "pk"))
    tiers = tiers_of([a.pk for a in found])
    if tier:
        found = [a for a in found if tiers[a.pk] == tier]
    intervals = visit_intervals()
    visits = Activity.objects.filter(
        account__in=accounts, kind__in=scoring.VISIT_KINDS, status=ActivityStatus.DONE
    )
    last = dict(
        visits.filter(starts_at__lt=day_end(today))
        .values("account_id")
        .annotate(at=Max("starts_at"))
        .values_list("account_id", "at")
    )
    planned = dict(
        Activity.objects.filter(
            account__in=accounts,
            kind__in=scoring.VISIT_KINDS,
            status=ActivityStatus.PLANNED,
            starts_at__gte=day_start(today),
        )
        .values("account_id")
        .annotate(at=Min("starts_at"))
        .values_list("account_id", "at")
    )
    rows = []
    for account in found:
        interval = intervals.get(tiers[account.pk])
        visited = timezone.localdate(last[account.pk]) if account.pk in last else None
        upcoming = timezone.localdate(planned[account.pk]) if account.pk in planned else None
        due = scoring.next_visit_due(visited, interval, today)
        rows.append(CadenceRow(account, tiers[account.pk], interval, visited, upcoming, due))
    rows.sort(key=lambda r: (STATUS_ORDER[r.status], -r.due.days_overdue, r.due.due or dt.date.max))
    return rows


def cadence_for_user(
    user: User,
    *,
    today: dt.date | None = None,
    owner: str = "",
    team: int | None = None,
    tier: str = "",
    show: str = "attention",
) -> list[CadenceRow]:
    """The cadence of the accounts `user` sees, narrowed by owner (username), team and
    tier; `show`: attention (overdue, never visited, due soon), overdue, due_soon or all."""
    accounts = visible_accounts(user)
    if owner:
        accounts = accounts.filter(owner__username=owner)
    if team is not None:
        accounts = accounts.filter(owner__team_id=team)
    wanted = CADENCE_FILTERS.get(show, CADENCE_FILTERS["attention"])
    return [row for row in cadence(accounts, today=today, tier=tier) if row.status in wanted]


@dataclass
class OwnerCadence:
    owner: User
    overdue: int = 0
    never: int = 0
    due_soon: int = 0


def per_owner(rows: Iterable[CadenceRow]) -> list[OwnerCadence]:
    found: dict[int, OwnerCadence] = {}
    for row in rows:
        entry = found.setdefault(row.account.owner_id, OwnerCadence(row.account.owner))
        if row.status in {"overdue", "never", "due_soon"}:
            setattr(entry, row.status, getattr(entry, row.status) + 1)
    return sorted(found.values(), key=lambda e: (-(e.overdue + e.never), e.owner.username))


def remind_overdue_visits(*, today: dt.date | None = None) -> int:
    """Tell each owner once about each account whose visit is overdue (or that was never
    visited although its tier asks for visits); returns how many were told. Running it
    again the same day, or the next, tells nobody twice."""
    from kam.notifications.services import notify
    from kam.relations.notifications import NEVER_VISITED, VISIT_OVERDUE

    rows = [
        r for r in cadence(Account.objects.all(), today=today) if r.status in {"overdue", "never"}
    ]
    keys = {(r.account.pk, reminder_key(r)) for r in rows}
    sent = set(
        VisitReminder.objects.filter(account_id__in={pk for pk, _key in keys}).values_list(
            "account_id", "due"
        )
    )
    told = 0
    for row in rows:
        key = reminder_key(row)
        if (row.account.pk, key) in sent:
            continue
        with transaction.atomic():
            params = {
                "account": row.account.name,
                "due": key,
                "interval": row.interval,
                "days": row.due.days_overdue,
            }
            code = NEVER_VISITED if row.status == "never" else VISIT_OVERDUE
            link = row.account.get_absolute_url() + "#activities"
            notify([row.account.owner], code, params, link=link, account_id=row.account.pk)
            VisitReminder.objects.create(account=row.account, due=key, owner=row.account.owner)
        told += 1
    return told


def reminder_key(row: CadenceRow) -> str:
    return "never" if row.status == "never" or row.due.due is None else row.due.due.isoformat()


# --- the calendar ---------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    activities: list[Activity] = field(default_factory=list)


def calendar_month(user: User, first: dt.date, scope: str = "mine") -> list[list[CalendarDay]]:
    """The weeks (Monday first) of `first`'s month with the planned and done activities of
    each day: `scope` mine (I own or take part) or team (my team's, or all I see)."""
    first = first.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    rows = (
        visible_activities(user)
        .exclude(status=ActivityStatus.CANCELLED)
        .filter(starts_at__gte=day_start(start), starts_at__lt=day_end(end))
    )
    mine = Q(owner=user) | Q(participants=user)
    if scope == "team" and user.team_id is not None:
        rows = rows.filter(Q(owner__team_id=user.team_id) | mine)
    elif scope != "team":
        rows = rows.filter(mine)
    by_day: dict[dt.date, list[Activity]] = defaultdict(list)
    for activity in rows.distinct().select_related("account", "owner").order_by("starts_at", "pk"):
        by_day[timezone.localdate(activity.starts_at)].append(activity)
    weeks = []
    day = start
    while day <= end:
        week = []
        for _n in range(7):
            week.append(CalendarDay(day, day.month == first.month, by_day.get(day, [])))
            day += dt.timedelta(days=1)
        weeks.append(week)
    return weeks


# --- gifts and entertainment, for compliance ------------------------------------------------


def may_see_gift_register(user: User) -> bool:
    """Directors and administrators review gifts and entertainment across the company."""
    return bool(
        user.is_active and (user.is_superuser or user.role in {Role.ADMINISTRATOR, Role.DIRECTOR})
    )


@dataclass
class RecipientYear:
    contact: Contact | None  # None: gifts with no recipient recorded
    total: Decimal = Decimal(0)  # in the company currency
    other: dict[str, Decimal] = field(default_factory=dict)  # other currencies, not counted
    gifts: list[tuple[Activity, Decimal | None]] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        return self.contact is not None and self.total > gift_limit()


def gift_register(year: int) -> list[RecipientYear]:
    """Gifts and entertainment of `year` (not cancelled) by recipient, each one's share,
    the largest yearly totals first."""
    start, end = year_bounds(year)
    gifts = list(
        Activity.objects.filter(kind__in=GIFT_KINDS, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=ActivityStatus.CANCELLED)
        .select_related("account", "owner", "limit_acknowledged_by")
        .prefetch_related("recipients", "recipients__account")
        .order_by("starts_at", "pk")
    )
    found: dict[int | None, RecipientYear] = {}
    for gift in gifts:
        recipients: list[Contact | None] = list(gift.recipients.all())
        share = (
            None if gift.value is None else (gift.value / max(len(recipients), 1)).quantize(CENT)
        )
        for contact in recipients or [None]:  # a gift to nobody recorded is listed too
            entry = found.setdefault(contact.pk if contact else None, RecipientYear(contact))
            entry.gifts.append((gift, share))
            if share is None:
                continue
            if gift.currency == company_currency():
                entry.total += share
            else:
                entry.other[gift.currency] = entry.other.get(gift.currency, Decimal(0)) + share
    return sorted(
        found.values(),
        key=lambda e: (e.contact is None, -e.total, e.contact.name if e.contact else ""),
    )


REGISTER_HEADER = [
    "year",
    "recipient",
    "recipient_external_id",
    "account",
    "activity_id",
    "date",
    "kind",
    "status",
    "subject",
    "owner",
    "share",
    "currency",
    "recipient_year_total",
    "limit",
    "over_limit",
    "acknowledged_by",
    "acknowledged_at",
]


def register_rows(year: int, entries: list[RecipientYear]) -> Iterable[list[Any]]:
    limit = gift_limit()
    for entry in entries:
        contact = entry.contact
        for gift, share in entry.gifts:
            by = gift.limit_acknowledged_by
            yield [
                year,
                contact.name if contact else "",
                (contact.external_id or "") if contact else "",
                gift.account.name,
                gift.pk,
                timezone.localdate(gift.starts_at).isoformat(),
                gift.kind,
                gift.status,
                gift.subject,
                gift.owner.username,
                "" if share is None else share,
                gift.currency,
                entry.total,
                limit,
                "yes" if entry.over_limit else "no",
                by.username if by is not None else "",
                timezone.localtime(gift.limit_acknowledged_at).strftime("%Y-%m-%d %H:%M")
                if gift.limit_acknowledged_at
                else "",
            ]


# --- the buying-centre map, coverage and health (REL-3) ------------------------------------

ROLE_NOUNS = {
    "economic_buyer": gettext_lazy("economic buyer"),
    "technical_buyer": gettext_lazy("technical buyer"),
    "user_buyer": gettext_lazy("user buyer"),
    "coach": gettext_lazy("coach"),
}


def gap_text(gap: scoring.Gap) -> str:
    """A gap in words, in the active language."""
    role = str(ROLE_NOUNS.get(gap.role, gap.role))
    texts = {
        "no_contacts": _("no contact on file"),
        "single_threaded": _("single-threaded: one contact"),
        "missing": _("no %(role)s"),
        "never_met": _("%(role)s never met"),
        "not_met_recently": _("%(role)s not met for %(days)s days"),
        "opposed": _("%(role)s opposed"),
        "neutral": _("%(role)s only neutral"),
        "stance_unknown": _("%(role)s: stance unknown"),
    }
    return texts.get(gap.code, gap.code) % {"role": role, "days": gap.days}


@dataclass
class Node:
    contact: Contact
    last_met: dt.date | None
    meetings_12m: int
    covers: bool  # the contact who covers their role in the coverage score

    @property
    def pk(self) -> int:
        return self.contact.pk


@dataclass
class BuyingCentre:
    account: Account
    as_of: dt.date
    tier: str
    interval: int | None
    nodes: list[Node]
    forest: list[tuple[Node, list[Any]]]
    coverage: scoring.Coverage
    gaps: list[tuple[scoring.Gap, str]]
    health: scoring.Health
    trend: list[scoring.TrendPoint]

    @property
    def edges(self) -> list[tuple[int, int]]:
        ids = {node.pk for node in self.nodes}
        return [
            (node.contact.reports_to_id, node.pk)
            for node in self.nodes
            if node.contact.reports_to_id in ids
        ]


def meetings_by_contact(account: Account, as_of: dt.date) -> dict[int, list[dt.date]]:
    """The days each contact of the account took part in a done face-to-face activity."""
    through = Activity.contacts.through
    rows = through.objects.filter(
        contact__account=account,
        activity__status=ActivityStatus.DONE,
        activity__kind__in=scoring.MEETING_KINDS,
        activity__starts_at__lt=day_end(as_of),
    ).values_list("contact_id", "activity__starts_at")
    found: dict[int, list[dt.date]] = defaultdict(list)
    for contact_id, at in rows:
        found[contact_id].append(timezone.localdate(at))
    return found


def person_of(contact: Contact, meetings: Sequence[dt.date]) -> scoring.Person:
    created = timezone.localdate(contact.created_at)
    # A contact met before they were entered (an archive imported later) was there then.
    since = min([created, *meetings])
    return scoring.Person(
        id=contact.pk,
        name=contact.name,
        role=contact.buying_role,
        influence=contact.influence,
        stance=contact.stance,
        active=contact.is_active,
        reports_to=contact.reports_to_id,
        since=since,
        meetings=tuple(sorted(meetings)),
    )


def touches_of(account: Account, as_of: dt.date) -> list[scoring.Touch]:
    rows = Activity.objects.filter(
        account=account, status=ActivityStatus.DONE, starts_at__lt=day_end(as_of)
    ).values_list("starts_at", "kind", "sentiment")
    return [scoring.Touch(timezone.localdate(at), kind, sentiment) for at, kind, sentiment in rows]


def surveys_of(account: Account, as_of: dt.date) -> list[scoring.SurveyAnswer]:
    from kam.service.models import Survey

    since = as_of - dt.timedelta(days=scoring.SENTIMENT_WINDOW_DAYS + 31 * scoring.TREND_MONTHS)
    rows = Survey.objects.filter(
        account=account, responded_at__gte=day_start(since), responded_at__lt=day_end(as_of)
    ).values_list("responded_at", "csat", "nps")
    return [scoring.SurveyAnswer(timezone.localdate(at), csat, nps) for at, csat, nps in rows]


def forest_of(nodes: list[Node]) -> list[tuple[Node, list[Any]]]:
    """The nodes as an org chart by reports_to: [(node, children)], roots first."""
    ids = {node.pk for node in nodes}
    children: dict[int | None, list[Node]] = defaultdict(list)
    for node in nodes:
        boss = node.contact.reports_to_id
        children[boss if boss in ids else None].append(node)

    def grow(node: Node, path: frozenset[int]) -> tuple[Node, list[Any]]:
        kids = [k for k in children.get(node.pk, []) if k.pk not in path]
        return node, [grow(k, path | {node.pk}) for k in kids]

    return [grow(root, frozenset()) for root in children.get(None, [])]


def buying_centre(account: Account, *, as_of: dt.date | None = None) -> BuyingCentre:
    """The account's buying centre as of a day (default today): the org chart with when
    and how often we met each contact, coverage, gaps, health and its trend."""
    from kam.service.policies import policy_for_tier, tiers_of

    as_of = as_of or timezone.localdate()
    contacts = list(
        Contact.objects.filter(account=account)
        .select_related("our_counterpart")
        .order_by("name", "pk")
    )
    meetings = meetings_by_contact(account, as_of)
    people = [person_of(c, meetings.get(c.pk, [])) for c in contacts]
    touches = touches_of(account, as_of)
    surveys = surveys_of(account, as_of)
    tier = tiers_of([account.pk])[account.pk]  # as the cadence reads it
    interval = policy_for_tier(tier).visit_interval_days
    covered = scoring.coverage(people, as_of)
    covering = {cover.contact_id for cover in covered.roles if cover.points > 0}
    year_ago = as_of - dt.timedelta(days=MEETINGS_WINDOW_DAYS)
    nodes = [
        Node(
            contact=c,
            last_met=max(meetings.get(c.pk, []), default=None),
            meetings_12m=sum(1 for day in meetings.get(c.pk, []) if year_ago < day <= as_of),
            covers=c.pk in covering,
        )
        for c in contacts
    ]
    return BuyingCentre(
        account=account,
        as_of=as_of,
        tier=tier,
        interval=interval,
        nodes=nodes,
        forest=forest_of(nodes),
        coverage=covered,
        gaps=[(gap, gap_text(gap)) for gap in covered.gaps],
        health=scoring.health(people, touches, surveys, interval, as_of),
        trend=scoring.trend(people, touches, surveys, interval, as_of),
    )


def role_rows(centre: BuyingCentre) -> list[dict[str, Any]]:
    """The four roles with the contact who covers each best, for the map page."""
    from kam.contacts.models import BuyingRole

    contacts = {node.pk: node.contact for node in centre.nodes}
    labels = dict(BuyingRole.choices)
    return [
        {
            "cover": cover,
            "label": labels[cover.role],
            "contact": contacts.get(cover.contact_id or 0),
        }
        for cover in centre.coverage.roles
    ]


def last_met_by_contact(
    contact_ids: Sequence[int] | None = None, *, until: dt.date | None = None
) -> dict[int, dt.date]:
    """The day each contact was last met face to face (done activities, up to ``until``
    when given), for other apps (e.g. the relationship risk's last_met)."""
    through = Activity.contacts.through
    rows = through.objects.filter(
        activity__status=ActivityStatus.DONE, activity__kind__in=scoring.MEETING_KINDS
    )
    if until is not None:
        rows = rows.filter(activity__starts_at__lte=day_end(until))
    if contact_ids is not None:
        rows = rows.filter(contact_id__in=list(contact_ids))
    found = rows.values("contact_id").annotate(at=Max("activity__starts_at"))
    return {row["contact_id"]: timezone.localdate(row["at"]) for row in found}
