"""Everybody sees the risks of exactly the accounts they see: on the watch list, in its
export, on the dashboard, on the account page and in the API (404 for the others)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.risk.models import RiskRun
from kam.risk.services import account_risk_context, risk_summary
from tests.api.conftest import ApiClient
from tests.conftest import Cast
from tests.risk.conftest import CHURN_EN
from tests.web.conftest import client_for

STEEL, MINING, TELECOM = "Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom"
SEES = {
    "root": {STEEL, MINING, TELECOM},
    "dora": {STEEL, MINING, TELECOM},
    "ann": {STEEL, MINING, TELECOM},  # analysts read everything
    "mary": {STEEL},  # her team owns Alice Steel
    "nick": {MINING, TELECOM},  # his team owns Bob's accounts
    "alice": {STEEL, TELECOM},  # owner, and on Shared Telecom's account team
    "bob": {MINING, TELECOM},
    "tom": set(),  # Alice's teammate owns nothing: the outsider of these stories
}
AT_STAKE = {STEEL: 120000.0, MINING: 500000.0, TELECOM: 300000.0}


@pytest.mark.parametrize("name", sorted(SEES))
def test_the_watch_list_shows_only_visible_accounts(
    checked: RiskRun, risky: Cast, name: str
) -> None:
    client = client_for(getattr(risky, name))
    rows = client.get(reverse("risk:watch_list")).context["page"].object_list
    assert {row.account.name for row in rows} == SEES[name]
    exported = client.get(reverse("risk:export")).content.decode("utf-8-sig")
    assert {r["account"] for r in csv.DictReader(io.StringIO(exported))} == SEES[name]


@pytest.mark.parametrize("name", sorted(SEES))
def test_the_risk_summary_counts_only_visible_accounts(
    checked: RiskRun, risky: Cast, name: str
) -> None:
    summary = risk_summary(getattr(risky, name))
    assert summary.run == checked
    assert summary.at_risk == len(SEES[name])
    assert summary.at_stake == sum(AT_STAKE[n] for n in SEES[name])


@pytest.mark.parametrize("name", sorted(SEES))
def test_the_account_risk_answers_404_for_invisible_accounts(
    checked: RiskRun, risky: Cast, api_as: object, name: str
) -> None:
    client: ApiClient = api_as(getattr(risky, name))  # type: ignore[operator]
    for account in Account.objects.all():
        response = client.get(f"/api/accounts/{account.pk}/risk")
        assert response.status_code == (200 if account.name in SEES[name] else 404)
    listed = client.get("/api/risk/watch-list").json()
    assert {item["account"] for item in listed["items"]} == SEES[name]
    assert listed["count"] == len(SEES[name])


@pytest.mark.parametrize("name", ["tom", "mary"])
def test_the_account_page_of_an_invisible_account_is_404(
    checked: RiskRun, risky: Cast, name: str
) -> None:
    response = client_for(getattr(risky, name)).get(risky.shared_telecom.get_absolute_url())
    assert response.status_code == 404


def test_the_account_section_needs_a_visible_account(checked: RiskRun, risky: Cast) -> None:
    context = account_risk_context(risky.alice, risky.alice_steel)["risk"]
    assert context["snapshot"].account == risky.alice_steel
    assert context["reasons"] == {"churn": [CHURN_EN]}
