"""The dashboard's risk summary: accounts at risk and revenue at stake per level and per
type of risk, of the accounts the user sees, in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from kam.accounts.models import Account
from kam.risk.models import RiskRun
from kam.risk.services import check_risks, risk_summary
from tests.conftest import Cast
from tests.risk.conftest import AS_OF, FakeBridge, churn
from tests.web.conftest import client_for


def rows(found: list[Any]) -> dict[str, tuple[int, float]]:
    return {row.code: (row.accounts, row.at_stake) for row in found}


def test_it_counts_accounts_and_revenue_at_stake_per_level_and_type(
    checked: RiskRun, risky: Cast
) -> None:
    summary = risk_summary(risky.dora)

    assert (summary.accounts, summary.at_risk, summary.at_stake) == (3, 3, 920000.0)
    assert rows(summary.levels) == {
        "high": (2, 620000.0),
        "medium": (1, 300000.0),
        "low": (0, 0.0),
    }
    assert rows(summary.types) == {
        "churn": (1, 120000.0),
        "credit": (1, 500000.0),
        "relationship": (1, 300000.0),
        "anomaly": (1, 300000.0),
    }


def test_it_is_empty_before_the_first_check(risky: Cast) -> None:
    summary = risk_summary(risky.dora)
    assert (summary.run, summary.at_risk, summary.levels) == (None, 0, [])


def test_the_dashboard_shows_the_summary(checked: RiskRun, risky: Cast) -> None:
    page = client_for(risky.alice).get(reverse("insights:dashboard")).content.decode()

    assert 'id="risk-summary"' in page
    assert "Risks as of 2026-06-30, of 2 accounts checked." in page
    assert "420,000" in page  # Alice Steel and Shared Telecom
    assert f'href="{reverse("risk:watch_list")}?risk_type=churn"' in page
    assert f'href="{reverse("risk:watch_list")}?level=high"' in page


def test_the_dashboard_says_when_there_is_no_check(risky: Cast) -> None:
    page = client_for(risky.alice).get(reverse("insights:dashboard")).content.decode()
    assert "No risk check yet: it follows every scoring run." in page


def test_the_summary_costs_the_same_queries_however_many_accounts(
    risky: Cast, bridge: FakeBridge, django_assert_max_num_queries: Any
) -> None:
    check_risks(actor=risky.dora, as_of=AS_OF)
    with django_assert_max_num_queries(2) as few:
        risk_summary(risky.mary)
    for n in range(30):
        account = Account.objects.create(name=f"More {n}", owner=risky.alice)
        bridge.signals[account.pk] = {"churn": churn(0.6, "high", ["x"], ["x"])}
    check_risks(actor=risky.dora, as_of=AS_OF)
    with django_assert_max_num_queries(2) as many:
        summary = risk_summary(risky.mary)
    assert summary.at_risk == 31
    assert len(many) == len(few)
