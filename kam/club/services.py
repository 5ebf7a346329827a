"""The customer club (REL-5): who sees and changes what, memberships and their levels, the
points ledger (earning, redeeming, adjusting), the rules, the benefits and club events.

Visibility: a membership, its ledger and an invitation are visible exactly when their
account is (kam.core.access.account_scope). Events, benefits and the rules are visible to
everybody signed in; an event's invitation list shows only visible accounts' contacts.

Who writes: directors and administrators manage the rules, the benefits, the events and
adjust points; whoever may change an account (its owner, its account team, the owner's
sales manager, directors) enrols it, records its referrals, invites its contacts, records
their answers and attendance, and redeems its points. Analysts read.

The ledger: every change of points is one PointsEntry row; the balance is their sum and is
never stored. Rows are append-only. A redemption or a negative adjustment locks the
membership row (SELECT … FOR UPDATE) before it reads the balance, so two at once cannot
overdraw it. Every source earns once: its `reference` ("order:123") is unique.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.club.models import (
    LEVEL_OF_TIER,
    SEATED,
    Benefit,
    ClubEvent,
    EntryKind,
    Invitation,
    InvitationStatus,
    Level,
    Membership,
    PointsEntry,
    PointsRules,
)
from kam.contacts.models import Contact
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.models import AuditAction, AuditEvent, Role, User
from kam.dataio.engine import Problem
from kam.dataio.records import RecordInvalid
from kam.insights.models import Tier, TierChange
from kam.insights.services import effective_tiers

#: The tier of an account that has none yet (as the service policies read it).
FALLBACK_TIER = Tier.BASIC
EARN_KINDS = (EntryKind.EARN_PURCHASE, EntryKind.EARN_REFERRAL, EntryKind.EARN_EVENT)
MAX_POINTS = 10_000_000  # one entry, one benefit, one event
MAX_STOCK = 1_000_000
MAX_CAPACITY = 100_000
MAX_MULTIPLIER = 1000  # percent
MAX_PURCHASE_UNIT = 100_000_000
RULE_FIELDS = [
    "purchase_points",
    "purchase_unit",
    "referral_points",
    "event_points",
    "multiplier_diamond",
    "multiplier_core",
    "multiplier_potential",
    "multiplier_basic",
]
BENEFIT_FIELDS = ["name", "description", "points_cost", "active", "stock"]
EVENT_FIELDS = ["name", "description", "starts_at", "place", "capacity", "points"]


class ClubRefused(Exception):
    """A club rule refuses the operation; the message says which, in plain words."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NotEnoughPoints(ClubRefused):
    """The balance would go below zero."""


class NameTaken(RecordInvalid):
    """Another benefit has this name: a conflict rather than bad input."""


# --- who may do what --------------------------------------------------------------------------


def may_manage_club(user: User) -> bool:
    """Directors and administrators: rules, benefits, events and adjustments."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in {Role.ADMINISTRATOR, Role.DIRECTOR})
    )


def require_club_manager(user: User) -> None:
    if not may_manage_club(user):
        raise PermissionDenied("only directors and administrators manage the club")


def may_write_account(user: User, account: Account) -> bool:
    """Whoever sees the account and is not read-only changes its club records."""
    if not user.is_authenticated or not user.is_active or user.is_read_only:
        return False
    return visible_accounts(user).filter(pk=account.pk).exists()


def require_account_writer(user: User, account: Account) -> None:
    require_writer(user)
    if not may_write_account(user, account):
        raise Http404("No such account")


# --- reading: one helper per object type ---------------------------------------------------


def visible_memberships(user: User) -> QuerySet[Membership]:
    scope = account_scope(user, prefix="account__")
    rows = Membership.objects.all()
    return rows if scope is None else rows.filter(scope)


def membership_of(account: Account) -> Membership | None:
    """The account's membership (active or left), if it ever joined."""
    return Membership.objects.filter(account=account).first()


