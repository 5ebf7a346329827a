"""Accounts: who sees which, the one access helper, the writes that matter, roll-ups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.http import Http404

from kam.accounts.io import ACCOUNT_AUDIT_FIELDS
from kam.accounts.models import Account, AccountTeamMember, Tag
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.models import AuditAction, Role, User


def visible_accounts(user: User) -> QuerySet[Account]:
    scope = account_scope(user)
    accounts = Account.objects.all()
    return accounts if scope is None else accounts.filter(scope)


def get_account_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Account:
    """The account if `user` may see it (and change it, with for_write), else 404.

    Unknown and invisible accounts look the same, so ids do not leak.
    """
    try:
        account = visible_accounts(user).select_related("owner", "region", "parent").get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise Http404("No such account") from None
    if for_write:
        require_writer(user)
    return account


def account_snapshot(account: Account) -> dict[str, Any]:
    values = audit.snapshot(account, [n for n in ACCOUNT_AUDIT_FIELDS if n != "tags"])
    values["parent"] = account.parent.external_id if account.parent else None
    values["owner"] = account.owner.username if account.owner_id else None
    values["region"] = account.region.code if account.region else None
    values["tags"] = audit.plain(sorted(t.name for t in account.tags.all())) if account.pk else ""
    return values


@transaction.atomic
def save_account(
    *, actor: User, values: dict[str, Any], account: Account | None = None, source: str = "web"
) -> Account:
    """Create or change an account from validated values (see dataio.kinds)."""
    require_writer(actor)
    creating = account is None
    target = account or Account()
    before = {} if creating else account_snapshot(target)
    tags = values.pop("tags", None)
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    if tags is not None:
        set_tags(target, tags)
    if creating and not target.external_id:
        target.external_id = f"KAM-A{target.pk:06d}"
        target.save(update_fields=["external_id"])
    after = account_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=target.pk,
        source=source,
    )
    return target


class AccountInUse(ValueError):
    """The account still heads subsidiaries or branches."""


@transaction.atomic
def delete_account(*, actor: User, account: Account, source: str = "web") -> None:
    """Delete an account with its contacts, orders and payments (audited).

    An account that still heads others is refused: deleting a group must not orphan
    (or silently delete) its subsidiaries.
    """
    require_writer(actor)
    children = account.children.count()
    if children:
        raise AccountInUse(
            f"{account.name} still heads {children} subsidiary or branch account(s); "
            "move or delete them first"
        )
    before = account_snapshot(account)
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=account,
        changes=audit.deleted(before),
        account_id=account.pk,
        source=source,
    )
    account.delete()
    entry.save()


def set_tags(account: Account, names: list[str]) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in names]
    account.tags.set(tags)


def may_manage_team(actor: User, account: Account) -> bool:
    """The owner, the owner's sales manager, directors and administrators staff an account."""
    if not actor.is_active or actor.is_read_only:
        return False
    if actor.is_superuser or actor.role in {Role.ADMINISTRATOR, Role.DIRECTOR}:
        return True
    if account.owner_id == actor.pk:
        return True
    return (
        actor.role == Role.SALES_MANAGER
        and actor.team_id is not None
        and account.owner.team_id == actor.team_id
    )


class NotAllowed(PermissionDenied):
    """The actor may see the account but not staff it."""


def add_account_team_member(*, actor: User, account: Account, user: User, role: str) -> None:
    """Put `user` on the account team (or change their role there); they then see it."""
    if user.pk == account.owner_id:
        raise ValueError("the owner is responsible for the account already")
    _change_team(
        actor,
        account,
        lambda: AccountTeamMember.objects.update_or_create(
            account=account, user=user, defaults={"role": role}
        ),
    )


def remove_account_team_member(*, actor: User, account: Account, user: User) -> None:
    _change_team(
        actor,
        account,
        lambda: AccountTeamMember.objects.filter(account=account, user=user).delete(),
    )


