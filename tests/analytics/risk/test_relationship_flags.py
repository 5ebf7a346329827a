"""RISK-4: single-threaded accounts, an unknown or unmet economic buyer, no coach, an
absent owner; each weighed by the account's tier."""

from __future__ import annotations

import pandas as pd
import pytest

from kam_analytics.models.relationship import (
    RELATIONSHIP_FLAGS,
    TIER_SEVERITIES,
    TIERS,
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


# --- the severity follows the account's tier ------------------------------------------

#: One book, the same buying centre at every tier: a single contact (the economic buyer,
#: met lately, a supporter): single-threaded and without a coach.
SINGLE = [
    (tier, 1, "economic_buyer", "2024-06-01", "supporter")
    for tier in ("diamond", "core", "potential", "basic", "none")
]


def _tiered(contacts: pd.DataFrame, tiers: dict[str, str], **settings: str) -> pd.DataFrame:
    owners = pd.DataFrame(
        {
            "account_id": list(tiers),
            "owner_active": True,
            "owner_last_activity": "2024-06-25",
            "tier": list(tiers.values()),
        }
    )
    result = relationship_risk(
        contacts, owners, as_of=AS_OF, settings=RelationshipSettings(**settings)
    )
    return result.accounts.set_index("account_id")


SINGLE_TIERS = {
    "diamond": "diamond",
    "core": "core",
    "potential": "potential",
    "basic": "basic",
    "none": "",
}


def test_a_single_contact_is_high_at_a_key_account_and_not_at_a_basic_one() -> None:
    result = _tiered(_contacts(*SINGLE), SINGLE_TIERS)

    # The same flags everywhere: the facts do not depend on the tier ...
    assert all(flags == ["single_threaded", "no_coach"] for flags in result["flags"])
    assert result["single_threaded"].all()
    # ... their weight does.
    assert result.loc["diamond", "severity"] == "high"
    assert result.loc["core", "severity"] == "high"
    assert result.loc["potential", "severity"] == "low"
    assert result.loc["basic", "severity"] == "low"
    assert result["risk_points"].to_dict() == {
        "basic": 2,
        "core": 4,
        "diamond": 4,
        "none": 2,
        "potential": 2,
    }
    assert result.loc["basic", "reasons_en"][0] == "single-threaded: only one contact"


def test_an_account_without_a_tier_is_rated_as_untiered_as_says() -> None:
    default = _tiered(_contacts(*SINGLE), SINGLE_TIERS)
    strict = _tiered(_contacts(*SINGLE), SINGLE_TIERS, untiered_as="core")

    assert default.loc["none", "tier"] == "basic"
    assert default.loc["none", "severity"] == "low"
    assert strict.loc["none", "tier"] == "core"
    assert strict.loc["none", "severity"] == "high"
    with pytest.raises(ValueError, match="untiered_as must be one of"):
        RelationshipSettings(untiered_as="gold")


def test_without_tiers_every_account_is_rated_as_a_key_account() -> None:
    owners = _owners(("basic", True, "2024-06-25"))

    account = _account(_contacts(*SINGLE), owners, "basic")

    assert account["tier"] == ""
    assert account["severity"] == "high"


def test_an_unknown_or_unmet_economic_buyer_matters_at_key_accounts_only() -> None:
    contacts = _contacts(
        *[
            (tier, i, role, None, "neutral")
            for tier in ("core", "potential", "basic")
            for i, role in ((1, "coach"), (2, "user_buyer"))
        ],
        *[
            (f"{tier}-unmet", i, role, None, "neutral")
            for tier in ("core", "potential", "basic")
            for i, role in ((1, "economic_buyer"), (2, "coach"))
        ],
    )
    tiers = {name: name.split("-")[0] for name in ("core", "potential", "basic")}
    tiers |= {f"{t}-unmet": t for t in ("core", "potential", "basic")}

    result = _tiered(contacts, tiers)

    assert result.loc["core", "flags"] == ["economic_buyer_unknown"]
    assert result.loc["core", "severity"] == "medium"
    assert result.loc["core-unmet", "flags"] == ["economic_buyer_not_met"]
    assert result.loc["core-unmet", "severity"] == "medium"
    for tier in ("potential", "basic"):
        assert result.loc[tier, "severity"] == "low"
        assert result.loc[f"{tier}-unmet", "severity"] == "low"


def test_an_opposed_economic_buyer_weighs_less_the_smaller_the_account() -> None:
    tiers = {t: t for t in ("diamond", "potential", "basic")}
    contacts = _contacts(
        *[
            (tier, i, role, "2024-06-01", stance)
            for tier in tiers
            for i, role, stance in ((1, "economic_buyer", "opponent"), (2, "coach", "supporter"))
        ]
    )

    result = _tiered(contacts, tiers)

    assert all(flags == ["economic_buyer_opposed"] for flags in result["flags"])
    assert result["severity"].to_dict() == {
        "basic": "low",
        "diamond": "high",
        "potential": "medium",
    }


def test_an_owner_who_left_is_high_at_every_tier() -> None:
    contacts = _contacts(
        *[
            (t, i, role, met, stance)
            for t in ("core", "basic")
            for (_, i, role, met, stance) in HEALTHY
        ]
    )
    owners = pd.DataFrame(
        {
            "account_id": ["core", "basic"],
            "owner_active": False,
            "owner_last_activity": "2024-06-25",
            "tier": ["core", "basic"],
        }
    )

    result = relationship_risk(contacts, owners, as_of=AS_OF).accounts.set_index("account_id")

    assert result.loc["core", "flags"] == result.loc["basic", "flags"] == ["owner_gone"]
    assert (result["severity"] == "high").all()


def test_a_tier_outside_the_choices_is_refused() -> None:
    owners = pd.DataFrame({"account_id": ["x"], "owner_active": [True], "tier": ["gold"]})

    with pytest.raises(ValueError, match="row 1 has the tier 'gold'"):
        relationship_risk(_contacts(*HEALTHY), owners, as_of=AS_OF)


def test_every_tier_has_a_severity_for_every_flag_never_above_a_key_account() -> None:
    points = {"low": 1, "medium": 2, "high": 3}
    assert TIER_SEVERITIES["diamond"] == TIER_SEVERITIES["core"] == RELATIONSHIP_FLAGS
    for tier in TIERS:
        scale = TIER_SEVERITIES[tier]
        assert list(scale) == list(RELATIONSHIP_FLAGS)
        assert all(points[scale[f]] <= points[RELATIONSHIP_FLAGS[f]] for f in RELATIONSHIP_FLAGS)


def test_the_flags_come_most_serious_first_at_the_account_s_tier() -> None:
    contacts = _contacts(("p", 1, "economic_buyer", "2024-06-01", "opponent"))

    account = _tiered(contacts, {"p": "potential"}).loc["p"]

    # single_threaded comes before economic_buyer_opposed at a key account, not here
    assert account["flags"] == ["economic_buyer_opposed", "single_threaded", "no_coach"]
    assert account["severity"] == "medium"
    assert account["reasons_en"][0] == "the economic buyer is against us"