def get_membership_for_user(
    user: User, account_pk: int | str, *, for_write: bool = False
) -> Membership:
    """The membership of an account the user sees, else 404 (also when it never joined)."""
    try:
        membership = (
            visible_memberships(user)
            .select_related("account", "account__owner")
            .get(account_id=account_pk)
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404("This account is not a club member") from None
    if for_write:
        require_writer(user)
    return membership


def visible_entries(user: User) -> QuerySet[PointsEntry]:
    scope = account_scope(user, prefix="membership__account__")
    rows = PointsEntry.objects.all()
    return rows if scope is None else rows.filter(scope)


def visible_invitations(user: User) -> QuerySet[Invitation]:
    scope = account_scope(user, prefix="account__")
    rows = Invitation.objects.all()
    return rows if scope is None else rows.filter(scope)


def get_invitation_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Invitation:
    try:
        invitation = (
            visible_invitations(user).select_related("event", "contact", "account").get(pk=pk)
        )
    except (Invitation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such invitation") from None
    if for_write:
        require_writer(user)
    return invitation


def visible_events(user: User) -> QuerySet[ClubEvent]:
    """Every signed-in user sees every event (not who is invited: see visible_invitations)."""
    if not user.is_authenticated or not user.is_active:
        return ClubEvent.objects.none()
    return ClubEvent.objects.all()


def get_event_for_user(user: User, pk: int | str, *, for_write: bool = False) -> ClubEvent:
    try:
        event = visible_events(user).get(pk=pk)
    except (ClubEvent.DoesNotExist, ValueError, TypeError):
        raise Http404("No such event") from None
    if for_write:
        require_club_manager(user)
    return event


def visible_benefits(user: User) -> QuerySet[Benefit]:
    """The catalogue: everybody signed in sees it, switched-off benefits included."""
    if not user.is_authenticated or not user.is_active:
        return Benefit.objects.none()
    return Benefit.objects.all()


def get_benefit_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Benefit:
    try:
        benefit = visible_benefits(user).get(pk=pk)
    except (Benefit.DoesNotExist, ValueError, TypeError):
        raise Http404("No such benefit") from None
    if for_write:
        require_club_manager(user)
    return benefit


# --- levels -----------------------------------------------------------------------------------


def level_of_tier(tier: str | None) -> str:
    return LEVEL_OF_TIER.get(tier or FALLBACK_TIER, Level.MEMBER)


def tiers_of(account_ids: Iterable[int]) -> dict[int, str]:
    """Effective tiers of many accounts at once (basic for those without one yet)."""
    ids = list(account_ids)
    found = effective_tiers(ids) if ids else {}
    return {pk: found.get(pk) or FALLBACK_TIER for pk in ids}


def levels_of(account_ids: Iterable[int]) -> dict[int, str]:
    """Club levels of many accounts at once: they follow the effective tiers."""
    return {pk: level_of_tier(tier) for pk, tier in tiers_of(account_ids).items()}


def with_tier(rows: QuerySet[Membership]) -> QuerySet[Membership]:
    """Memberships annotated with `tier`: the account's effective tier now (or None)."""
    latest = TierChange.objects.filter(account=OuterRef("account_id")).order_by("-at", "-id")
    return rows.annotate(tier=Subquery(latest.values("to_tier")[:1]))


def tiers_for_level(level: str) -> list[str]:
    return [tier for tier, found in LEVEL_OF_TIER.items() if found == level]


def filter_level(rows: QuerySet[Membership], level: str) -> QuerySet[Membership]:
    """Only members of `level` (rows from with_tier)."""
    condition = Q(tier__in=tiers_for_level(level))
    if FALLBACK_TIER in tiers_for_level(level):
        condition |= Q(tier__isnull=True)
    return rows.filter(condition)


@dataclass
class LevelStep:
    at: dt.datetime
    from_level: str
    to_level: str

    @property
    def from_label(self) -> str:
        return level_label(self.from_level) if self.from_level else ""

    @property
    def to_label(self) -> str:
        return level_label(self.to_level)


def level_history(membership: Membership) -> list[LevelStep]:
    """How the level changed since the account joined (read from its tier changes)."""
    since = dt.datetime.combine(
        membership.joined_on, dt.time.min, tzinfo=timezone.get_default_timezone()
    )
    steps = []
    changes = TierChange.objects.filter(account_id=membership.account_id, at__gte=since)
    for change in changes.order_by("at", "id"):
        before = level_of_tier(change.from_tier) if change.from_tier else ""
        after = level_of_tier(change.to_tier)
        if before != after:
            steps.append(LevelStep(change.at, before, after))
    return steps


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else level


# --- balances and the ledger ------------------------------------------------------------------


def balance_of(membership: Membership) -> int:
    """The balance: the sum of the membership's ledger rows."""
    total = PointsEntry.objects.filter(membership_id=membership.pk).aggregate(
        total=Coalesce(Sum("delta"), Value(0))
    )["total"]
    return int(total)


def balances_of(membership_ids: Iterable[int]) -> dict[int, int]:
    ids = list(membership_ids)
    rows = (
        PointsEntry.objects.filter(membership_id__in=ids)
        .values("membership_id")
        .annotate(total=Sum("delta"))
        .values_list("membership_id", "total")
    )
    found = {pk: int(total or 0) for pk, total in rows}
    return {pk: found.get(pk, 0) for pk in ids}


def with_balance(rows: QuerySet[Membership]) -> QuerySet[Membership]:
    return rows.annotate(balance=Coalesce(Sum("entries__delta"), Value(0)))


def ledger(membership: Membership) -> QuerySet[PointsEntry]:
    """The membership's rows, newest first, each with `balance_after`: the running balance
    (oldest first) up to and including that row."""
    running = Window(Sum("delta"), order_by=[F("at").asc(), F("id").asc()])
    return (
        PointsEntry.objects.filter(membership_id=membership.pk)
        .select_related("actor", "benefit", "event")
        .annotate(balance_after=running)
        .order_by("-at", "-id")
    )


def lock_membership(membership: Membership) -> Membership:
    """The membership row, locked until the transaction ends (the one way to spend)."""
    rows = Membership.objects.select_for_update(of=("self",)).select_related("account")
    return rows.get(pk=membership.pk)


def new_reference(kind: str) -> str:
    return f"{kind}:{uuid.uuid4().hex}"


def audit_entry(entry: PointsEntry, *, actor: User | None, source: str) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=entry,
        changes=audit.created(
            {
                "kind": entry.kind,
                "delta": entry.delta,
                "reference": entry.reference,
                "benefit": entry.benefit,
                "note": entry.note,
            }
        ),
        account_id=entry.membership.account_id,
        source=source,
    )


def require_active(membership: Membership) -> None:
    if not membership.is_active:
        raise ClubRefused(
            _("%(account)s left the club on %(date)s.")
            % {"account": membership.account.name, "date": membership.left_on}
        )


# --- memberships ------------------------------------------------------------------------------


def member_number(account: Account) -> str:
    return f"KC{account.pk:08d}"


def join(
    *,
    actor: User,
    account: Account,
    joined_on: dt.date | None = None,
    source: str = "web",
) -> Membership:
    """Enrol an account (or take it back after it left). Only directors backdate."""
    require_account_writer(actor, account)
    today = timezone.localdate()
    joined_on = joined_on or today
    if joined_on > today:
        raise ClubRefused(_("The joined date cannot be later than today."))
    if joined_on < today and not may_manage_club(actor):
        raise PermissionDenied("only directors and administrators backdate a membership")
    try:
        with transaction.atomic():
            found = Membership.objects.select_for_update().filter(account=account).first()
            if found is not None and found.is_active:
                raise ClubRefused(
                    _("%(account)s is a club member already (number %(number)s).")
                    % {"account": account.name, "number": found.number}
                )
            if found is not None:
                before = audit.snapshot(found, ["joined_on", "left_on"])
                found.joined_on, found.left_on = joined_on, None
                found.save(update_fields=["joined_on", "left_on"])
                changes = audit.diff(before, audit.snapshot(found, ["joined_on", "left_on"]))
                action = AuditAction.UPDATE
                membership = found
            else:
                membership = Membership.objects.create(
                    account=account,
                    number=member_number(account),
                    joined_on=joined_on,
                    created_by=actor,
                )
                changes = audit.created({"number": membership.number, "joined_on": joined_on})
                action = AuditAction.CREATE
            audit.record(
                actor=actor,
                action=action,
                instance=membership,
                changes=changes,
                account_id=account.pk,
                source=source,
            )
    except IntegrityError:  # another request enrolled it at the same moment
        raise ClubRefused(
            _("%(account)s is a club member already.") % {"account": account.name}
        ) from None
    membership.account = account
    return membership


def leave(*, actor: User, membership: Membership, source: str = "web") -> Membership:
    """End a membership; its points stay in the ledger (and count again if it rejoins)."""
    require_account_writer(actor, membership.account)
    with transaction.atomic():
        locked = lock_membership(membership)
        require_active(locked)
        locked.left_on = timezone.localdate()
        locked.save(update_fields=["left_on"])
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=locked,
            changes={"left_on": [None, audit.plain(locked.left_on)]},
            account_id=locked.account_id,
            source=source,
        )
    return locked


