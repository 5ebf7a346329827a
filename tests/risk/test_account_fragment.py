"""The account page's risk section (risk/_account_risk.html with account_risk_context):
the latest snapshot of the account with its reasons in the page's language, in one query."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from django.utils.html import escape

from kam.risk.models import RiskRun
from kam.risk.services import account_risk_context, check_risks
from tests.conftest import Cast
from tests.risk.conftest import (
    AS_OF,
    CHURN_EN,
    CHURN_ZH,
    CREDIT_EN,
    ODD_EN,
    THIN_EN,
    FakeBridge,
)


def section(user: Any, account: Any, language: str = "en") -> str:
    request = RequestFactory().get(account.get_absolute_url())
    request.user = user
    with translation.override(language):
        context = {"account": account, **account_risk_context(user, account)}
        return render_to_string("risk/_account_risk.html", context, request=request)


def test_it_shows_the_latest_risks_of_the_account(checked: RiskRun, risky: Cast) -> None:
    html = section(risky.alice, risky.alice_steel)

    assert 'id="risk"' in html
    assert "risk-badge risk-high" in html
    assert "Checked as of 2026-06-30." in html
    assert "Tier at risk: Core." in html
    assert "Revenue at stake: 120,000" in html
    assert "Churn risk: High" in html and "(80%)" in html
    assert CHURN_EN in html
    assert "Credit flag: OK" in html
    assert "Not yet due" in html  # the ageing buckets


def test_it_names_every_kind_of_risk_found(checked: RiskRun, risky: Cast) -> None:
    mining = section(risky.bob, risky.bob_mining)
    assert "Credit flag: Stop" in mining and CREDIT_EN in mining
    assert "Over 90 days overdue" in mining
    telecom = section(risky.bob, risky.shared_telecom)
    assert "No orders: churn is not measured." in telecom
    assert "No payments and no credit limit" in telecom
    assert "Relationship risk: Medium" in telecom and THIN_EN in telecom
    assert "1 unusual order in the last 90 days" in telecom
    assert escape(ODD_EN) in telecom


def test_it_speaks_chinese_with_the_stored_chinese_reasons(checked: RiskRun, risky: Cast) -> None:
    html = section(risky.alice, risky.alice_steel, "zh-hans")
    assert CHURN_ZH in html
    assert CHURN_EN not in html


def test_it_shows_the_latest_successful_run(
    checked: RiskRun, risky: Cast, bridge: FakeBridge
) -> None:
    bridge.signals[risky.alice_steel.pk]["revenue_12m"] = 99000.0
    newer = check_risks(actor=risky.dora, as_of=AS_OF)
    bridge.fail = True
    check_risks(actor=risky.dora)

    risk = account_risk_context(risky.alice, risky.alice_steel)["risk"]
    assert risk["run"] == newer
    assert risk["snapshot"].revenue_at_stake == 99000.0


def test_it_says_when_the_account_was_never_checked(risky: Cast) -> None:
    html = section(risky.alice, risky.alice_steel)
    assert "Not checked yet" in html


def test_it_costs_one_query(checked: RiskRun, risky: Cast, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        context = account_risk_context(risky.alice, risky.alice_steel)
    assert context["risk"]["may_check"] is False
    assert account_risk_context(risky.dora, risky.alice_steel)["risk"]["may_check"] is True