@transaction.atomic
def _change_team(actor: User, account: Account, change: Callable[[], object]) -> None:
    if not may_manage_team(actor, account):
        raise NotAllowed("may not change the account team")
    before = team_line(account)
    change()
    after = team_line(account)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=account,
        changes={"account team": [before, after]} if before != after else {},
        account_id=account.pk,
    )


def team_line(account: Account) -> str:
    members = account.team.select_related("user").order_by("user__username")
    return ", ".join(f"{m.user.username} ({m.role})" for m in members)


# --- hierarchy and roll-ups (DATA-2) -------------------------------------------------


@dataclass
class TreeNode:
    account: Account
    revenue: Decimal = Decimal(0)
    orders: int = 0
    contacts: int = 0
    last_order: Any = None
    children: list[TreeNode] = field(default_factory=list)
    total_revenue: Decimal = Decimal(0)
    total_orders: int = 0
    total_contacts: int = 0
    accounts_in_tree: int = 1


def hierarchy_for(user: User, account: Account) -> TreeNode:
    """The tree of the account's top group that `user` may see, with roll-ups.

    Roll-ups add up what the user can see: an account manager who owns the group but
    not a branch sees the group's totals without the branch's figures.
    """
    root = account
    seen = {root.pk}
    while root.parent_id is not None and root.parent_id not in seen:
        parent = visible_accounts(user).filter(pk=root.parent_id).first()
        if parent is None:
            break
        seen.add(parent.pk)
        root = parent
    members = _subtree(user, root)
    stats = _stats_for([a.pk for a in members])
    by_parent: dict[int | None, list[Account]] = defaultdict(list)
    for member in members:
        by_parent[member.parent_id].append(member)
    return _build(root, by_parent, stats, set())


def _subtree(user: User, root: Account) -> list[Account]:
    members = [root]
    frontier = [root.pk]
    visible = visible_accounts(user)
    while frontier:
        level = list(visible.filter(parent_id__in=frontier).order_by("name"))
        level = [a for a in level if a.pk not in {m.pk for m in members}]
        members.extend(level)
        frontier = [a.pk for a in level]
    return members


def _stats_for(pks: list[int]) -> dict[int, dict[str, Any]]:
    from kam.contacts.models import Contact
    from kam.transactions.models import Order

    stats: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in (
        Order.objects.filter(account_id__in=pks)
        .values("account_id")
        .annotate(revenue=Sum("amount"), orders=Count("id"), last=Max("order_date"))
    ):
        stats[row["account_id"]].update(
            revenue=row["revenue"] or Decimal(0), orders=row["orders"], last=row["last"]
        )
    contacts = Contact.objects.filter(account_id__in=pks).values("account_id")
    for account_id, count in contacts.annotate(n=Count("id")).values_list("account_id", "n"):
        stats[account_id]["contacts"] = count
    return stats


def _build(
    account: Account,
    by_parent: dict[int | None, list[Account]],
    stats: dict[int, dict[str, Any]],
    path: set[int],
) -> TreeNode:
    own = stats.get(account.pk, {})
    node = TreeNode(
        account=account,
        revenue=own.get("revenue", Decimal(0)),
        orders=own.get("orders", 0),
        contacts=own.get("contacts", 0),
        last_order=own.get("last"),
    )
    node.total_revenue, node.total_orders, node.total_contacts = (
        node.revenue,
        node.orders,
        node.contacts,
    )
    for child in by_parent.get(account.pk, []):
        if child.pk in path:
            continue
        sub = _build(child, by_parent, stats, path | {account.pk})
        node.children.append(sub)
        node.total_revenue += sub.total_revenue
        node.total_orders += sub.total_orders
        node.total_contacts += sub.total_contacts
        node.accounts_in_tree += sub.accounts_in_tree
    return node


def likely_duplicates(user: User, account: Account) -> QuerySet[Account]:
    return visible_accounts(user).filter(name_key=account.name_key).exclude(pk=account.pk)