# --- spending: redemptions and adjustments ----------------------------------------------------


def redeem(
    *,
    actor: User,
    membership: Membership,
    benefit: Benefit,
    note: str = "",
    source: str = "web",
) -> PointsEntry:
    """Spend points on a benefit. The membership row is locked before the balance is read,
    so concurrent redemptions queue up and cannot overdraw; a short balance is refused."""
    require_account_writer(actor, membership.account)
    with transaction.atomic():
        member = lock_membership(membership)
        require_active(member)
        available = balance_of(member)
        item = Benefit.objects.select_for_update().get(pk=benefit.pk)
        if not item.active:
            raise ClubRefused(_("%(benefit)s is not available.") % {"benefit": item.name})
        if item.stock is not None and item.stock <= 0:
            raise ClubRefused(_("%(benefit)s is out of stock.") % {"benefit": item.name})
        if item.points_cost > available:
            raise NotEnoughPoints(
                _(
                    "Not enough points: %(benefit)s costs %(cost)s points and the balance "
                    "of %(account)s is %(balance)s."
                )
                % {
                    "benefit": item.name,
                    "cost": item.points_cost,
                    "account": member.account.name,
                    "balance": available,
                }
            )
        if item.stock is not None:
            item.stock -= 1
            item.save(update_fields=["stock"])
        entry = PointsEntry.objects.create(
            membership=member,
            delta=-item.points_cost,
            kind=EntryKind.REDEEM,
            reference=new_reference("redeem"),
            note=note.strip(),
            benefit=item,
            actor=actor,
        )
        audit_entry(entry, actor=actor, source=source)
    return entry


