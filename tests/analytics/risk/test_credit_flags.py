"""RISK-2: overdue receivables, ageing, DSO, delay trend, credit limits and the flag."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kam_analytics.models.credit import CreditSettings, ageing, credit_risk

AS_OF = "2024-06-30"


def _payments(*rows: tuple[str, str, str | None, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "due_date", "paid_date", "amount"])


def _one(result_accounts: pd.DataFrame, customer: str) -> pd.Series:
    return result_accounts.set_index("customer_id").loc[customer]


def test_an_invoice_95_days_overdue_stops_the_account() -> None:
    payments = _payments(
        ("late", "2024-03-27", None, 1200.0),  # 95 days past due
        ("late", "2024-06-20", "2024-06-21", 500.0),
    )

    account = _one(credit_risk(payments, as_of=AS_OF).accounts, "late")

    assert account["flag"] == "stop"
    assert account["reason_codes"] == ["overdue_long"]
    assert account["overdue_over_90"] == 1200.0
    assert account["max_days_past_due"] == 95
    assert account["reasons_en"] == ["1,200.00 more than 90 days overdue (the oldest 95 days)"]
    assert account["reasons_zh"] == ["逾期超过90天的金额1,200.00（最长逾期95天）"]


def test_an_invoice_40_days_overdue_puts_the_account_on_watch() -> None:
    payments = _payments(("slow", "2024-05-21", None, 300.0))

    account = _one(credit_risk(payments, as_of=AS_OF).accounts, "slow")

    assert account["flag"] == "watch"
    assert account["reason_codes"] == ["overdue"]
    assert "300.00 more than 30 days overdue" in account["reasons_en"][0]
    assert "逾期超过30天" in account["reasons_zh"][0]


def test_the_ageing_buckets_split_the_open_amounts_by_days_past_due() -> None:
    payments = _payments(
        ("a", "2024-07-15", None, 1.0),  # not yet due
        ("a", "2024-06-30", None, 2.0),  # due today: current
        ("a", "2024-05-31", None, 4.0),  # 30 days
        ("a", "2024-05-30", None, 8.0),  # 31 days
        ("a", "2024-04-01", None, 16.0),  # 90 days
        ("a", "2024-03-31", None, 32.0),  # 91 days
        ("a", "2024-01-01", "2024-07-02", 64.0),  # paid after the as-of date: still open
        ("a", "2024-01-01", "2024-06-29", 128.0),  # paid: not open
    )

    table = ageing(payments, as_of=AS_OF).loc["a"]

    assert table["current"] == 3.0
    assert table["overdue_1_30"] == 4.0
    assert table["overdue_31_60"] == 8.0
    assert table["overdue_61_90"] == 16.0
    assert table["overdue_over_90"] == 32.0 + 64.0
    assert table["open_receivables"] == 127.0
    assert table["overdue_amount"] == 124.0


def test_invoices_issued_after_the_as_of_date_are_not_receivables_yet() -> None:
    payments = _payments(("a", "2024-07-30", None, 100.0), ("a", "2024-06-15", None, 50.0))
    payments["invoice_date"] = ["2024-07-01", "2024-05-15"]

    account = _one(credit_risk(payments, as_of=AS_OF).accounts, "a")

    assert account["open_receivables"] == 50.0


def test_dso_is_receivables_over_the_revenue_of_the_last_90_days_times_90() -> None:
    payments = _payments(("a", "2024-07-30", None, 300.0))
    revenue = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": ["2024-04-15", "2024-06-01", "2024-03-01"],  # the last is too old
            "amount": [400.0, 500.0, 1000.0],
        }
    )

    result = credit_risk(payments, as_of=AS_OF, revenue=revenue)

    account = _one(result.accounts, "a")
    assert account["revenue_last_period"] == 900.0
    assert account["dso_days"] == pytest.approx(300.0 / 900.0 * 90)
    assert result.revenue_source == "revenue"
    assert result.warnings == []


def test_without_revenue_dso_falls_back_on_the_payments_with_a_warning() -> None:
    payments = _payments(("a", "2024-06-10", "2024-06-12", 600.0), ("a", "2024-07-30", None, 200.0))

    result = credit_risk(payments, as_of=AS_OF)

    assert _one(result.accounts, "a")["dso_days"] == pytest.approx(200.0 / 600.0 * 90)
    assert result.revenue_source == "due_date"
    assert any("payment terms" in note for note in result.warnings)


def test_open_receivables_over_the_credit_limit_stop_the_account() -> None:
    payments = _payments(("big", "2024-07-30", None, 12_000.0), ("near", "2024-07-30", None, 850.0))
    limits = pd.DataFrame({"customer_id": ["big", "near"], "credit_limit": [10_000.0, 1000.0]})

    accounts = credit_risk(payments, as_of=AS_OF, credit_limits=limits).accounts

    big, near = _one(accounts, "big"), _one(accounts, "near")
    assert big["utilisation"] == pytest.approx(1.2)
    assert big["flag"] == "stop"
    assert big["reason_codes"] == ["over_credit_limit"]
    assert big["reasons_en"] == [
        "open receivables 12,000.00 are 120% of the credit limit 10,000.00"
    ]
    assert near["flag"] == "watch"
    assert near["reason_codes"] == ["near_credit_limit"]
    assert "85%" in near["reasons_zh"][0]


def test_just_over_the_limit_is_watched_and_a_material_excess_stops() -> None:
    payments = _payments(
        ("just", "2024-07-30", None, 10_500.0), ("well", "2024-07-30", None, 11_500.0)
    )
    limits = {"just": 10_000.0, "well": 10_000.0}

    accounts = credit_risk(payments, as_of=AS_OF, credit_limits=limits).accounts

    just, well = _one(accounts, "just"), _one(accounts, "well")
    assert just["flag"] == "watch"
    assert just["reason_codes"] == ["near_credit_limit"]
    assert just["reasons_en"] == [
        "open receivables 10,500.00 use 105% of the credit limit 10,000.00"
    ]
    assert well["flag"] == "stop"
    assert well["reason_codes"] == ["over_credit_limit"]
    strict = CreditSettings(stop_utilisation=1.0)
    at_once = credit_risk(payments, as_of=AS_OF, credit_limits=limits, settings=strict).accounts
    assert _one(at_once, "just")["flag"] == "stop"


def test_a_zero_limit_with_anything_open_is_over_it() -> None:
    payments = _payments(("cash", "2024-07-30", None, 10.0))

    account = _one(credit_risk(payments, as_of=AS_OF, credit_limits={"cash": 0}).accounts, "cash")

    assert math.isinf(account["utilisation"])
    assert account["flag"] == "stop"


def test_payments_getting_later_put_the_account_on_watch() -> None:
    payments = _payments(
        # due in the 90 days before the last 90: paid 2 days late
        ("drifting", "2024-02-15", "2024-02-17", 100.0),
        ("drifting", "2024-03-15", "2024-03-17", 100.0),
        # due in the last 90 days: paid 20 days late
        ("drifting", "2024-04-10", "2024-04-30", 100.0),
        ("drifting", "2024-05-10", "2024-05-30", 100.0),
    )

    account = _one(credit_risk(payments, as_of=AS_OF).accounts, "drifting")

    assert account["mean_days_late_previous"] == 2.0
    assert account["mean_days_late_recent"] == 20.0
    assert account["delay_trend_days"] == 18.0
    assert account["flag"] == "watch"
    assert account["reason_codes"] == ["payment_delay_worsening"]
    assert "18 days later" in account["reasons_en"][0]
    assert "拖延加剧18天" in account["reasons_zh"][0]


def test_a_customer_who_pays_on_time_is_ok() -> None:
    payments = _payments(
        ("good", "2024-03-01", "2024-02-28", 100.0),
        ("good", "2024-06-01", "2024-06-01", 100.0),
        ("good", "2024-07-20", None, 100.0),
    )

    account = _one(
        credit_risk(payments, as_of=AS_OF, credit_limits={"good": 1000}).accounts, "good"
    )

    assert account["flag"] == "ok"
    assert account["reason_codes"] == account["reasons_en"] == account["reasons_zh"] == []
    assert account["overdue_amount"] == 0.0
    assert account["utilisation"] == pytest.approx(0.1)


def test_customers_with_only_a_limit_are_listed_and_ok() -> None:
    payments = _payments(("a", "2024-07-20", None, 1.0))

    accounts = credit_risk(payments, as_of=AS_OF, credit_limits={"b": 100}).accounts

    assert accounts["customer_id"].tolist() == ["a", "b"]
    assert _one(accounts, "b")["flag"] == "ok"


def test_the_thresholds_are_settings() -> None:
    payments = _payments(("a", "2024-05-21", None, 300.0))  # 40 days past due

    strict = CreditSettings(stop_overdue_days=35, watch_overdue_days=10)
    account = _one(credit_risk(payments, as_of=AS_OF, settings=strict).accounts, "a")

    assert account["flag"] == "stop"
    assert "more than 35 days overdue" in account["reasons_en"][0]
    with pytest.raises(ValueError, match="watch_overdue_days"):
        CreditSettings(stop_overdue_days=20, watch_overdue_days=30)


def test_a_bad_date_is_reported_with_its_row() -> None:
    payments = _payments(("a", "2024-13-01", None, 1.0))

    with pytest.raises(ValueError, match="row 1 has a due_date that is not a date"):
        credit_risk(payments, as_of=AS_OF)
