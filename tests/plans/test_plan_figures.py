"""Revenue targets are measured against the account's own orders of each year."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from kam.plans.models import PlanRevenueTarget
from kam.plans.services import revenue_by_year, target_rows
from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for


def test_actual_revenue_is_the_sum_of_the_year_s_orders_with_credit_notes(
    planned: Planned, cast: Cast
) -> None:
    found = revenue_by_year(cast.alice_steel.pk, [2024, 2025, 2026])
    assert found == {2024: Decimal(0), 2025: Decimal("380000"), 2026: Decimal("150000")}


def test_attainment_is_actual_over_target(planned: Planned) -> None:
    PlanRevenueTarget.objects.create(plan=planned.plan, year=2027, amount=Decimal(0))
    rows = {row.year: row for row in target_rows(planned.plan)}
    assert (rows[2025].actual, rows[2025].attainment) == (Decimal("380000"), Decimal("95.0"))
    assert (rows[2026].actual, rows[2026].attainment) == (Decimal("150000"), Decimal("25.0"))
    assert rows[2026].gap == Decimal("-450000")
    assert (rows[2027].actual, rows[2027].attainment) == (Decimal(0), None)


def test_the_page_and_the_api_show_target_beside_actual(
    planned: Planned, cast: Cast, api_as: object
) -> None:
    html = client_for(cast.alice).get(planned.plan.get_absolute_url()).content.decode()
    row = html[html.index('data-year="2025"') :]
    row = row[: row.index("</tr>")]
    assert "400,000" in row and "380,000" in row and "95.0%" in row

    body = api_as(cast.alice).get(f"/api/plans/{planned.plan.pk}/targets").json()  # type: ignore[operator]
    assert [(t["year"], t["amount"], t["actual"], t["attainment"]) for t in body["items"]] == [
        (2025, 400000.0, 380000.0, 95.0),
        (2026, 600000.0, 150000.0, 25.0),
    ]
    one = (
        api_as(cast.alice)
        .get(  # type: ignore[operator]
            f"/api/plans/{planned.plan.pk}/targets/{planned.target_2026.pk}"
        )
        .json()
    )
    assert (one["actual"], one["attainment"]) == (150000.0, 25.0)


def test_a_new_plan_s_grid_starts_with_the_products_the_account_buys(
    planned: Planned, cast: Cast
) -> None:
    client = client_for(cast.alice)
    planned.plan.status = "archived"
    planned.plan.save()
    response = client.post(
        reverse("plans:create") + f"?account={cast.alice_steel.pk}",
        {
            "year": "2027",
            "status": "active",
            "owner": "alice",
            "review_every_days": "90",
            "vision": "",
        },
    )
    assert response.status_code == 302
    new = cast.alice_steel.plans.get(year=2027)
    # By revenue: MES licence 300,000; PLC controllers 100,000 − 20,000 + 150,000.
    assert new.product_lines == ["MES licence", "PLC controllers"]
    assert new.business_units == []