def adjust(
    *,
    actor: User,
    membership: Membership,
    delta: int,
    reason: str,
    source: str = "web",
) -> PointsEntry:
    """A correction by a director: a new row with its reason (rows are never changed). A
    negative one cannot take the balance below zero."""
    require_club_manager(actor)
    problems = []
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_POINTS:
        problems.append(
            Problem(None, "points", f"expected a whole number other than 0, at most {MAX_POINTS:,}")
        )
    if not (reason or "").strip():
        problems.append(Problem(None, "reason", "missing value (expected why the points change)"))
    if problems:
        raise RecordInvalid(problems)
    with transaction.atomic():
        member = lock_membership(membership)
        available = balance_of(member)
        if available + delta < 0:
            raise NotEnoughPoints(
                _(
                    "The adjustment of %(delta)s points would leave %(account)s with "
                    "%(after)s points; the balance cannot go below zero."
                )
                % {"delta": delta, "account": member.account.name, "after": available + delta}
            )
        entry = PointsEntry.objects.create(
            membership=member,
            delta=delta,
            kind=EntryKind.ADJUST,
            reference=new_reference("adjust"),
            note=reason.strip(),
            actor=actor,
        )
        audit_entry(entry, actor=actor, source=source)
    return entry


# --- earning ----------------------------------------------------------------------------------


def earn(
    *,
    membership: Membership,
    delta: int,
    kind: str,
    reference: str,
    note: str,
    actor: User | None,
    at: dt.datetime | None = None,
    event: ClubEvent | None = None,
) -> PointsEntry | None:
    """Add earned points once per reference: None when that source has earned already."""
    if PointsEntry.objects.filter(reference=reference).exists():
        return None
    try:
        with transaction.atomic():
            return PointsEntry.objects.create(
                membership=membership,
                delta=delta,
                kind=kind,
                reference=reference,
                note=note,
                actor=actor,
                at=at or timezone.now(),
                event=event,
            )
    except IntegrityError:  # the same source, at the same moment, in another request
        return None


def record_referral(
    *,
    actor: User,
    membership: Membership,
    referred: Account,
    note: str = "",
    source: str = "web",
) -> PointsEntry:
    """The member brought in a new customer: the rules' fixed points, once per referred
    account (whoever referred it first)."""
    require_account_writer(actor, membership.account)
    require_active(membership)
    if referred.pk == membership.account_id:
        raise ClubRefused(_("An account cannot refer itself."))
    points = PointsRules.load().referral_points
    if points <= 0:
        raise ClubRefused(_("Referrals earn no points under the current rules."))
    reference = f"referral:{referred.pk}"
    text = _("Referred %(account)s") % {"account": referred.name}
    if note.strip():
        text = f"{text}: {note.strip()}"
    with transaction.atomic():
        entry = earn(
            membership=membership,
            delta=points,
            kind=EntryKind.EARN_REFERRAL,
            reference=reference,
            note=text,
            actor=actor,
        )
        if entry is None:
            raise ClubRefused(
                _("The referral of %(account)s has earned points already.")
                % {"account": referred.name}
            )
        audit_entry(entry, actor=actor, source=source)
    return entry


