"""`kam club balance` and `kam club redeem`: as the acting user, with their visibility."""

from __future__ import annotations

from kam.club.services import accrue_purchases, balance_of
from tests.cli.helpers import Kam
from tests.club.conftest import ALICE_POINTS, Club


def test_balance_shows_the_membership_and_the_ledger(club: Club, kam: Kam) -> None:
    accrue_purchases()
    result = kam("club", "balance", "A-1", "--as", "alice")
    assert result.exit_code == 0, result.output
    assert f"member KC{club.cast.alice_steel.pk:08d}, since 2026-01-01" in result.output
    assert "Level: Diamond" in result.output
    assert f"Balance: {ALICE_POINTS} points" in result.output
    assert "earn_purchase" in result.output and f"+{ALICE_POINTS}" in result.output


def test_balance_refuses_what_the_user_cannot_see(club: Club, kam: Kam) -> None:
    hidden = kam("club", "balance", "A-1", "--as", "bob")
    assert hidden.exit_code == 2 and "bob sees no account with external id 'A-1'" in hidden.output
    missing = kam("club", "balance", "B-2", "--as", "bob")
    assert missing.exit_code == 2 and "is not a club member" in missing.output


def test_redeem_by_name_or_id_and_refuse_a_short_balance(club: Club, kam: Kam) -> None:
    accrue_purchases()
    done = kam("club", "redeem", "A-1", "Summit pass", "--as", "alice")
    assert done.exit_code == 0, done.output
    assert (
        f"Redeemed Summit pass for 200 points; the balance of Alice Steel Co., Ltd. is "
        f"{ALICE_POINTS - 200} points" in done.output
    )
    short = kam("club", "redeem", "A-1", str(club.training.pk), "--as", "alice")
    assert short.exit_code == 1
    assert "Not enough points: Training seat costs 100 points" in short.output
    analyst = kam("club", "redeem", "A-1", "Training seat", "--as", "ann")
    assert analyst.exit_code == 2 and "ann may not redeem points" in analyst.output
    unknown = kam("club", "redeem", "A-1", "Yacht", "--as", "alice")
    assert unknown.exit_code == 2 and "no benefit 'Yacht'" in unknown.output
    assert balance_of(club.alice_member) == ALICE_POINTS - 200
