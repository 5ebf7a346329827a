"""A stand-in for the risk models, so these stories control what each account's risks are.

`bridge.signals` maps account id -> the parts to set (churn, credit, relationship,
anomalies, revenue_12m); accounts not named have no risk. The bridge tests
(test_bridge_frames.py, test_real_models.py) run the real models instead.

The cast's risks (`risky`):
* Alice Steel: churn high (P 0.8), revenue at stake 120,000, tier core;
* Bob Mining: credit stop, revenue at stake 500,000, tier diamond;
* Shared Telecom: relationship medium and an order anomaly, revenue at stake 300,000;
  no orders, so no churn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from kam.insights.models import TierChange
from kam.insights.risk import BookRisk, Signals
from kam.risk.models import RiskRun
from kam.risk.services import check_risks
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.cli.conftest import kam  # noqa: F401 - the command, in this process
from tests.conftest import Cast
from tests.insights.conftest import book, engine  # noqa: F401 - the scoring stories' fixtures

AS_OF = dt.date(2026, 6, 30)


def churn(probability: float, band: str, en: list[str], zh: list[str]) -> dict[str, Any]:
    return {"probability": probability, "band": band, "reasons_en": en, "reasons_zh": zh}


def credit(flag: str, overdue: float, en: list[str], zh: list[str]) -> dict[str, Any]:
    return {
        "flag": flag,
        "open_receivables": overdue + 1000.0,
        "overdue_amount": overdue,
        "ageing": {
            "current": 1000.0,
            "overdue_1_30": 0.0,
            "overdue_31_60": 0.0,
            "overdue_61_90": 0.0,
            "overdue_over_90": overdue,
        },
        "max_days_past_due": 120 if overdue else 0,
        "dso_days": 75.0,
        "delay_trend_days": 12.0,
        "credit_limit": 50000.0,
        "utilisation": 0.5,
        "reason_codes": ["overdue_long"] if overdue else [],
        "reasons_en": en,
        "reasons_zh": zh,
    }


def relationship(severity: str, flags: list[str], en: list[str], zh: list[str]) -> dict[str, Any]:
    return {"severity": severity, "flags": flags, "contacts": 1, "reasons_en": en, "reasons_zh": zh}


def anomalies(count: int, en: list[str], zh: list[str]) -> dict[str, Any]:
    return {"count": count, "latest": AS_OF, "reasons_en": en, "reasons_zh": zh}


CHURN_EN = "no purchase for 240 days"
CHURN_ZH = "240天未下单"
CREDIT_EN = "1,200.00 more than 90 days overdue (the oldest 120 days)"
CREDIT_ZH = "逾期超过90天的金额1,200.00（最长逾期120天）"
THIN_EN = "the economic buyer (who decides and holds the budget) is not known"
THIN_ZH = "未识别决策者（经济购买者）"
ODD_EN = "order of 20,000.00 is 19× the account's usual 1,036.15"
ODD_ZH = "订单金额20,000.00是该客户常规金额1,036.15的19倍"


@dataclass
class FakeBridge:
    signals: dict[int, dict[str, Any]] = field(default_factory=dict)
    fail: bool = False
    calls: int = 0
    as_of: list[dt.date] = field(default_factory=list)

    def __call__(self, as_of: dt.date, *, evaluate: bool = True) -> BookRisk:
        from kam.accounts.models import Account
        from kam.insights.notes import note_record

        self.calls += 1
        self.as_of.append(as_of)
        if self.fail:
            raise RuntimeError("the credit model blew up")
        accounts = {pk: Signals(pk) for pk in Account.objects.values_list("pk", flat=True)}
        for pk, parts in self.signals.items():
            for name, value in parts.items():
                setattr(accounts[pk], name, value)
        return BookRisk(
            as_of=as_of,
            accounts=accounts,
            warnings=[note_record("Too little history to train the churn model.")],
            churn_model={"method": "rules", "training_accounts": 3},
            order_count=12,
            payment_count=5,
        )


@pytest.fixture
def bridge(monkeypatch: pytest.MonkeyPatch) -> FakeBridge:
    fake = FakeBridge()
    monkeypatch.setattr("kam.insights.risk.book_risk", fake)
    return fake


def give_tier(account: Any, tier: str) -> None:
    TierChange.objects.create(account=account, from_tier="", to_tier=tier)


@pytest.fixture
def risky(cast: Cast, bridge: FakeBridge) -> Cast:
    bridge.signals = {
        cast.alice_steel.pk: {
            "revenue_12m": 120000.0,
            "churn": churn(0.8, "high", [CHURN_EN], [CHURN_ZH]),
            "credit": credit("ok", 0.0, [], []),
            "relationship": relationship("none", [], [], []),
        },
        cast.bob_mining.pk: {
            "revenue_12m": 500000.0,
            "churn": churn(0.1, "low", [], []),
            "credit": credit("stop", 1200.0, [CREDIT_EN], [CREDIT_ZH]),
            "relationship": relationship("low", ["no_coach"], ["no coach"], ["没有教练"]),
        },
        cast.shared_telecom.pk: {
            "revenue_12m": 300000.0,
            "relationship": relationship(
                "medium", ["economic_buyer_unknown"], [THIN_EN], [THIN_ZH]
            ),
            "anomalies": anomalies(1, [ODD_EN], [ODD_ZH]),
        },
    }
    give_tier(cast.alice_steel, "core")
    give_tier(cast.bob_mining, "diamond")
    return cast


@pytest.fixture
def checked(risky: Cast) -> RiskRun:
    """A successful risk run over the cast's risks, as of AS_OF."""
    run = check_risks(actor=risky.dora, as_of=AS_OF)
    assert run.status == "succeeded", run.error
    return run