@dataclass
class Accrual:
    entries: int  # new ledger rows
    points: int  # points they added
    members: int  # memberships that earned


def noon(day: dt.date, now: dt.datetime) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())
    return min(moment, now)


def accrue_purchases(*, actor: User | None = None) -> Accrual:
    """Points for the orders of active members, dated on or after the day they joined, that
    have not earned yet: floor(amount / unit) × points per unit × the tier's multiplier.

    Idempotent: each order earns at most once (reference "order:<id>"), however often this
    runs, even twice at the same time. Credit notes (negative amounts) earn nothing; an
    order too small to earn a point is looked at again next time (the rules may change).
    """
    if actor is not None:
        require_club_manager(actor)
    from kam.transactions.models import Order

    rules = PointsRules.load()
    members = {m.account_id: m for m in Membership.objects.filter(left_on__isnull=True)}
    if not members:
        return Accrual(0, 0, 0)
    tiers = tiers_of(members)
    done = set(
        PointsEntry.objects.filter(
            kind=EntryKind.EARN_PURCHASE, membership__left_on__isnull=True
        ).values_list("reference", flat=True)
    )
    orders = (
        Order.objects.filter(
            account__club_membership__left_on__isnull=True,
            order_date__gte=F("account__club_membership__joined_on"),
            amount__gt=0,
        )
        .order_by("order_date", "pk")
        .values_list("pk", "account_id", "order_date", "amount", "external_id")
    )
    now = timezone.now()
    rows: list[PointsEntry] = []
    for pk, account_id, order_date, amount, external_id in orders.iterator(chunk_size=5000):
        reference = f"order:{pk}"
        if reference in done:
            continue
        tier = tiers[account_id]
        points = rules.purchase_points_for(amount, tier)
        if points <= 0:
            continue
        rows.append(
            PointsEntry(
                membership=members[account_id],
                delta=points,
                kind=EntryKind.EARN_PURCHASE,
                reference=reference,
                note=_("Order %(order)s of %(date)s: %(amount)s (×%(multiplier)s%%)")
                % {
                    "order": external_id or pk,
                    "date": order_date.isoformat(),
                    "amount": f"{amount:,.2f}",
                    "multiplier": rules.multiplier_percent(tier),
                },
                actor=actor,
                at=noon(order_date, now),
            )
        )
    with transaction.atomic():
        PointsEntry.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return Accrual(
        entries=len(rows),
        points=sum(row.delta for row in rows),
        members=len({row.membership.pk for row in rows}),
    )


# --- the rules --------------------------------------------------------------------------------


def rules_values(rules: PointsRules) -> dict[str, Any]:
    return {name: getattr(rules, name) for name in RULE_FIELDS}


RULE_BOUNDS = {
    "purchase_points": (0, MAX_POINTS),
    "purchase_unit": (1, MAX_PURCHASE_UNIT),
    "referral_points": (0, MAX_POINTS),
    "event_points": (0, MAX_POINTS),
    "multiplier_diamond": (0, MAX_MULTIPLIER),
    "multiplier_core": (0, MAX_MULTIPLIER),
    "multiplier_potential": (0, MAX_MULTIPLIER),
    "multiplier_basic": (0, MAX_MULTIPLIER),
}


def whole_number(
    values: dict[str, Any], name: str, low: int, high: int, problems: list[Problem]
) -> int | None:
    raw = values.get(name)
    if isinstance(raw, bool):
        raw = None
    try:
        number = int(str(raw).strip()) if raw not in (None, "") else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        problems.append(
            Problem(None, name, f"expected a whole number from {low:,} to {high:,} (got {raw!r})")
        )
        return None
    return number


def clean_rules(values: dict[str, Any]) -> dict[str, int]:
    problems: list[Problem] = []
    clean = {
        name: whole_number(values, name, low, high, problems)
        for name, (low, high) in RULE_BOUNDS.items()
    }
    if problems:
        raise RecordInvalid(problems)
    return {name: int(value) for name, value in clean.items() if value is not None}


def save_rules(*, actor: User, values: dict[str, Any], source: str = "web") -> PointsRules:
    """Change the points rules (directors); audited field by field."""
    require_club_manager(actor)
    clean = clean_rules(values)
    with transaction.atomic():
        PointsRules.load()
        rules = PointsRules.objects.select_for_update().get(pk=1)
        before = audit.snapshot(rules, RULE_FIELDS)
        for name, value in clean.items():
            setattr(rules, name, value)
        changes = audit.diff(before, audit.snapshot(rules, RULE_FIELDS))
        if changes:
            rules.updated_at = timezone.now()
            rules.updated_by = actor
            rules.save()
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=rules,
            changes=changes,
            account_id=None,
            source=source,
        )
    return rules


