"""RISK-5: orders far outside the account's own pattern, with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.anomalies import AnomalySettings, find_anomalies, robust_z


def _steady(
    customer: str,
    n: int,
    *,
    start: str = "2023-01-02",
    gap: int = 30,
    amount: float = 1000.0,
    seed: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": pd.date_range(start, periods=n, freq=f"{gap}D"),
            "amount": amount * np.exp(rng.normal(0, 0.1, n)),
        }
    )


def _kinds(result_frame: pd.DataFrame) -> list[tuple[int, str]]:
    return list(zip(result_frame["row"], result_frame["kind"], strict=True))


def test_an_order_20_times_the_usual_is_an_anomaly_with_the_reason() -> None:
    orders = _steady("a", 12)
    orders.loc[10, "amount"] = 20 * 1000.0

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(10, "amount_high")]
    one = found.iloc[0]
    assert one["history"] == 10
    assert one["usual"] == pytest.approx(1000.0, rel=0.1)
    assert one["value"] == 20_000.0
    assert one["score"] > 3.5
    assert one["reason_en"].startswith("order of 20,000.00 is ")
    assert "× the account's usual" in one["reason_en"]
    assert "median of the last 10 orders" in one["reason_en"]
    assert "订单金额20,000.00是该客户常规金额" in one["reason_zh"]


def test_a_tiny_order_is_an_anomaly_too() -> None:
    orders = _steady("a", 8)
    orders.loc[7, "amount"] = 20.0

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(7, "amount_low")]
    assert "only 2% of the account's usual" in found.iloc[0]["reason_en"]


def test_it_needs_five_previous_orders() -> None:
    orders = _steady("a", 6)
    orders.loc[4, "amount"] = 50_000.0  # 4 orders before it
    orders.loc[5, "amount"] = 50_000.0  # 5 before, one of them the outlier: median holds

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(5, "amount_high")]


def test_ordinary_variation_is_not_an_anomaly() -> None:
    orders = pd.concat([_steady("a", 30, seed=1), _steady("b", 30, amount=50.0, seed=2)])

    assert find_anomalies(orders.reset_index(drop=True)).anomalies.empty


def test_an_account_that_always_ordered_the_same_amount_is_not_flagged_for_cents() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": "a",
            "date": pd.date_range("2023-01-01", periods=8, freq="7D"),
            "amount": [100.0] * 7 + [101.0],
        }
    )

    assert find_anomalies(orders).anomalies.empty


def test_a_return_after_an_unusual_silence_is_a_timing_anomaly() -> None:
    orders = _steady("a", 8)
    late = pd.DataFrame(
        {"customer_id": ["a"], "date": [pd.Timestamp("2024-06-01")], "amount": [1000.0]}
    )
    orders = pd.concat([orders, late], ignore_index=True)

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(8, "gap_long")]
    one = found.iloc[0]
    assert one["usual"] == 30
    gap = (pd.Timestamp("2024-06-01") - orders["date"].iloc[7]).days
    assert one["reason_en"] == (
        f"first order after {gap} days; the account usually orders every 30 days"
    )
    assert one["reason_zh"] == f"时隔{gap}天才再次下单；该客户通常每30天下单一次"


def test_a_burst_of_orders_is_a_timing_anomaly() -> None:
    orders = _steady("a", 8)
    last = orders["date"].iloc[-1]
    burst = pd.DataFrame(
        {
            "customer_id": "a",
            "date": [last + pd.Timedelta(days=d) for d in (3, 6)],
            "amount": [1000.0, 1000.0],
        }
    )
    orders = pd.concat([orders, burst], ignore_index=True)

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(9, "burst")]
    assert found.iloc[0]["reason_en"] == (
        "3 orders within 6 days; the account usually orders every 30 days"
    )
    assert found.iloc[0]["reason_zh"] == "6天内下单3次；该客户通常每30天下单一次"


def test_several_lines_on_one_day_are_one_purchase() -> None:
    orders = _steady("a", 8)
    orders = pd.concat([orders, orders.iloc[[7, 7]]], ignore_index=True)

    assert not (find_anomalies(orders).anomalies["kind"] == "burst").any()


def test_a_discount_far_above_the_account_s_usual_is_flagged() -> None:
    orders = _steady("a", 8)
    orders["discount_rate"] = 0.05
    orders.loc[7, "discount_rate"] = 0.30

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(7, "discount_high")]
    one = found.iloc[0]
    assert one["usual"] == pytest.approx(0.05)
    assert one["score"] == pytest.approx(0.25)
    assert one["reason_en"] == (
        "discount of 30% against the account's usual 5% (median of the last 7 orders)"
    )
    assert one["reason_zh"] == "折扣30%，高于该客户常规的5%（近7笔订单的中位数）"


def test_a_new_account_s_discount_is_compared_with_the_book() -> None:
    book = _steady("a", 10)
    book["discount_rate"] = 0.05
    newcomer = pd.DataFrame(
        {
            "customer_id": ["b"],
            "date": [pd.Timestamp("2023-03-01")],
            "amount": [900.0],
            "discount_rate": [0.25],
        }
    )
    orders = pd.concat([book, newcomer], ignore_index=True)

    found = find_anomalies(orders).anomalies

    assert _kinds(found) == [(10, "discount_high")]
    assert found.iloc[0]["reason_en"] == "discount of 25% against the usual 5% across all customers"


def test_since_limits_the_report_but_not_the_pattern() -> None:
    orders = _steady("a", 12)
    orders.loc[10, "amount"] = 20_000.0

    result = find_anomalies(orders, since=orders["date"].iloc[11].date())

    assert result.anomalies.empty
    assert result.orders_checked == 1


def test_the_result_does_not_depend_on_the_row_order() -> None:
    orders = pd.concat([_steady("a", 12, seed=3), _steady("b", 12, seed=4)], ignore_index=True)
    orders.loc[[10, 20], "amount"] = 30_000.0
    orders["order_id"] = [f"o{i}" for i in range(len(orders))]
    shuffled = orders.sample(frac=1.0, random_state=5).reset_index(drop=True)

    first = find_anomalies(orders).anomalies.drop(columns="row")
    again = find_anomalies(shuffled).anomalies.drop(columns="row")

    pd.testing.assert_frame_equal(first, again)
    assert sorted(first["order_id"]) == ["o10", "o20"]


def test_robust_z_is_the_modified_z_score() -> None:
    reference = [1.0, 2.0, 3.0, 4.0, 100.0]  # median 3, MAD 1

    assert robust_z([3.0, 8.0], reference).tolist() == pytest.approx([0.0, 0.6745 * 5])


def test_the_settings_and_the_columns_are_checked() -> None:
    with pytest.raises(ValueError, match="min_history"):
        AnomalySettings(min_history=1)
    with pytest.raises(ValueError, match="the column\\(s\\) 'amount' are missing"):
        find_anomalies(pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]}))
    with pytest.raises(ValueError, match=r"row 1 has the discount_rate 1\.5;"):
        find_anomalies(
            pd.DataFrame(
                {
                    "customer_id": ["a"],
                    "date": ["2024-01-01"],
                    "amount": [1.0],
                    "discount_rate": [1.5],
                }
            )
        )
