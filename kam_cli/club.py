"""`kam club …` (REL-5): earn the points of new orders (accrue), show an account's points
(balance) and redeem a benefit for an account (redeem). Each command acts as a user, with
that user's visibility and rights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import FAILED, fail, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database

if TYPE_CHECKING:
    from kam.accounts.models import Account
    from kam.club.models import Benefit, Membership
    from kam.core.models import User

LEDGER_SHOWN = 10

club_app = typer.Typer(
    help="The customer club: earn the points of new orders, show an account's points, "
    "redeem a benefit.",
    no_args_is_help=True,
)

AccountArgument = Annotated[
    str, typer.Argument(help="The account's external id.", show_default=False)
]


@club_app.command("accrue")
def accrue_command(actor_name: AsOption = None) -> None:
    """Give the orders of club members their points (directors and administrators).

    Idempotent: each order earns once, however often this runs."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.club.services import accrue_purchases, may_manage_club

    if not may_manage_club(actor):
        fail(f"{actor.username} may not accrue club points (directors and administrators may)")
    result = accrue_purchases(actor=actor)
    say(
        f"Accrued {result.points:,} points from {result.entries:,} orders "
        f"for {result.members:,} members"
    )


@club_app.command("balance")
def balance_command(account_id: AccountArgument, actor_name: AsOption = None) -> None:
    """Show an account's membership, level, balance and latest ledger rows."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.club.services import balance_of, ledger, level_label, levels_of

    account = find_account(actor, account_id)
    membership = find_membership(actor, account)
    level = levels_of([account.pk])[account.pk]
    state = f"left {membership.left_on}" if membership.left_on else f"since {membership.joined_on}"
    say(f"{account.name} ({account.external_id}): member {membership.number}, {state}")
    say(f"Level: {level_label(level)}")
    say(f"Balance: {balance_of(membership):,} points")
    table = Table("when", "kind", "points", "balance", "note")
    for entry in ledger(membership)[:LEDGER_SHOWN]:
        table.add_row(
            f"{entry.at:%Y-%m-%d %H:%M}",
            entry.kind,
            f"{entry.delta:+,}",
            f"{entry.balance_after:,}",  # type: ignore[attr-defined]
            entry.note[:60],
        )
    out.print(table)


@club_app.command("redeem")
def redeem_command(
    account_id: AccountArgument,
    benefit: Annotated[str, typer.Argument(help="The benefit's id or name.", show_default=False)],
    note: Annotated[str, typer.Option(help="A note kept in the ledger.")] = "",
    actor_name: AsOption = None,
) -> None:
    """Redeem points for a benefit; refused when the balance is too low."""
    require_ready_database()
    actor = acting_user(actor_name)
    from django.core.exceptions import PermissionDenied

    from kam.club.services import ClubRefused, balance_of, redeem

    account = find_account(actor, account_id)
    membership = find_membership(actor, account)
    chosen = find_benefit(benefit)
    try:
        entry = redeem(actor=actor, membership=membership, benefit=chosen, note=note, source="cli")
    except PermissionDenied:
        fail(f"{actor.username} may not redeem points (read-only)")
    except ClubRefused as refused:
        fail(refused.message, code=FAILED)
    say(
        f"Redeemed {chosen.name} for {-entry.delta:,} points; "
        f"the balance of {account.name} is {balance_of(membership):,} points"
    )


def find_account(actor: User, external_id: str) -> Account:
    from kam.accounts.services import visible_accounts

    account = visible_accounts(actor).filter(external_id=external_id.strip()).first()
    if account is None:
        fail(f"{actor.username} sees no account with external id {external_id!r}")
    return account


def find_membership(actor: User, account: Account) -> Membership:
    from kam.club.services import membership_of

    membership = membership_of(account)
    if membership is None:
        fail(f"{account.name} ({account.external_id}) is not a club member")
    membership.account = account
    return membership


def find_benefit(text: str) -> Benefit:
    from kam.club.models import Benefit

    text = text.strip()
    found = None
    if text.isdigit():
        found = Benefit.objects.filter(pk=int(text)).first()
    if found is None:
        found = Benefit.objects.filter(name__iexact=text).first()
    if found is None:
        fail(f"no benefit {text!r} (give its id or its name)")
    return found