def rules_history(limit: int = 20) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type="pointsrules").select_related("actor")[:limit]


# --- benefits ---------------------------------------------------------------------------------


def benefit_values(benefit: Benefit) -> dict[str, Any]:
    return {name: getattr(benefit, name) for name in BENEFIT_FIELDS}


def clean_benefit(values: dict[str, Any], benefit: Benefit | None = None) -> dict[str, Any]:
    problems: list[Problem] = []
    name = str(values.get("name") or "").strip()
    if not name:
        problems.append(Problem(None, "name", "missing value (expected the benefit's name)"))
    elif len(name) > 120:
        problems.append(Problem(None, "name", "too long (expected at most 120 characters)"))
    cost = whole_number(values, "points_cost", 1, MAX_POINTS, problems)
    stock_raw = values.get("stock")
    stock = (
        None if stock_raw in (None, "") else whole_number(values, "stock", 0, MAX_STOCK, problems)
    )
    if problems:
        raise RecordInvalid(problems)
    taken = Benefit.objects.filter(name__iexact=name)
    if benefit is not None:
        taken = taken.exclude(pk=benefit.pk)
    if taken.exists():
        raise NameTaken([Problem(None, "name", f"another benefit is called {name!r}")])
    return {
        "name": name,
        "description": str(values.get("description") or "").strip(),
        "points_cost": cost,
        "active": values.get("active") not in (False, "false", "0", "", None)
        if "active" in values
        else True,
        "stock": stock,
    }


def save_benefit(
    *, actor: User, values: dict[str, Any], benefit: Benefit | None = None, source: str = "web"
) -> Benefit:
    require_club_manager(actor)
    clean = clean_benefit(values, benefit)
    creating = benefit is None
    with transaction.atomic():
        target = (
            Benefit() if benefit is None else Benefit.objects.select_for_update().get(pk=benefit.pk)
        )
        before = {} if creating else audit.snapshot(target, BENEFIT_FIELDS)
        for name, value in clean.items():
            setattr(target, name, value)
        target.updated_at = timezone.now()
        target.save()
        after = audit.snapshot(target, BENEFIT_FIELDS)
        audit.record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            instance=target,
            changes=audit.created(after) if creating else audit.diff(before, after),
            account_id=None,
            source=source,
        )
    return target


# --- events and invitations -------------------------------------------------------------------


def event_values(event: ClubEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EVENT_FIELDS}


def event_points(event: ClubEvent, rules: PointsRules | None = None) -> int:
    """The points attending earns: the event's own, else the rules'."""
    if event.points is not None:
        return event.points
    return (rules or PointsRules.load()).event_points


def seats_taken(event: ClubEvent) -> int:
    return Invitation.objects.filter(event=event, status__in=SEATED).count()


def clean_event(values: dict[str, Any], event: ClubEvent | None = None) -> dict[str, Any]:
    problems: list[Problem] = []
    name = str(values.get("name") or "").strip()
    if not name:
        problems.append(Problem(None, "name", "missing value (expected the event's name)"))
    elif len(name) > 200:
        problems.append(Problem(None, "name", "too long (expected at most 200 characters)"))
    starts_at = values.get("starts_at")
    if not isinstance(starts_at, dt.datetime):
        problems.append(
            Problem(None, "starts_at", "expected a date and time such as 2026-11-20 14:00")
        )
    place = str(values.get("place") or "").strip()
    if len(place) > 200:
        problems.append(Problem(None, "place", "too long (expected at most 200 characters)"))
    capacity = whole_number(values, "capacity", 1, MAX_CAPACITY, problems)
    points = (
        None
        if values.get("points") in (None, "")
        else whole_number(values, "points", 0, MAX_POINTS, problems)
    )
    if problems:
        raise RecordInvalid(problems)
    assert isinstance(starts_at, dt.datetime) and capacity is not None
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    starts_at = starts_at.astimezone(dt.UTC)
    if event is not None:
        taken = seats_taken(event)
        if capacity < taken:
            raise ClubRefused(
                _("The capacity cannot be below the %(taken)s seats already taken.")
                % {"taken": taken}
            )
    return {
        "name": name,
        "description": str(values.get("description") or "").strip(),
        "starts_at": starts_at,
        "place": place,
        "capacity": capacity,
        "points": points,
    }


