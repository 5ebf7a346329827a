"""A plan is visible exactly when its account is: Bob (another team) gets 404 on Alice's
plan everywhere; analysts read it and get 403 on every change; Mary (Alice's manager) and
the account team work on it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kam.plans.models import AccountPlan, PlanObjective
from kam.plans.services import visible_plans
from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for


def page_urls(planned: Planned) -> list[str]:
    pk = planned.plan.pk
    return [
        reverse("plans:detail", args=[pk]),
        reverse("plans:print", args=[pk]),
        reverse("plans:section", args=[pk, "objectives"]),
        reverse("plans:delete", args=[pk]),
    ]


def test_outsider_bob_gets_404_on_alice_s_plan_pages(planned: Planned, cast: Cast) -> None:
    client = client_for(cast.bob)
    for url in page_urls(planned):
        assert client.get(url).status_code == 404, url
    post = client.post(
        reverse("plans:part_add", args=[planned.plan.pk, "objectives"]), {"text": "Sneak in"}
    )
    assert post.status_code == 404
    assert (
        client.get(reverse("plans:account_section", args=[cast.alice_steel.pk])).status_code == 404
    )
    listing = client.get(reverse("plans:list")).content.decode()
    assert "Alice Steel" not in listing
    assert PlanObjective.objects.filter(text="Sneak in").count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/plans/{pk}",
        "/api/plans/{pk}/objectives",
        "/api/plans/{pk}/objectives/{objective}",
        "/api/plans/{pk}/targets",
        "/api/plans/{pk}/whitespace",
        "/api/plans/{pk}/actions",
        "/api/plans/{pk}/reviews",
    ],
)
def test_outsider_bob_gets_404_in_the_api(
    planned: Planned, cast: Cast, api_as: Any, path: str
) -> None:
    url = path.format(pk=planned.plan.pk, objective=planned.objective.pk)
    response = api_as(cast.bob).get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (
        api_as(cast.bob).patch(f"/api/plans/{planned.plan.pk}", {"vision": "x"}).status_code == 404
    )
    assert api_as(cast.bob).delete(f"/api/plans/{planned.plan.pk}").status_code == 404
    assert api_as(cast.bob).get("/api/plans").json()["count"] == 0


def test_bob_cannot_create_a_plan_for_an_account_he_does_not_see(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.bob).post("/api/plans", {"account": "A-1", "year": 2026})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "account",
            "message": "unknown account (got 'A-1', expected the external id of an account "
            "you can see)",
        }
    ]
    assert (
        client_for(cast.bob)
        .get(reverse("plans:create") + f"?account={cast.alice_steel.pk}")
        .status_code
        == 404
    )


def test_the_analyst_reads_and_gets_403_on_every_change(
    planned: Planned, cast: Cast, api_as: Any
) -> None:
    plan = planned.plan
    api = api_as(cast.ann)
    assert api.get(f"/api/plans/{plan.pk}").status_code == 200
    refused = [
        api.post("/api/plans", {"account": "B-1", "year": 2026}),
        api.patch(f"/api/plans/{plan.pk}", {"vision": "Analysed"}),
        api.delete(f"/api/plans/{plan.pk}"),
        api.post(f"/api/plans/{plan.pk}/objectives", {"text": "More"}),
        api.patch(f"/api/plans/{plan.pk}/objectives/{planned.objective.pk}", {"text": "Less"}),
        api.delete(f"/api/plans/{plan.pk}/actions/{planned.late_action.pk}"),
        api.send(
            "put",
            f"/api/plans/{plan.pk}/whitespace",
            {"product_lines": [], "business_units": [], "cells": []},
        ),
        api.post(f"/api/plans/{plan.pk}/reviews", {"reviewed_on": "2026-11-01"}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert refused[0].json()["code"] == "forbidden"
    client = client_for(cast.ann)
    assert client.get(plan.get_absolute_url()).status_code == 200
    assert client.get(reverse("plans:print", args=[plan.pk])).status_code == 200
    assert client.post(reverse("plans:basics", args=[plan.pk]), {"vision": "x"}).status_code == 403
    assert (
        client.get(reverse("plans:section", args=[plan.pk, "objectives"]) + "?edit=new").status_code
        == 403
    )
    assert (
        client.get(reverse("plans:create") + f"?account={cast.alice_steel.pk}").status_code == 403
    )
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Add objective" not in page and "Remove" not in page
    plan.refresh_from_db()
    assert plan.vision.startswith("Become Alice Steel's partner")
    assert AccountPlan.objects.count() == 1


def test_who_sees_the_plan(planned: Planned, cast: Cast) -> None:
    seen = {
        user.username: visible_plans(user).filter(pk=planned.plan.pk).exists()
        for user in (
            cast.alice,
            cast.mary,
            cast.dora,
            cast.ann,
            cast.root,
            cast.tom,
            cast.bob,
            cast.nick,
        )
    }
    assert seen == {
        "alice": True,  # owner of the account
        "mary": True,  # her sales manager
        "dora": True,
        "ann": True,
        "root": True,
        "tom": False,  # Alice's teammate, but not on this account
        "bob": False,
        "nick": False,
    }


def test_the_account_team_and_the_manager_change_the_plan(
    planned: Planned, cast: Cast, api_as: Any
) -> None:
    shared = AccountPlan.objects.create(account=cast.shared_telecom, year=2026, owner=cast.bob)
    # Alice is on Shared Telecom's account team: she changes Bob's plan for it.
    response = api_as(cast.alice).patch(f"/api/plans/{shared.pk}", {"vision": "Together"})
    assert response.status_code == 200, response.content
    assert response.json()["vision"] == "Together"
    response = api_as(cast.mary).post(
        f"/api/plans/{planned.plan.pk}/actions", {"text": "Coach Alice", "owner": "mary"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner"] == "mary"


def test_an_action_s_owner_must_see_the_account(planned: Planned, cast: Cast, api_as: Any) -> None:
    response = api_as(cast.alice).post(
        f"/api/plans/{planned.plan.pk}/actions", {"text": "Ask Bob", "owner": "bob"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "owner",
            "message": "unknown user (got 'bob', expected the username of an active user who "
            "sees the account)",
        }
    ]
