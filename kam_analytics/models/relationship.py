"""Relationship risk (RISK-4): accounts that hang on one person, or on nobody who decides.

The buying centre (Webster & Wind 1972, "A general model for understanding organizational
buying behavior", Journal of Marketing 36(2); the roles of Miller & Heiman's *Strategic
Selling*, 1985: economic buyer, technical buyer, user buyer, coach) is read from the
contacts of each account; the roles and stances are the values of ``kam/contacts/models.py``
(`BUYING_ROLES`, `STANCES`) as plain strings.

Flags (codes in `RELATIONSHIP_FLAGS`, each with its severity):

==========================  ========  ==================================================
``owner_gone``              high      the account owner is no longer active
``single_threaded``         high      fewer than ``min_contacts`` (2) active contacts
``economic_buyer_opposed``  high      an economic buyer is an opponent and none supports us
``economic_buyer_unknown``  medium    no active contact is the economic buyer
``economic_buyer_not_met``  medium    no economic buyer met in the last
                                      ``economic_buyer_met_within_days`` (180), or never
``owner_inactive``          medium    the owner's last activity on the account is older
                                      than ``owner_inactive_days`` (60), or there is none
``no_coach``                low       nobody guides us inside the account
==========================  ========  ==================================================

The severities above are those of a key account (tier diamond or core). Relationship gaps
weigh in proportion to what the account is worth (`TIER_SEVERITIES`): one contact is normal
at a basic or potential account (low) and a danger at a diamond or core one; an economic
buyer against us is medium at a potential account, low at a basic one; ``owner_gone`` is
high at every tier (every account needs an owner). With a ``tier`` column in ``accounts``
each account's flags take the severities of its tier (an account without a tier, e.g. a
prospect not scored yet, those of ``untiered_as``, basic by default); without it every
account is rated as a key account. ``flags`` and the reasons come most serious first at
the account's tier.

An account's ``severity`` is that of its most serious flag ("none" without a flag) and
``risk_points`` the sum over its flags (high 3, medium 2, low 1), to order a watch list.
Contacts no longer at the account (``is_active`` false) do not count. See
docs/methods/risk.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from kam_analytics.models.scoring import shown_value

__all__ = [
    "BUYING_ROLES",
    "RELATIONSHIP_FLAGS",
    "SEVERITIES",
    "STANCES",
    "TIERS",
    "TIER_SEVERITIES",
    "RelationshipRisk",
    "RelationshipSettings",
    "relationship_risk",
]

#: kam.contacts.models.BuyingRole values.
BUYING_ROLES = ("coach", "user_buyer", "technical_buyer", "economic_buyer", "none")
#: kam.contacts.models.Stance values.
STANCES = ("supporter", "neutral", "opponent", "unknown")
SEVERITIES = ("none", "low", "medium", "high")
Severity = Literal["none", "low", "medium", "high"]
#: Every flag, most serious first, with its severity.
RELATIONSHIP_FLAGS: dict[str, Severity] = {
    "owner_gone": "high",
    "single_threaded": "high",
    "economic_buyer_opposed": "high",
    "economic_buyer_unknown": "medium",
    "economic_buyer_not_met": "medium",
    "owner_inactive": "medium",
    "no_coach": "low",
}
_POINTS = {"none": 0, "low": 1, "medium": 2, "high": 3}
#: kam.insights.models.Tier values, most valuable first.
TIERS = ("diamond", "core", "potential", "basic")
#: The severity of each flag at each tier: a gap in the buying centre matters in proportion
#: to what the account is worth. Key accounts (diamond, core) keep `RELATIONSHIP_FLAGS`.
#: Below them a thin buying centre is how smaller accounts buy (low); at a potential
#: account an economic buyer against us still blocks the growth the tier is for (medium).
#: An owner who left is high everywhere: every account needs one.
TIER_SEVERITIES: dict[str, dict[str, Severity]] = {
    "diamond": dict(RELATIONSHIP_FLAGS),
    "core": dict(RELATIONSHIP_FLAGS),
    "potential": {
        "owner_gone": "high",
        "single_threaded": "low",
        "economic_buyer_opposed": "medium",
        "economic_buyer_unknown": "low",
        "economic_buyer_not_met": "low",
        "owner_inactive": "low",
        "no_coach": "low",
    },
    "basic": {
        "owner_gone": "high",
        "single_threaded": "low",
        "economic_buyer_opposed": "low",
        "economic_buyer_unknown": "low",
        "economic_buyer_not_met": "low",
        "owner_inactive": "low",
        "no_coach": "low",
    },
}


@dataclass(frozen=True)
class RelationshipSettings:
    """Thresholds of the relationship flags."""

    min_contacts: int = 2
    economic_buyer_met_within_days: int = 180
    owner_inactive_days: int = 60
    #: The tier whose severities apply to an account the ``tier`` column leaves empty
    #: (not scored yet: a prospect without orders has no revenue at stake).
    untiered_as: str = "basic"

    def __post_init__(self) -> None:
        for name in ("min_contacts", "economic_buyer_met_within_days", "owner_inactive_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"RelationshipSettings.{name} must be a whole number >= 1; got {value!r}"
                )
        if self.untiered_as not in TIERS:
            raise ValueError(
                f"RelationshipSettings.untiered_as must be one of {', '.join(TIERS)}; "
                f"got {self.untiered_as!r}"
            )


@dataclass(frozen=True)
class RelationshipRisk:
    """Relationship flags of each account as of ``as_of``.

    ``accounts`` (one row per account of either frame, by id): ``account_id``,
    ``contacts``, ``economic_buyers``, ``coaches``, ``economic_buyer_last_met`` (the most
    recent meeting with an economic buyer, NaT if never), ``days_since_economic_buyer_met``,
    ``owner_active``, ``days_since_owner_activity``, ``tier`` (the tier whose severities
    apply; empty when the accounts have no tier: the key-account severities), one boolean
    column per flag, ``flags`` (codes, most serious first), ``severity``, ``risk_points``,
    ``reasons_en``, ``reasons_zh``.
    """

    accounts: pd.DataFrame
    as_of: date
    settings: RelationshipSettings
    warnings: list[str]


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...], hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name}: the column(s) {', '.join(map(repr, missing))} are missing; {hint}; the "
            f"table has {', '.join(map(repr, map(str, frame.columns)))}"
        )


def _choice(column: pd.Series, name: str, allowed: tuple[str, ...], default: str) -> pd.Series:
    text = column.fillna(default).astype(str).str.strip().str.lower()
    text = text.where(text != "", default)
    bad = ~text.isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"contacts: row {row + 1} has the {name} {shown_value(column.iloc[row])!r}; "
            f"expected one of {', '.join(allowed)} (or empty for {default})"
        )
    return text


def _date_column(column: pd.Series, table: str, name: str) -> pd.Series:
    parsed = pd.to_datetime(column, errors="coerce", format="mixed")
    blank = column.isna() | (column.astype(str).str.strip() == "")
    bad = parsed.isna() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{table}: row {row + 1} has a {name} that is not a date: "
            f"{shown_value(column.iloc[row])!r}; expected an ISO date such as 2024-03-31 (or empty)"
        )
    return parsed.astype("datetime64[ns]")


def _flag_column(column: pd.Series, table: str, name: str, default: bool) -> pd.Series:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    text = column.astype(str).str.strip().str.lower()
    values = text.map(words)
    values = values.where(column.notna(), default)
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{table}: row {row + 1} has the {name} {shown_value(column.iloc[row])!r}; "
            "expected true or false"
        )
    return values.astype(bool)


def _contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    _require(
        contacts,
        "contacts",
        ("account_id", "buying_role"),
        "they need account_id, contact_id, buying_role, last_met (empty if never) and stance",
    )
    n = len(contacts)
    frame = pd.DataFrame(
        {
            "account_id": contacts["account_id"].astype(str).to_numpy(),
            "buying_role": _choice(
                contacts["buying_role"], "buying_role", BUYING_ROLES, "none"
            ).to_numpy(),
            "stance": (
                _choice(contacts["stance"], "stance", STANCES, "unknown").to_numpy()
                if "stance" in contacts.columns
                else np.full(n, "unknown")
            ),
            "last_met": (
                _date_column(contacts["last_met"], "contacts", "last_met").to_numpy()
                if "last_met" in contacts.columns
                else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
            ),
            "is_active": (
                _flag_column(contacts["is_active"], "contacts", "is_active", True).to_numpy()
                if "is_active" in contacts.columns
                else np.ones(n, dtype=bool)
            ),
        }
    )
    return frame.loc[frame["is_active"]]


def _tiers(column: pd.Series) -> pd.Series:
    """The tiers as plain lower-case text; empty for an account without a tier."""
    text = column.fillna("").astype(str).str.strip().str.lower()
    bad = ~text.isin((*TIERS, ""))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"accounts: row {row + 1} has the tier {shown_value(column.iloc[row])!r}; "
            f"expected one of {', '.join(TIERS)} (or empty for an account without a tier)"
        )
    return text


def _accounts(accounts: pd.DataFrame | None) -> pd.DataFrame:
    if accounts is None:
        return pd.DataFrame(
            {
                "owner_active": pd.Series(dtype="object"),
                "owner_last_activity": pd.Series(dtype="datetime64[ns]"),
                "tier": pd.Series(dtype="object"),
            },
            index=pd.Index([], name="account_id"),
        )
    _require(
        accounts,
        "accounts",
        ("account_id",),
        "they need account_id, owner_active (true / false), owner_last_activity and tier",
    )
    ids = accounts["account_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(
            f"accounts: account {shown_value(ids[ids.duplicated()].iloc[0])!r} "
            "has more than one row"
        )
    n = len(accounts)
    active = (
        _flag_column(accounts["owner_active"], "accounts", "owner_active", True).to_numpy()
        if "owner_active" in accounts.columns
        else np.ones(n, dtype=bool)
    )
    last = (
        _date_column(accounts["owner_last_activity"], "accounts", "owner_last_activity").to_numpy()
        if "owner_last_activity" in accounts.columns
        else None
    )
    frame = pd.DataFrame(
        {"owner_active": active}, index=pd.Index(ids.to_numpy(), name="account_id")
    )
    frame["owner_active"] = frame["owner_active"].astype("object")
    frame["owner_last_activity"] = (
        last if last is not None else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    frame["tier"] = _tiers(accounts["tier"]).to_numpy() if "tier" in accounts.columns else ""
    frame.attrs["has_last_activity"] = last is not None
    frame.attrs["has_tier"] = "tier" in accounts.columns
    return frame


def _per_account(contacts: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    by = contacts.groupby("account_id")
    economic = contacts.loc[contacts["buying_role"] == "economic_buyer"]
    eb = economic.groupby("account_id")
    table = pd.DataFrame(index=ids)
    table["contacts"] = by.size().reindex(ids, fill_value=0).astype("int64")
    table["economic_buyers"] = eb.size().reindex(ids, fill_value=0).astype("int64")
    coaches = contacts.loc[contacts["buying_role"] == "coach"].groupby("account_id").size()
    table["coaches"] = coaches.reindex(ids, fill_value=0).astype("int64")
    table["economic_buyer_last_met"] = eb["last_met"].max().reindex(ids)
    opposed = (economic["stance"] == "opponent").groupby(economic["account_id"]).any()
    supports = (economic["stance"] == "supporter").groupby(economic["account_id"]).any()
    table["_eb_opposed"] = opposed.reindex(ids, fill_value=False).astype(bool)
    table["_eb_supports"] = supports.reindex(ids, fill_value=False).astype(bool)
    return table


def _reasons(row: Mapping[str, Any], s: RelationshipSettings) -> list[tuple[str, str, str]]:
    """(flag, English, Chinese) for every flag that applies, the most serious first."""
    found: list[tuple[str, str, str]] = []
    n = int(row["contacts"])
    if row["owner_active"] is False:
        found.append(
            (
                "owner_gone",
                "the account owner has left or is inactive: the account needs a new owner",
                "客户负责人已离职或停用：需指定新的负责人",
            )
        )
    if n < s.min_contacts:
        en = "no contact on file" if n == 0 else "single-threaded: only one contact"
        zh = "没有联系人" if n == 0 else "单线联系：仅有一名联系人"
        found.append(("single_threaded", en, zh))
    if row["_eb_opposed"] and not row["_eb_supports"]:
        found.append(
            (
                "economic_buyer_opposed",
                "the economic buyer is against us",
                "决策者（经济购买者）持反对态度",
            )
        )
    if int(row["economic_buyers"]) == 0:
        found.append(
            (
                "economic_buyer_unknown",
                "the economic buyer (who decides and holds the budget) is not known",
                "未识别决策者（经济购买者）",
            )
        )
    else:
        days = row["days_since_economic_buyer_met"]
        limit = s.economic_buyer_met_within_days
        if days is None or not np.isfinite(days):
            found.append(
                (
                    "economic_buyer_not_met",
                    "the economic buyer has never been met",
                    "从未见过决策者",
                )
            )
        elif days > limit:
            d = int(days)
            found.append(
                (
                    "economic_buyer_not_met",
                    f"the economic buyer was last met {d} days ago (more than {limit})",
                    f"上次见决策者是{d}天前（超过{limit}天）",
                )
            )
    if row["owner_active"] is True and row["_owner_known"]:
        days = row["days_since_owner_activity"]
        limit = s.owner_inactive_days
        if days is None or not np.isfinite(days):
            found.append(
                (
                    "owner_inactive",
                    "the account owner has recorded no activity on the account",
                    "客户负责人没有任何跟进记录",
                )
            )
        elif days > limit:
            d = int(days)
            found.append(
                (
                    "owner_inactive",
                    f"no activity by the account owner for {d} days (more than {limit})",
                    f"客户负责人已{d}天无跟进（超过{limit}天）",
                )
            )
    if int(row["coaches"]) == 0:
        found.append(("no_coach", "no coach inside the account", "客户内部没有教练（内线）"))
    order = list(RELATIONSHIP_FLAGS)
    return sorted(found, key=lambda item: order.index(item[0]))


def _by_severity(
    found: list[tuple[str, str, str]], scale: Mapping[str, Severity]
) -> list[tuple[str, str, str]]:
    """The reasons, the most serious at the account's tier first, then in the order of the
    flags (`_reasons` gives them in that order; the sort is stable)."""
    return sorted(found, key=lambda item: -_POINTS[scale[item[0]]])


def relationship_risk(
    contacts: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    as_of: date | str,
    settings: RelationshipSettings | None = None,
) -> RelationshipRisk:
    """The relationship flags of every account (see the module docstring).

    ``contacts``: ``account_id``, ``buying_role`` (`BUYING_ROLES`, empty = none), and
    optionally ``contact_id``, ``last_met`` (date, empty if never), ``stance``
    (`STANCES`), ``is_active``. ``accounts``: ``account_id``, optionally ``owner_active``
    (true / false), ``owner_last_activity`` (date, empty if none) and ``tier`` (`TIERS`;
    empty: ``settings.untiered_as``); accounts without contacts are listed from here.
    Without ``owner_last_activity`` (or without ``accounts``) the owner flags are not
    checked; without ``tier`` every account is rated as a key account (diamond or core).
    """
    s = settings or RelationshipSettings()
    today = _as_date(as_of)
    stamp = pd.Timestamp(today)
    people = _contacts(contacts)
    owners = _accounts(accounts)
    ids = pd.Index(
        sorted(set(contacts["account_id"].astype(str)) | set(owners.index)), name="account_id"
    )
    table = _per_account(people, ids)
    table["days_since_economic_buyer_met"] = (stamp - table["economic_buyer_last_met"]).dt.days
    aligned = owners.reindex(ids)
    table["owner_active"] = [
        None if pd.isna(v) else bool(v) for v in aligned["owner_active"].to_numpy()
    ]
    table["days_since_owner_activity"] = (stamp - aligned["owner_last_activity"]).dt.days
    has_activity = bool(owners.attrs.get("has_last_activity", False))
    table["_owner_known"] = aligned.index.isin(owners.index) & has_activity
    if owners.attrs.get("has_tier", False):
        given = aligned["tier"].fillna("").astype(str)
        table["tier"] = given.where(given != "", s.untiered_as).to_numpy()
    else:
        table["tier"] = ""
    scales = [TIER_SEVERITIES.get(str(tier), RELATIONSHIP_FLAGS) for tier in table["tier"]]
    found = [
        _by_severity(_reasons(row, s), scale)
        for row, scale in zip(table.to_dict("records"), scales, strict=True)
    ]
    for flag in RELATIONSHIP_FLAGS:
        table[flag] = [any(code == flag for code, _, _ in items) for items in found]
    table["flags"] = [[code for code, _, _ in items] for items in found]
    table["severity"] = [
        max((scale[code] for code, _, _ in items), key=_POINTS.__getitem__, default="none")
        for items, scale in zip(found, scales, strict=True)
    ]
    table["risk_points"] = [
        sum(_POINTS[scale[code]] for code, _, _ in items)
        for items, scale in zip(found, scales, strict=True)
    ]
    table["reasons_en"] = [[en for _, en, _ in items] for items in found]
    table["reasons_zh"] = [[zh for _, _, zh in items] for items in found]
    table = table.drop(columns=["_eb_opposed", "_eb_supports", "_owner_known"])
    notes = []
    if accounts is None:
        notes.append("No accounts were given: the account owners are not checked.")
    elif not has_activity:
        notes.append(
            "The accounts have no owner_last_activity: the owners' activity is not checked."
        )
    return RelationshipRisk(accounts=table.reset_index(), as_of=today, settings=s, warnings=notes)