def save_event(
    *, actor: User, values: dict[str, Any], event: ClubEvent | None = None, source: str = "web"
) -> ClubEvent:
    require_club_manager(actor)
    creating = event is None
    with transaction.atomic():
        target = (
            ClubEvent(created_by=actor)
            if event is None
            else ClubEvent.objects.select_for_update().get(pk=event.pk)
        )
        clean = clean_event(values, None if creating else target)
        before = {} if creating else audit.snapshot(target, EVENT_FIELDS)
        for name, value in clean.items():
            setattr(target, name, value)
        target.updated_at = timezone.now()
        target.save()
        after = audit.snapshot(target, EVENT_FIELDS)
        audit.record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            instance=target,
            changes=audit.created(after) if creating else audit.diff(before, after),
            account_id=None,
            source=source,
        )
    return target


def audit_invitation(
    invitation: Invitation, *, actor: User, changes: dict[str, list[Any]], action: str, source: str
) -> None:
    audit.record(
        actor=actor,
        action=action,
        instance=invitation,
        changes=changes,
        account_id=invitation.account_id,
        source=source,
    )


def invite(*, actor: User, event: ClubEvent, contact: Contact, source: str = "web") -> Invitation:
    """Invite a contact of a member account (whoever may change the account)."""
    account = contact.account
    require_account_writer(actor, account)
    if event.starts_at <= timezone.now():
        raise ClubRefused(
            _("%(event)s has started: invitations are closed.") % {"event": event.name}
        )
    membership = membership_of(account)
    if membership is None or not membership.is_active:
        raise ClubRefused(
            _("%(account)s is not a club member: enrol it before inviting its contacts.")
            % {"account": account.name}
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                event=event, contact=contact, account=account, invited_by=actor
            )
            audit_invitation(
                invitation,
                actor=actor,
                changes=audit.created(
                    {"event": event.name, "contact": contact.name, "status": invitation.status}
                ),
                action=AuditAction.CREATE,
                source=source,
            )
    except IntegrityError:
        raise ClubRefused(
            _("%(contact)s is invited to %(event)s already.")
            % {"contact": contact.name, "event": event.name}
        ) from None
    return invitation


def set_status(invitation: Invitation, status: str, *, actor: User, source: str) -> Invitation:
    before = invitation.status
    invitation.status = status
    invitation.updated_at = timezone.now()
    invitation.save(update_fields=["status", "updated_at"])
    audit_invitation(
        invitation,
        actor=actor,
        changes={"status": [before, status]},
        action=AuditAction.UPDATE,
        source=source,
    )
    return invitation


def respond(
    *, actor: User, invitation: Invitation, accepted: bool, source: str = "web"
) -> Invitation:
    """Record the contact's answer. Accepting takes a seat: refused when the event is full
    (the event row is locked while the seats are counted)."""
    require_account_writer(actor, invitation.account)
    with transaction.atomic():
        event = ClubEvent.objects.select_for_update().get(pk=invitation.event_id)
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("contact")
            .get(pk=invitation.pk)
        )
        if locked.status in (InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW):
            raise ClubRefused(
                _("The attendance of %(contact)s is recorded already.")
                % {"contact": locked.contact.name}
            )
        wanted = InvitationStatus.ACCEPTED if accepted else InvitationStatus.DECLINED
        if wanted == locked.status:
            return locked
        if accepted:
            taken = seats_taken(event)
            if taken >= event.capacity:
                raise ClubRefused(
                    _("%(event)s is full: all %(capacity)s seats are taken.")
                    % {"event": event.name, "capacity": event.capacity}
                )
        return set_status(locked, wanted, actor=actor, source=source)


def record_attendance(
    *, actor: User, invitation: Invitation, attended: bool, source: str = "web"
) -> tuple[Invitation, PointsEntry | None]:
    """Record whether the contact came. Attending earns the event's points once per account
    and event (a second contact of the same account earns nothing more), if the account is
    an active member. Attendance recorded is final: points are corrected by an adjustment."""
    require_account_writer(actor, invitation.account)
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("event", "contact", "account")
            .get(pk=invitation.pk)
        )
        event = locked.event
        if event.starts_at > now:
            raise ClubRefused(
                _("%(event)s has not started yet: attendance is recorded afterwards.")
                % {"event": event.name}
            )
        if locked.status == InvitationStatus.ATTENDED:
            if attended:
                return locked, None
            raise ClubRefused(
                _(
                    "%(contact)s is recorded as attended already; a director corrects the "
                    "points with an adjustment."
                )
                % {"contact": locked.contact.name}
            )
        if not attended:
            return set_status(locked, InvitationStatus.NO_SHOW, actor=actor, source=source), None
        set_status(locked, InvitationStatus.ATTENDED, actor=actor, source=source)
        entry = earn_for_attendance(locked, actor=actor, now=now)
    return locked, entry


