"""The whitespace grid: product lines × business units, each pair sold, in progress, open,
not relevant or not assessed; it goes out and comes back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.plans.models import PlanWhitespaceCell
from kam.plans.services import Grid, clean_grid, grid_of, set_axes, set_whitespace
from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for

GRID = {
    "product_lines": ["MES licence", "PLC controllers", "Energy software"],
    "business_units": ["Suzhou mill", "Wuxi rolling", "Group IT"],
    "cells": [
        {"product_line": "MES licence", "business_unit": "Suzhou mill", "status": "sold"},
        {"product_line": "MES licence", "business_unit": "Wuxi rolling", "status": "in_progress"},
        {"product_line": "PLC controllers", "business_unit": "Group IT", "status": "not_relevant"},
        {"product_line": "Energy software", "business_unit": "Wuxi rolling", "status": "open"},
    ],
}


def test_the_grid_round_trips_through_the_api(planned: Planned, cast: Cast, api_as: Any) -> None:
    url = f"/api/plans/{planned.plan.pk}/whitespace"
    put = api_as(cast.alice).send("put", url, GRID)
    assert put.status_code == 200, put.content
    assert put.json() == GRID
    assert api_as(cast.alice).get(url).json() == GRID
    assert api_as(cast.alice).get(f"/api/plans/{planned.plan.pk}").json()["whitespace"] == GRID
    assert PlanWhitespaceCell.objects.filter(plan=planned.plan).count() == 4


def test_the_grid_round_trips_through_the_services(planned: Planned, cast: Cast) -> None:
    set_whitespace(actor=cast.alice, plan=planned.plan, grid=clean_grid(GRID))
    planned.plan.refresh_from_db()
    grid = grid_of(planned.plan)
    assert grid.as_data() == GRID
    assert grid.rows()[0] == (
        "MES licence",
        [("Suzhou mill", "sold"), ("Wuxi rolling", "in_progress"), ("Group IT", "")],
    )
    assert grid.counts() == {"sold": 1, "in_progress": 1, "open": 1, "not_relevant": 1}


def test_names_are_trimmed_kept_once_and_cells_add_missing_names() -> None:
    grid = clean_grid(
        {
            "product_lines": [" Servo ", "Servo"],
            "business_units": ["A"],
            "cells": [
                {"product_line": "Servo", "business_unit": "A", "status": "open"},
                {"product_line": "Vision", "business_unit": "B", "status": "sold"},
                {"product_line": "Servo", "business_unit": "A", "status": "sold"},  # wins
            ],
        }
    )
    assert grid.product_lines == ["Servo", "Vision"]
    assert grid.business_units == ["A", "B"]
    assert grid.cells == {("Servo", "A"): "sold", ("Vision", "B"): "sold"}


def test_a_bad_cell_is_named_and_nothing_is_written(
    planned: Planned, cast: Cast, api_as: Any
) -> None:
    with pytest.raises(RecordInvalid) as refused:
        clean_grid({"product_lines": ["", "x" * 101], "cells": [{"product_line": "A"}]})
    fields = refused.value.by_field()
    assert set(fields) == {
        "product_lines.0",
        "product_lines.1",
        "cells.0.business_unit",
        "cells.0.status",
    }
    assert fields["product_lines.1"].startswith("too long")
    before = grid_of(planned.plan).as_data()
    bad = {**GRID, "cells": [{"product_line": "A", "business_unit": "B", "status": "maybe"}]}
    response = api_as(cast.alice).send("put", f"/api/plans/{planned.plan.pk}/whitespace", bad)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cells.0.status"
    planned.plan.refresh_from_db()
    assert grid_of(planned.plan).as_data() == before


def test_one_cell_can_be_set_on_its_own(planned: Planned, cast: Cast, api_as: Any) -> None:
    url = f"/api/plans/{planned.plan.pk}/whitespace/cells"
    body = {"product_line": "PLC controllers", "business_unit": "Nanjing", "status": "in_progress"}
    grid = api_as(cast.alice).send("put", url, body).json()
    assert grid["business_units"] == ["Suzhou mill", "Wuxi rolling", "Nanjing"]
    assert {
        "product_line": "MES licence",
        "business_unit": "Suzhou mill",
        "status": "sold",
    } in grid["cells"]
    assert body in grid["cells"]


def test_the_page_saves_the_whole_grid_when_a_cell_changes(planned: Planned, cast: Cast) -> None:
    client = client_for(cast.alice)
    url = reverse("plans:whitespace", args=[planned.plan.pk])
    response = client.post(
        url,
        {
            "line-0": "MES licence",
            "line-1": "PLC controllers",
            "unit-0": "Suzhou mill",
            "unit-1": "Wuxi rolling",
            "cell-0-0": "sold",
            "cell-1-1": "open",
            "cell-0-1": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="whitespace"' in html and 'class="ws-cell ws-open"' in html
    assert grid_of(planned.plan).cells == {
        ("MES licence", "Suzhou mill"): "sold",
        ("PLC controllers", "Wuxi rolling"): "open",
    }


def test_new_rows_and_columns_keep_the_cells_of_the_pairs_that_remain(
    planned: Planned, cast: Cast
) -> None:
    set_whitespace(actor=cast.alice, plan=planned.plan, grid=clean_grid(GRID))
    set_axes(
        actor=cast.alice,
        plan=planned.plan,
        product_lines=["MES licence", "Vision"],
        business_units=["Wuxi rolling", "Suzhou mill"],
    )
    planned.plan.refresh_from_db()
    grid = grid_of(planned.plan)
    assert grid.product_lines == ["MES licence", "Vision"]
    assert grid.business_units == ["Wuxi rolling", "Suzhou mill"]
    assert grid.cells == {
        ("MES licence", "Suzhou mill"): "sold",
        ("MES licence", "Wuxi rolling"): "in_progress",
    }


def test_a_change_of_the_grid_is_one_audit_event_of_the_account(
    planned: Planned, cast: Cast
) -> None:
    set_whitespace(
        actor=cast.alice, plan=planned.plan, grid=Grid(["A"], ["B"], {("A", "B"): "open"})
    )
    event = AuditEvent.objects.filter(object_type="accountplan").latest("pk")
    assert event.account_id == cast.alice_steel.pk
    assert event.actor == cast.alice
    assert event.changes["whitespace"] == ["MES licence × Suzhou mill: sold", "A × B: open"]
    assert event.changes["product lines"] == ["MES licence; PLC controllers", "A"]
