"""The demo book: the same for the same seed, Pareto-shaped, and a consistent customer
archive that the normal import path loads without a problem."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import pytest

from kam.accounts.models import Account, AccountTeamMember, HierarchyLevel
from kam.contacts.models import BuyingRole, Contact
from kam.core.demo import DemoBook, build_demo, create_demo_organisation, load_demo
from kam.core.models import Role, User
from kam.transactions.models import Order, Payment

SMALL = 200


@pytest.fixture(scope="module")
def book() -> DemoBook:
    return build_demo(seed=42, accounts=SMALL)


def test_it_is_deterministic(book: DemoBook) -> None:
    again = build_demo(seed=42, accounts=SMALL)

    assert again.accounts == book.accounts
    assert again.contacts == book.contacts
    assert again.orders == book.orders
    assert again.payments == book.payments
    assert again.team_members == book.team_members


def test_it_changes_with_the_seed(book: DemoBook) -> None:
    other = build_demo(seed=7, accounts=SMALL)

    assert other.accounts != book.accounts
    assert other.orders != book.orders


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_it_puts_most_revenue_in_the_top_fifth(seed: int) -> None:
    share = build_demo(seed=seed, accounts=SMALL).top_share(0.2)

    assert 0.7 <= share <= 0.9


def test_it_keeps_three_years_of_history_up_to_the_as_of_date(book: DemoBook) -> None:
    dates = sorted(dt.date.fromisoformat(o["order_date"]) for o in book.orders)

    assert book.as_of == dt.date(2026, 10, 31)
    assert dates[-1] <= book.as_of
    assert dates[0] >= dt.date(2023, 11, 1)
    assert {d.year for d in dates} == {2023, 2024, 2025, 2026}


def test_it_has_payments_on_time_late_and_overdue(book: DemoBook) -> None:
    as_of = book.as_of.isoformat()
    paid = [p for p in book.payments if p["paid_date"]]
    on_time = [p for p in paid if p["paid_date"] <= p["due_date"]]
    late = [p for p in paid if p["paid_date"] > p["due_date"]]
    overdue = [p for p in book.payments if not p["paid_date"] and p["due_date"] < as_of]

    assert len(on_time) > 0.7 * len(book.payments)
    assert late and overdue
    assert all(p["paid_date"] <= as_of for p in paid)
    orders = {o["external_id"]: o["account"] for o in book.orders}
    assert all(orders[p["order"]] == p["account"] for p in book.payments)


def test_it_builds_group_hierarchies(book: DemoBook) -> None:
    accounts = {a["external_id"]: a for a in book.accounts}
    levels = Counter(a["hierarchy_level"] for a in book.accounts)

    assert levels[HierarchyLevel.GROUP] and levels[HierarchyLevel.SUBSIDIARY]
    for account in book.accounts:
        if account["parent"]:
            parent = accounts[account["parent"]]
            expected = {
                HierarchyLevel.SUBSIDIARY: {HierarchyLevel.GROUP},
                HierarchyLevel.BRANCH: {HierarchyLevel.SUBSIDIARY},
            }
            assert parent["hierarchy_level"] in expected[account["hierarchy_level"]]


def test_it_covers_the_buying_centre_of_key_accounts(book: DemoBook) -> None:
    revenue = book.revenue_by_account()
    ranked = sorted(revenue, key=lambda ext: (-revenue[ext], ext))
    key, small = ranked[: SMALL // 5], ranked[SMALL // 2 :]
    roles: dict[str, list[str]] = defaultdict(list)
    for contact in book.contacts:
        roles[contact["account"]].append(contact["buying_role"])

    for ext in key:
        assert {BuyingRole.ECONOMIC_BUYER, BuyingRole.TECHNICAL_BUYER} <= set(roles[ext])
    assert 4 <= mean(len(roles[ext]) for ext in key) <= 6
    assert mean(len(roles[ext]) for ext in small) <= 2


def test_it_draws_an_org_chart_inside_each_account(book: DemoBook) -> None:
    account_of = {c["external_id"]: c["account"] for c in book.contacts}
    bosses = [c for c in book.contacts if c["reports_to"]]

    assert len(bosses) > len(book.contacts) / 3
    assert all(account_of[c["reports_to"]] == c["account"] for c in bosses)


def test_it_uses_real_places_and_international_markets() -> None:
    book = build_demo(seed=42, accounts=1000)
    countries = Counter(a["country"] for a in book.accounts)
    provinces = {a["province"] for a in book.accounts if a["country"] == "CN"}

    assert {"CN", "US", "DE", "SG", "JP"} <= set(countries)
    assert {"江苏", "广东", "北京", "四川"} <= provinces
    assert any(a["name"].endswith("有限公司") for a in book.accounts)


def test_it_has_the_demo_sales_organisation(book: DemoBook) -> None:
    roles = Counter(user.role for user in book.users)
    usernames = {user.username for user in book.users}

    assert roles == {
        Role.ADMINISTRATOR: 1,
        Role.DIRECTOR: 1,
        Role.SALES_MANAGER: 3,
        Role.ACCOUNT_MANAGER: 12,
        Role.ANALYST: 1,
        Role.SERVICE_AGENT: 2,
    }
    assert {"admin", "director", "manager1", "am01", "am12", "analyst", "service1"} <= usernames
    assert {a["owner"] for a in book.accounts} <= usernames


def test_it_loads_through_the_import_path(db: None, book: DemoBook, tmp_path: Path) -> None:
    users = create_demo_organisation(book)

    reports = load_demo(book, tmp_path, actor=users["admin"])

    assert all(report.ok for report in reports)
    assert Account.objects.count() == len(book.accounts)
    assert Contact.objects.count() == len(book.contacts)
    assert Order.objects.count() == len(book.orders)
    assert Payment.objects.count() == len(book.payments)
    assert AccountTeamMember.objects.count() == len(book.team_members)
    assert {p.name for p in tmp_path.iterdir()} == {
        "accounts.csv",
        "contacts.csv",
        "transactions.csv",
        "payments.csv",
    }
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo")
    assert User.objects.get(username="am01").team is not None