def earn_for_attendance(
    invitation: Invitation, *, actor: User | None, now: dt.datetime | None = None
) -> PointsEntry | None:
    """The event's points for the invitation's account, once per account and event."""
    membership = membership_of(invitation.account)
    event = invitation.event
    points = event_points(event)
    if membership is None or not membership.is_active or points <= 0:
        return None
    return earn(
        membership=membership,
        delta=points,
        kind=EntryKind.EARN_EVENT,
        reference=f"event:{event.pk}:account:{invitation.account_id}",
        note=_("%(event)s, attended by %(contact)s")
        % {"event": event.name, "contact": invitation.contact.name},
        actor=actor,
        at=min(event.starts_at, now or timezone.now()),
        event=event,
    )


def invitable_contacts(user: User, event: ClubEvent) -> QuerySet[Contact]:
    """Contacts of active member accounts the user may change, not invited to the event."""
    from kam.contacts.services import visible_contacts

    if not user.is_active or user.is_read_only:
        return Contact.objects.none()
    return (
        visible_contacts(user)
        .filter(account__club_membership__left_on__isnull=True)
        .exclude(club_invitations__event=event)
        .select_related("account")
        .order_by("account__name", "name")
    )


# --- the overview -----------------------------------------------------------------------------


@dataclass
class Overview:
    year: int
    members: int
    by_level: list[tuple[str, str, int]]  # (level, label, count)
    issued: int
    redeemed: int
    upcoming: list[ClubEvent]


def year_start(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=timezone.get_current_timezone())


def club_overview(user: User, *, year: int | None = None, upcoming: int = 5) -> Overview:
    """Members by level and the points of the year, of the accounts the user sees."""
    year = year or timezone.localdate().year
    active = visible_memberships(user).filter(left_on__isnull=True)
    counts: Counter[str] = Counter()
    for tier in with_tier(active).values_list("tier", flat=True):  # type: ignore[misc]
        counts[level_of_tier(tier)] += 1
    rows = visible_entries(user).filter(at__gte=year_start(year), at__lt=year_start(year + 1))
    issued = rows.filter(kind__in=EARN_KINDS, delta__gt=0).aggregate(t=Sum("delta"))["t"] or 0
    spent = rows.filter(kind=EntryKind.REDEEM).aggregate(t=Sum("delta"))["t"] or 0
    events = list(
        visible_events(user)
        .filter(starts_at__gte=timezone.now())
        .order_by("starts_at", "pk")[:upcoming]
    )
    add_seats(events)
    return Overview(
        year=year,
        members=sum(counts.values()),
        by_level=[(level.value, str(level.label), counts[level.value]) for level in Level],
        issued=int(issued),
        redeemed=-int(spent),
        upcoming=events,
    )


def add_seats(events: list[ClubEvent]) -> list[ClubEvent]:
    """Each event with `seats_taken` (accepted or attended), in one query."""
    found = dict(
        Invitation.objects.filter(event__in=events, status__in=SEATED)
        .values("event_id")
        .annotate(n=Count("id"))
        .values_list("event_id", "n")
    )
    for event in events:
        event.seats_taken = int(found.get(event.pk, 0))  # type: ignore[attr-defined]
    return events


@dataclass
class AccountClub:
    """The account page's club section."""

    membership: Membership | None
    level: str
    balance: int
    latest: list[PointsEntry]
    may_join: bool

    @property
    def level_label(self) -> str:
        return level_label(self.level)


LATEST_ENTRIES = 5


def account_club(user: User, account: Account) -> AccountClub:
    membership = membership_of(account)
    level = level_of_tier(effective_tiers([account.pk]).get(account.pk))
    if membership is None:
        may_join = user.is_active and not user.is_read_only
        return AccountClub(None, level, 0, [], may_join)
    latest = list(ledger(membership)[:LATEST_ENTRIES])
    balance = int(latest[0].balance_after) if latest else 0  # type: ignore[attr-defined]
    may_join = not membership.is_active and user.is_active and not user.is_read_only
    return AccountClub(membership, level, balance, latest, may_join)
