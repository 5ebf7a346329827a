"""Who may see and change which accounts (PLAT-2).

All row-level visibility derives from `account_scope`: the accounts a user may see.
Objects that hang off an account (contacts, orders, payments, …) are visible exactly
when their account is. Views, exports and the API never filter by hand: they call the
access helper of their object type, which calls this.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from kam.core.models import Role, User


def account_scope(user: User, prefix: str = "") -> Q | None:
    """A filter for the accounts `user` may see, or None when they see all.

    `prefix` points at the account from another model, e.g. "account__".
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all_accounts:
        return None
    from kam.accounts.models import AccountTeamMember

    own = Q(**{f"{prefix}owner": user})
    on_team = Q(
        **{f"{prefix}pk__in": AccountTeamMember.objects.filter(user=user).values("account_id")}
    )
    scope = own | on_team
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        scope |= Q(**{f"{prefix}owner__team_id": user.team_id})
    return scope


def require_writer(user: User) -> None:
    """Analysts (and inactive users) read; they never write."""
    if not user.is_authenticated or not user.is_active or user.is_read_only:
        raise PermissionDenied("read-only user")


def may_assign_owner(actor: User, owner: User) -> bool:
    """Directors assign anyone; a sales manager, people of the team; others, themselves."""
    if actor.is_superuser or actor.role in {Role.ADMINISTRATOR, Role.DIRECTOR}:
        return True
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return owner.pk == actor.pk or owner.team_id == actor.team_id
    return owner.pk == actor.pk
