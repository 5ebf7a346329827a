"""Segments and strategies are written by one service each, audited, by the people allowed:
directors and administrators everything, a sales manager what their team owns; account
managers and analysts read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.segments.models import Segment, Strategy
from kam.segments.services import (
    ActiveStrategyExists,
    NameTaken,
    clean_segment,
    clean_strategy,
    delete_segment,
    save_segment,
    save_strategy,
)
from tests.conftest import Cast
from tests.segments.conftest import between, make_segment, one_of, rule

DEFINITION = rule(one_of("industry", "energy"))


def create(user: Any, name: str = "Energy", definition: Any = DEFINITION, **more: Any) -> Segment:
    values = clean_segment({"name": name, "definition": definition, **more}, actor=user)
    return save_segment(actor=user, values=values)


def add_strategy(user: Any, segment: Segment, **given: Any) -> Strategy:
    values = clean_strategy({"name": "Grow", **given}, actor=user, segment=segment)
    return save_strategy(actor=user, values=values, segment=segment)


def events(kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = AuditEvent.objects.filter(object_type=kind).order_by("id")
    return [(e.action, e.actor.username if e.actor else "", e.changes) for e in rows]


def test_it_audits_creating_changing_and_deleting_a_segment(cast: Cast) -> None:
    segment = create(cast.mary, description="Miners and power")
    values = clean_segment({"name": "Energy & mining"}, actor=cast.mary, segment=segment)
    save_segment(actor=cast.mary, values=values, segment=segment)
    delete_segment(actor=cast.dora, segment=segment)

    (created, changed, deleted) = events("segment")
    assert created[:2] == ("create", "mary")
    assert created[2]["name"] == [None, "Energy"]
    assert created[2]["owner"] == [None, "mary"]
    assert '"industry"' in created[2]["definition"][1]
    assert changed == ("update", "mary", {"name": ["Energy", "Energy & mining"]})
    assert deleted[:2] == ("delete", "dora")
    assert not Segment.objects.exists()


def test_it_audits_each_strategy_with_its_4ps(cast: Cast) -> None:
    segment = create(cast.dora)
    strategy = add_strategy(
        cast.dora,
        segment,
        status="active",
        product="Service contracts",
        price="Volume rebates",
        channel="Key account team",
        promotion="Annual summit",
        target_revenue="1,250,000.50",
        review_date="2027-01-31",
        owner="mary",
    )
    assert (strategy.target_revenue, strategy.review_date, strategy.owner) == (
        Decimal("1250000.50"),
        dt.date(2027, 1, 31),
        cast.mary,
    )
    values = clean_strategy(
        {"status": "retired", "price": "List price"},
        actor=cast.dora,
        segment=segment,
        strategy=strategy,
    )
    save_strategy(actor=cast.dora, values=values, segment=segment, strategy=strategy)

    (created, changed) = events("strategy")
    assert created[2]["product"] == [None, "Service contracts"]
    assert created[2]["target_revenue"] == [None, "1250000.5"]
    assert created[2]["segment"] == [None, "Energy"]
    assert changed == (
        "update",
        "dora",
        {"status": ["active", "retired"], "price": ["Volume rebates", "List price"]},
    )


def test_it_keeps_one_active_strategy_per_segment(cast: Cast) -> None:
    segment = create(cast.dora)
    first = add_strategy(cast.dora, segment, status="active")
    with pytest.raises(ActiveStrategyExists, match="'Grow' is active: retire it first"):
        clean_strategy({"name": "Second", "status": "active"}, actor=cast.dora, segment=segment)
    add_strategy(cast.dora, segment, name="Second")  # a draft is fine
    assert clean_strategy({"status": "active"}, actor=cast.dora, segment=segment, strategy=first)


def test_it_names_each_bad_field(cast: Cast) -> None:
    with pytest.raises(RecordInvalid) as raised:
        clean_segment(
            {"name": " ", "owner": "nobody", "definition": rule(between("employees", 9, 1))},
            actor=cast.dora,
        )
    assert raised.value.by_field() == {
        "name": "missing value (got '', expected a value)",
        "owner": "unknown user (got 'nobody', expected the username of an active user)",
        "definition.conditions.0.max": "condition 1 (employees): min is greater than max "
        "(got min 9 and max 1, expected min ≤ max)",
    }
    segment = create(cast.dora)
    with pytest.raises(RecordInvalid) as raised:
        clean_strategy(
            {"name": "", "status": "live", "target_revenue": "-5", "review_date": "soon"},
            actor=cast.dora,
            segment=segment,
        )
    assert raised.value.by_field() == {
        "name": "missing value (got '', expected a value)",
        "status": "unknown value (got 'live', expected one of: draft, active, retired)",
        "target_revenue": "too small (got '-5', expected a number of at least 0)",
        "review_date": "not a date (got 'soon', expected a date as YYYY-MM-DD)",
    }


def test_it_refuses_a_name_another_segment_has(cast: Cast) -> None:
    create(cast.dora)
    with pytest.raises(NameTaken, match="already used"):
        clean_segment({"name": "ENERGY", "definition": DEFINITION}, actor=cast.mary)


def test_it_lets_a_sales_manager_change_what_the_team_owns(cast: Cast) -> None:
    mine = create(cast.mary, "Mary's")
    teams = create(cast.mary, "Alice's", owner="alice")  # a member of her team
    directors = make_segment(cast.dora, "Dora's", DEFINITION)
    for segment in (mine, teams):
        values = clean_segment({"description": "checked"}, actor=cast.mary, segment=segment)
        save_segment(actor=cast.mary, values=values, segment=segment)
        add_strategy(cast.mary, segment)
    with pytest.raises(PermissionDenied):
        save_segment(actor=cast.mary, values={"description": "x"}, segment=directors)
    with pytest.raises(PermissionDenied):
        add_strategy(cast.mary, directors)
    with pytest.raises(RecordInvalid, match="not allowed"):
        clean_segment({"name": "Bob's", "definition": DEFINITION, "owner": "bob"}, actor=cast.mary)


@pytest.mark.parametrize("who", ["ann", "alice", "bob"])
def test_it_lets_analysts_and_account_managers_only_read(cast: Cast, who: str) -> None:
    user = getattr(cast, who)
    segment = make_segment(cast.dora, "Dora's", DEFINITION)
    with pytest.raises(PermissionDenied):
        save_segment(actor=user, values={"name": "Theirs", "owner": user, "definition": DEFINITION})
    with pytest.raises(PermissionDenied):
        delete_segment(actor=user, segment=segment)
    with pytest.raises(PermissionDenied):
        save_strategy(actor=user, values={"name": "x", "owner": user}, segment=segment)
    assert not AuditEvent.objects.exists()


def test_it_deletes_the_strategies_with_their_segment_and_says_so(cast: Cast) -> None:
    segment = create(cast.dora)
    add_strategy(cast.dora, segment, name="Plan A")
    add_strategy(cast.dora, segment, name="Plan B")
    delete_segment(actor=cast.dora, segment=segment)
    assert not Strategy.objects.exists()
    deleted = AuditEvent.objects.get(object_type="segment", action="delete")
    assert deleted.changes["strategies"] == ["Plan A, Plan B", None]
