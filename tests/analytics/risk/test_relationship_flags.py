"""RISK-4: single-threaded accounts, an unknown or unmet economic buyer, no coach, an
absent owner."""

from __future__ import annotations

import pandas as pd
import pytest

from kam_analytics.models.relationship import (
    RELATIONSHIP_FLAGS,
    RelationshipSettings,
    relationship_risk,
)

AS_OF = "2024-06-30"
HEALTHY = [
    ("ok", 1, "economic_buyer", "2024-06-01", "supporter"),
    ("ok", 2, "coach", "2024-06-20", "supporter"),
    ("ok", 3, "technical_buyer", None, "neutral"),
]


def _contacts(*rows: tuple[str, int, str, str | None, str]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["account_id", "contact_id", "buying_role", "last_met", "stance"]
    )


def _owners(*rows: tuple[str, bool, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "owner_active", "owner_last_activity"])


def _account(contacts: pd.DataFrame, owners: pd.DataFrame | None, account: str) -> pd.Series:
    result = relationship_risk(contacts, owners, as_of=AS_OF)
    return result.accounts.set_index("account_id").loc[account]


def test_a_healthy_account_has_no_flag() -> None:
    account = _account(_contacts(*HEALTHY), _owners(("ok", True, "2024-06-25")), "ok")

    assert account["flags"] == []
    assert account["severity"] == "none"
    assert account["risk_points"] == 0
    assert not any(account[flag] for flag in RELATIONSHIP_FLAGS)


def test_a_single_contact_account_is_single_threaded() -> None:
    contacts = _contacts(("solo", 1, "economic_buyer", "2024-06-01", "supporter"))

    account = _account(contacts, None, "solo")

    assert account["single_threaded"]
    assert account["flags"] == ["single_threaded", "no_coach"]
    assert account["severity"] == "high"
    assert account["reasons_en"][0] == "single-threaded: only one contact"
    assert account["reasons_zh"][0] == "单线联系：仅有一名联系人"


def test_an_account_without_contacts_is_listed_from_the_accounts() -> None:
    account = _account(_contacts(*HEALTHY), _owners(("empty", True, "2024-06-25")), "empty")

    assert account["contacts"] == 0
    assert account["flags"] == ["single_threaded", "economic_buyer_unknown", "no_coach"]
    assert account["reasons_en"][0] == "no contact on file"


def test_no_economic_buyer_means_the_economic_buyer_is_unknown() -> None:
    contacts = _contacts(("x", 1, "coach", None, "supporter"), ("x", 2, "user_buyer", None, ""))

    account = _account(contacts, None, "x")

    assert account["flags"] == ["economic_buyer_unknown"]
    assert account["severity"] == "medium"
    assert "未识别决策者" in account["reasons_zh"][0]


def test_an_economic_buyer_never_met_or_not_met_lately_is_flagged() -> None:
    contacts = _contacts(
        ("never", 1, "economic_buyer", None, "neutral"),
        ("never", 2, "coach", "2024-06-01", "supporter"),
        ("stale", 3, "economic_buyer", "2023-12-01", "neutral"),  # 212 days ago
        ("stale", 4, "coach", "2024-06-01", "supporter"),
        ("recent", 5, "economic_buyer", "2024-03-01", "neutral"),  # 121 days ago
        ("recent", 6, "coach", "2024-06-01", "supporter"),
    )
    result = relationship_risk(contacts, as_of=AS_OF).accounts.set_index("account_id")

    assert result.loc["never", "flags"] == ["economic_buyer_not_met"]
    assert result.loc["never", "reasons_en"] == ["the economic buyer has never been met"]
    assert result.loc["stale", "flags"] == ["economic_buyer_not_met"]
    assert result.loc["stale", "days_since_economic_buyer_met"] == 212
    assert "212 days ago" in result.loc["stale", "reasons_en"][0]
    assert "212天前" in result.loc["stale", "reasons_zh"][0]
    assert result.loc["recent", "flags"] == []


def test_an_opposed_economic_buyer_is_serious() -> None:
    contacts = _contacts(
        ("x", 1, "economic_buyer", "2024-06-01", "opponent"),
        ("x", 2, "coach", "2024-06-01", "supporter"),
    )

    account = _account(contacts, None, "x")

    assert account["flags"] == ["economic_buyer_opposed"]
    assert account["severity"] == "high"


def test_an_owner_who_left_or_went_quiet_is_flagged() -> None:
    contacts = _contacts(
        *HEALTHY,
        *[
            (a, i, role, met, stance)
            for a in ("gone", "quiet")
            for (_, i, role, met, stance) in HEALTHY
        ],
    )
    owners = _owners(
        ("ok", True, "2024-06-25"), ("gone", False, "2024-06-25"), ("quiet", True, "2024-03-01")
    )
    result = relationship_risk(contacts, owners, as_of=AS_OF).accounts.set_index("account_id")

    assert result.loc["gone", "flags"] == ["owner_gone"]
    assert result.loc["gone", "severity"] == "high"
    assert result.loc["quiet", "flags"] == ["owner_inactive"]
    assert "121 days" in result.loc["quiet", "reasons_en"][0]
    assert result.loc["ok", "flags"] == []


def test_contacts_who_left_do_not_count() -> None:
    contacts = _contacts(*HEALTHY)
    contacts["is_active"] = [True, False, False]

    account = _account(contacts, None, "ok")

    assert account["contacts"] == 1
    assert account["flags"] == ["single_threaded", "no_coach"]


def test_the_thresholds_are_settings() -> None:
    contacts = _contacts(*HEALTHY)
    strict = RelationshipSettings(min_contacts=4, economic_buyer_met_within_days=10)

    result = relationship_risk(contacts, as_of=AS_OF, settings=strict).accounts

    assert result.loc[0, "flags"] == ["single_threaded", "economic_buyer_not_met"]


def test_a_buying_role_outside_the_choices_is_refused() -> None:
    contacts = _contacts(("x", 1, "decider", None, "neutral"))

    with pytest.raises(ValueError, match="row 1 has the buying_role 'decider'"):
        relationship_risk(contacts, as_of=AS_OF)


def test_without_accounts_the_owner_is_not_checked_and_it_says_so() -> None:
    result = relationship_risk(_contacts(*HEALTHY), as_of=AS_OF)

    assert result.accounts.loc[0, "flags"] == []
    assert result.warnings == ["No accounts were given: the account owners are not checked."]
