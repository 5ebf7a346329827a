"""Segments and strategies: who sees and changes which, the members of a segment, the
strategies an account falls under, the writes that matter and the built-in segments.

Everybody who signs in sees every segment and every strategy (they are definitions and
plans, not customer data); the members of a segment are only ever the accounts the
person may see (kam.accounts.services.visible_accounts). Directors and administrators
change every segment and strategy; a sales manager creates them and changes those owned
by themselves or by a member of their team; account managers and analysts read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, Industry
from kam.accounts.services import visible_accounts
from kam.core import audit
from kam.core.access import may_assign_owner, require_writer
from kam.core.fields import FieldError, shown
from kam.core.models import AuditAction, AuditEvent, Region, Role, User
from kam.dataio.engine import Problem
from kam.dataio.records import RecordInvalid
from kam.insights.services import is_director
from kam.segments.conditions import (
    DefinitionInvalid,
    check_definition,
    definition_filter,
    window_start,
)
from kam.segments.io import SEGMENT_FIELDS, STRATEGY_FIELDS
from kam.segments.models import Match, Segment, SegmentKind, Strategy, StrategyStatus

# --- who may do what ------------------------------------------------------------------


def may_create_segments(user: User) -> bool:
    """Directors, administrators and sales managers define segments and strategies."""
    if not user.is_authenticated or not user.is_active or user.is_read_only:
        return False
    return is_director(user) or user.role == Role.SALES_MANAGER


def may_change_segment(user: User, segment: Segment) -> bool:
    """Directors and administrators: every segment. A sales manager: the segments owned by
    themselves or a member of their team (and those segments' strategies)."""
    if is_director(user):
        return True
    return (
        may_create_segments(user)
        and user.role == Role.SALES_MANAGER
        and may_assign_owner(user, segment.owner)
    )


def require_segment_writer(user: User, segment: Segment | None = None) -> None:
    require_writer(user)
    allowed = may_create_segments(user) if segment is None else may_change_segment(user, segment)
    if not allowed:
        raise PermissionDenied(
            "only directors, administrators and the sales manager of the segment's owner "
            "change segments and their strategies"
        )


# --- reading --------------------------------------------------------------------------


def visible_segments(user: User) -> QuerySet[Segment]:
    if not user.is_authenticated or not user.is_active:
        return Segment.objects.none()
    return Segment.objects.all()


def get_segment_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Segment:
    """The segment, else 404; with for_write, 403 unless `user` may change it."""
    try:
        segment = visible_segments(user).select_related("owner").get(pk=pk)
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such segment") from None
    if for_write:
        require_segment_writer(user, segment)
    return segment


def visible_strategies(user: User) -> QuerySet[Strategy]:
    return Strategy.objects.filter(segment__in=visible_segments(user))


def get_strategy_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Strategy:
    try:
        strategy = visible_strategies(user).select_related("segment__owner", "owner").get(pk=pk)
    except (Strategy.DoesNotExist, ValueError, TypeError):
        raise Http404("No such strategy") from None
    if for_write:
        require_segment_writer(user, strategy.segment)
    return strategy


def active_first(strategies: QuerySet[Strategy]) -> QuerySet[Strategy]:
    """Active, then drafts, then retired; the most recently changed first within each."""
    rank = Case(
        When(status=StrategyStatus.ACTIVE, then=Value(0)),
        When(status=StrategyStatus.DRAFT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return strategies.alias(rank=rank).order_by("rank", "-updated_at", "-pk")


def segment_members(
    segment: Segment, user: User, *, as_of: dt.date | None = None
) -> QuerySet[Account]:
    """The accounts of the segment that `user` may see, computed now.

    Nothing is stored: the members follow every change of the accounts, their orders and
    the latest scoring run the moment it has finished.
    """
    return visible_accounts(user).filter(membership_filter(segment, as_of=as_of))


def membership_filter(segment: Segment, *, as_of: dt.date | None = None) -> Q:
    """The condition on Account that says who is in `segment`.

    A rule segment: its definition (computed now). A data-driven segment: the accounts its
    clustering run put in its cluster (a stored result; accounts added since are in none).
    """
    if segment.kind == SegmentKind.CLUSTER:
        from kam.segments.models import ClusterMember

        if segment.cluster_run_id is None or segment.cluster_label is None:
            return Q(pk__in=[])
        found = ClusterMember.objects.filter(
            run_id=segment.cluster_run_id, label=segment.cluster_label
        )
        return Q(pk__in=found.values("account_id"))
    return definition_filter(segment.definition, as_of=as_of)


@dataclass
class SegmentStats:
    members: int = 0
    revenue: Decimal = Decimal(0)  # of the members, in the last 12 months


def segment_stats(
    user: User, segments: list[Segment], *, as_of: dt.date | None = None
) -> dict[int, SegmentStats]:
    """Members and their revenue of the last 12 months, per segment, as `user` sees them.

    Two queries however many segments: one counts the members of each over the accounts,
    one adds up each one's revenue over the window's orders.
    """
    if not segments:
        return {}
    today = as_of or timezone.localdate()
    filters = {s.pk: membership_filter(s, as_of=today) for s in segments}
    counts = visible_accounts(user).aggregate(
        **{f"n{pk}": Count("pk", filter=where) for pk, where in filters.items()}
    )
    revenues = member_revenue(user, segments, as_of=today)
    return {pk: SegmentStats(counts[f"n{pk}"] or 0, revenues[pk]) for pk in filters}


def member_revenue(
    user: User, segments: list[Segment], *, as_of: dt.date | None = None
) -> dict[int, Decimal]:
    """The revenue of the last 12 months of each segment's visible members: one query."""
    if not segments:
        return {}
    from kam.transactions.models import Order

    today = as_of or timezone.localdate()
    visible = visible_accounts(user)
    window = Order.objects.filter(order_date__gte=window_start(today), order_date__lte=today)
    sums = window.aggregate(
        **{
            f"r{s.pk}": Sum(
                "amount",
                filter=Q(
                    account_id__in=visible.filter(membership_filter(s, as_of=today)).values("pk")
                ),
            )
            for s in segments
        }
    )
    return {s.pk: sums[f"r{s.pk}"] or Decimal(0) for s in segments}


@dataclass
class SegmentStrategies:
    """A segment the account belongs to, with its strategies (active first)."""

    segment: Segment
    strategies: list[Strategy] = field(default_factory=list)

    @property
    def active(self) -> Strategy | None:
        return next((s for s in self.strategies if s.status == StrategyStatus.ACTIVE), None)


def strategies_for_account(
    user: User, account: Account, *, as_of: dt.date | None = None
) -> list[SegmentStrategies]:
    """The segments `account` belongs to now, each with its strategies (retired left out).

    Three queries however many segments: the segments, one that tests the account against
    every definition at once, and the strategies. 404 when the account is invisible.
    """
    segments = list(Segment.objects.order_by("name", "pk"))
    flags = (
        visible_accounts(user)
        .filter(pk=account.pk)
        .aggregate(
            seen=Count("pk"),
            **{f"s{s.pk}": Count("pk", filter=membership_filter(s, as_of=as_of)) for s in segments},
        )
    )
    if not flags["seen"]:
        raise Http404("No such account")
    member_of = [SegmentStrategies(s) for s in segments if flags[f"s{s.pk}"]]
    if not member_of:
        return []
    found = active_first(
        Strategy.objects.filter(segment__in=[m.segment for m in member_of])
        .exclude(status=StrategyStatus.RETIRED)
        .select_related("owner")
    )
    by_segment = {m.segment.pk: m for m in member_of}
    for strategy in found:
        by_segment[strategy.segment_id].strategies.append(strategy)
    return member_of


# --- checking what people typed -------------------------------------------------------


class NameTaken(RecordInvalid):
    """Another segment has this name: a conflict rather than bad input."""


class ActiveStrategyExists(RecordInvalid):
    """The segment has an active strategy already: retire it first."""


def segment_values(segment: Segment) -> dict[str, Any]:
    """The segment as the forms and the API write it: the base of a partial change."""
    return {
        "name": segment.name,
        "description": segment.description,
        "owner": segment.owner.username,
        "definition": segment.definition,
    }


def strategy_values(strategy: Strategy) -> dict[str, Any]:
    values = {f.name: getattr(strategy, f.name) for f in STRATEGY_FIELDS if f.name != "owner"}
    values["owner"] = strategy.owner.username
    return values


def clean_segment(
    data: dict[str, Any], *, actor: User, segment: Segment | None = None
) -> dict[str, Any]:
    """Model values for save_segment, or RecordInvalid naming each bad field.

    Fields left out keep their current value (a new segment: the defaults, owned by
    `actor`). A name another segment has (in any case) raises NameTaken.
    """
    base = segment_values(segment) if segment is not None else {"owner": actor.username}
    raw = {**base, **data}
    problems: list[Problem] = []
    values = _parse(SEGMENT_FIELDS, raw, problems)
    values["owner"] = _owner(raw.get("owner"), base.get("owner"), actor, problems)
    try:
        if segment is not None and segment.kind == SegmentKind.CLUSTER:
            # A data-driven segment's members are its clustering result, not a rule.
            values["definition"] = segment.definition
        else:
            values["definition"] = check_definition(raw.get("definition"))
    except DefinitionInvalid as invalid:
        problems.extend(Problem(None, p.path, p.message) for p in invalid.problems)
    if problems:
        raise RecordInvalid(problems)
    others = Segment.objects.filter(name__iexact=values["name"])
    if segment is not None:
        others = others.exclude(pk=segment.pk)
    if others.exists():
        message = (
            f"already used (got {shown(values['name'])}, expected a name no other segment has)"
        )
        raise NameTaken([Problem(None, "name", message)])
    return values


def clean_strategy(
    data: dict[str, Any], *, actor: User, segment: Segment, strategy: Strategy | None = None
) -> dict[str, Any]:
    """Model values for save_strategy, or RecordInvalid naming each bad field.

    A second active strategy for the segment raises ActiveStrategyExists.
    """
    base = strategy_values(strategy) if strategy is not None else {"owner": actor.username}
    raw = {**base, **data}
    problems: list[Problem] = []
    values = _parse(STRATEGY_FIELDS, raw, problems)
    values["owner"] = _owner(raw.get("owner"), base.get("owner"), actor, problems)
    if problems:
        raise RecordInvalid(problems)
    if values["status"] == StrategyStatus.ACTIVE:
        active = Strategy.objects.filter(segment=segment, status=StrategyStatus.ACTIVE)
        if strategy is not None:
            active = active.exclude(pk=strategy.pk)
        current = active.first()
        if current is not None:
            message = (
                f"another strategy is active (got {shown(StrategyStatus.ACTIVE.value)}, "
                f"expected draft or retired while {shown(current.name)} is active: retire it first)"
            )
            raise ActiveStrategyExists([Problem(None, "status", message)])
    return values


def _parse(fields: list[Any], raw: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        if f.name == "owner":
            continue
        try:
            values[f.name] = f.parse(raw.get(f.name))
        except FieldError as exc:
            problems.append(Problem(None, f.name, exc.message))
    return values


def _owner(given: Any, current: Any, actor: User, problems: list[Problem]) -> User | None:
    """The owner named by username; a change only to someone `actor` may assign."""
    if given is None or (isinstance(given, str) and not given.strip()):
        given = current or actor.username
    if not isinstance(given, str):
        problems.append(
            Problem(None, "owner", f"not text (got {shown(given)}, expected a username)")
        )
        return None
    owner = User.objects.filter(username__iexact=given.strip(), is_active=True).first()
    if owner is None:
        problems.append(
            Problem(
                None,
                "owner",
                f"unknown user (got {shown(given)}, expected the username of an active user)",
            )
        )
        return None
    if owner.username != current and not may_assign_owner(actor, owner):
        problems.append(
            Problem(
                None,
                "owner",
                f"not allowed (got {shown(owner.username)}, expected yourself or, for a sales "
                "manager, a member of your team)",
            )
        )
        return None
    return owner


# --- the writes -----------------------------------------------------------------------


def segment_snapshot(segment: Segment) -> dict[str, Any]:
    values = audit.snapshot(segment, ["name", "description", "kind"])
    values["owner"] = segment.owner.username if segment.owner_id else None
    values["definition"] = json.dumps(segment.definition, ensure_ascii=False, sort_keys=True)
    return values


def strategy_snapshot(strategy: Strategy) -> dict[str, Any]:
    names = [f.name for f in STRATEGY_FIELDS if f.name != "owner"]
    values = audit.snapshot(strategy, names)
    values["owner"] = strategy.owner.username if strategy.owner_id else None
    values["segment"] = strategy.segment.name if strategy.segment_id else None
    return values


@transaction.atomic
def save_segment(
    *, actor: User, values: dict[str, Any], segment: Segment | None = None, source: str = "web"
) -> Segment:
    """Create or change a segment from clean_segment's values (audited)."""
    require_segment_writer(actor, segment)
    creating = segment is None
    target = segment or Segment(kind=SegmentKind.RULE)
    before = {} if creating else segment_snapshot(target)
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    after = segment_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=None,
        source=source,
    )
    return target


@transaction.atomic
def delete_segment(*, actor: User, segment: Segment, source: str = "web") -> None:
    """Delete a segment with its strategies (audited, the strategies' names included)."""
    require_segment_writer(actor, segment)
    before = segment_snapshot(segment)
    before["strategies"] = ", ".join(
        segment.strategies.order_by("name").values_list("name", flat=True)
    )
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=segment,
        changes=audit.deleted(before),
        account_id=None,
        source=source,
    )
    segment.delete()
    entry.save()


@transaction.atomic
def save_strategy(
    *,
    actor: User,
    values: dict[str, Any],
    segment: Segment,
    strategy: Strategy | None = None,
    source: str = "web",
) -> Strategy:
    """Create or change a strategy of `segment` from clean_strategy's values (audited)."""
    require_segment_writer(actor, segment)
    creating = strategy is None
    target = strategy or Strategy(segment=segment)
    before = {} if creating else strategy_snapshot(target)
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    after = strategy_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=None,
        source=source,
    )
    return target


def segment_history(segment: Segment) -> QuerySet[AuditEvent]:
    """Changes to the segment and to its strategies, newest first."""
    strategies = Strategy.objects.filter(segment=segment).values("pk")
    return AuditEvent.objects.filter(
        Q(object_type="segment", object_id=segment.pk)
        | Q(object_type="strategy", object_id__in=strategies)
    ).select_related("actor")


# --- built-in starting points ---------------------------------------------------------

#: Size bands by employees: small < 100, medium 100-999, large >= 1000.
SIZE_BANDS = {"small": (None, 99), "medium": (100, 999), "large": (1000, None)}
FREQUENT_ORDERS = 12  # orders in 12 months: monthly or more often
PRICE_SENSITIVE_SHARE = 0.5  # half the revenue or more bought at a discount
LAPSED_DAYS = 365  # no order in the last 12 months, but some before


@dataclass
class Builtin:
    key: str
    name: str
    description: str
    definition: dict[str, Any]


def _between(field_name: str, low: Any, high: Any) -> dict[str, Any]:
    condition: dict[str, Any] = {"field": field_name, "op": "between"}
    if low is not None:
        condition["min"] = low
    if high is not None:
        condition["max"] = high
    return condition


def _rule(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"match": Match.ALL.value, "conditions": list(conditions)}


def builtin_segments() -> list[Builtin]:
    """The starting points for this book: by industry and region present, by size, by
    purchasing behaviour. Names are in the language active when they are created."""
    from kam.core.views import region_label

    found: list[Builtin] = []
    labels = dict(Industry.choices)
    industries = Account.objects.order_by("industry").values_list("industry", flat=True)
    for code in industries.distinct():
        label = str(labels.get(code, code))
        found.append(
            Builtin(
                f"industry:{code}",
                _("Industry: %(industry)s") % {"industry": label},
                _("Accounts in %(industry)s.") % {"industry": label},
                _rule({"field": "industry", "op": "in", "values": [code]}),
            )
        )
    sizes = {
        "small": _("Size: small (fewer than 100 employees)"),
        "medium": _("Size: medium (100 to 999 employees)"),
        "large": _("Size: large (1,000 employees or more)"),
    }
    for band, (low, high) in SIZE_BANDS.items():
        found.append(
            Builtin(
                f"size:{band}",
                sizes[band],
                _("By the number of employees; accounts without one are in no size band."),
                _rule(_between("employees", low, high)),
            )
        )
    for region in Region.objects.filter(pk__in=Account.objects.values("region_id")):
        name = region_label(region)
        found.append(
            Builtin(
                f"region:{region.code}",
                _("Region: %(region)s") % {"region": name},
                _("Accounts of the sales region %(region)s.") % {"region": name},
                _rule({"field": "region", "op": "in", "values": [region.code]}),
            )
        )
    found += [
        Builtin(
            "behaviour:frequent",
            _("Frequent buyers"),
            _("%(orders)s orders or more in the last 12 months.") % {"orders": FREQUENT_ORDERS},
            _rule(_between("orders_12m", FREQUENT_ORDERS, None)),
        ),
        Builtin(
            "behaviour:price_sensitive",
            _("Price-sensitive buyers"),
            _("Half their revenue of the last 12 months or more bought at a discount."),
            _rule(_between("discounted_share_12m", PRICE_SENSITIVE_SHARE, None)),
        ),
        Builtin(
            "behaviour:lapsed",
            _("Lapsed buyers"),
            _("Bought before, but not in the last 12 months."),
            _rule(_between("days_since_last_order", LAPSED_DAYS, None)),
        ),
    ]
    return found


@dataclass
class SeedReport:
    created: list[Segment] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)  # built-ins there already
    name_taken: list[str] = field(default_factory=list)  # a segment of ours has the name


@transaction.atomic
def seed_builtin_segments(*, actor: User, source: str = "seed") -> SeedReport:
    """Create the built-in segments that do not exist yet; running it again changes nothing.

    A built-in that was renamed, edited or deleted by hand is not made again, except a
    deleted one (its key is gone with it).
    """
    require_segment_writer(actor)
    report = SeedReport()
    keys = set(Segment.objects.exclude(builtin_key=None).values_list("builtin_key", flat=True))
    names = {n.casefold() for n in Segment.objects.values_list("name", flat=True)}
    for builtin in builtin_segments():
        if builtin.key in keys:
            report.existing.append(builtin.name)
            continue
        if builtin.name.casefold() in names:
            report.name_taken.append(builtin.name)
            continue
        values = {
            "name": builtin.name,
            "description": builtin.description,
            "owner": actor,
            "definition": check_definition(builtin.definition),
            "builtin_key": builtin.key,
        }
        report.created.append(save_segment(actor=actor, values=values, source=source))
        names.add(builtin.name.casefold())
    return report
