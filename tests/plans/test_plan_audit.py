"""Every change to a plan or its parts is an audit event of the plan's account; a rejected
change leaves nothing behind."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from kam.core.models import AuditEvent
from kam.plans.models import AccountPlan, PlanAction, PlanObjective, PlanRevenueTarget
from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for


def events_of(account_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(account_id=account_id).order_by("pk"))


def test_creating_changing_and_deleting_a_plan_is_audited(cast: Cast, api_as: Any) -> None:
    api = api_as(cast.alice)
    created = api.post("/api/plans", {"account": "A-1", "year": 2026, "vision": "Grow"})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    api.patch(f"/api/plans/{pk}", {"vision": "Grow together", "status": "active"})
    api.delete(f"/api/plans/{pk}")
    events = events_of(cast.alice_steel.pk)
    assert [(e.action, e.object_type, e.source, e.actor) for e in events] == [
        ("create", "accountplan", "api", cast.alice),
        ("update", "accountplan", "api", cast.alice),
        ("delete", "accountplan", "api", cast.alice),
    ]
    assert events[0].changes["vision"] == [None, "Grow"]
    assert events[0].changes["owner"] == [None, "alice"]
    assert events[1].changes == {"vision": ["Grow", "Grow together"], "status": ["draft", "active"]}
    assert events[2].changes["year"] == [2026, None]


def test_each_part_s_changes_are_audited_with_the_account(
    planned: Planned, cast: Cast, api_as: Any
) -> None:
    api = api_as(cast.alice)
    base = f"/api/plans/{planned.plan.pk}"
    before = AuditEvent.objects.count()
    api.post(f"{base}/objectives", {"text": "Open the Wuxi plant"})
    api.patch(f"{base}/objectives/{planned.objective.pk}", {"status": "achieved"})
    api.delete(f"{base}/swot/{planned.swot.pk}")
    api.post(f"{base}/competitors", {"name": "ABB", "position": "challenger"})
    api.patch(f"{base}/actions/{planned.late_action.pk}", {"status": "done"})
    api.post(f"{base}/reviews", {"reviewed_on": "2026-11-01", "notes": "Fine"})
    api.patch(f"{base}/targets/{planned.target_2026.pk}", {"amount": 650000})
    new = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_type) for e in new] == [
        ("create", "planobjective"),
        ("update", "planobjective"),
        ("delete", "planswotitem"),
        ("create", "plancompetitor"),
        ("update", "planaction"),
        ("create", "planreview"),
        ("update", "planrevenuetarget"),
    ]
    assert {e.account_id for e in new} == {cast.alice_steel.pk}
    assert new[1].changes == {"status": ["on_track", "achieved"]}
    assert new[2].changes["text"] == ["Trusted by the CTO", None]
    assert new[5].changes["reviewer"] == [None, "alice"]
    assert new[6].changes == {"amount": ["600000", "650000"]}
    # And the plan page shows them.
    html = client_for(cast.alice).get(planned.plan.get_absolute_url()).content.decode()
    assert "Open the Wuxi plant" in html[html.index('id="history"') :]


def test_a_rejected_change_writes_nothing(planned: Planned, cast: Cast, api_as: Any) -> None:
    api = api_as(cast.alice)
    base = f"/api/plans/{planned.plan.pk}"
    before = AuditEvent.objects.count()
    snapshot = AccountPlan.objects.filter(pk=planned.plan.pk).values().get()
    responses = [
        api.post("/api/plans", {"account": "A-1", "year": 2027, "status": "active"}),  # 409
        api.patch(base, {"year": 1999}),  # 422
        api.patch(base, {"owner": "bob", "vision": "Changed"}),  # 422: owner, so no vision either
        api.post(f"{base}/targets", {"year": 2025, "amount": 1}),  # 409: 2025 has one
        api.patch(f"{base}/targets/{planned.target_2026.pk}", {"year": 2025}),  # 409
        api.post(f"{base}/actions", {"text": "  "}),  # 422
        api.patch(f"{base}/actions/{planned.late_action.pk}", {"due_date": "soon"}),  # 422
    ]
    assert [r.status_code for r in responses] == [409, 422, 422, 409, 409, 422, 422]
    assert responses[0].json()["message"].startswith("another plan is active")
    assert responses[3].json()["message"].startswith("the plan has a target for this year")
    assert AuditEvent.objects.count() == before
    assert AccountPlan.objects.filter(pk=planned.plan.pk).values().get() == snapshot
    assert AccountPlan.objects.count() == 1
    assert PlanRevenueTarget.objects.filter(plan=planned.plan).count() == 2
    assert PlanAction.objects.filter(plan=planned.plan).count() == 3


def test_the_page_shows_the_service_s_message_next_to_the_field(
    planned: Planned, cast: Cast
) -> None:
    client = client_for(cast.alice)
    url = reverse("plans:part_add", args=[planned.plan.pk, "targets"])
    response = client.post(url, {"year": "2026", "amount": "5"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="targets"' in html and "<form" in html
    assert "the plan has a target for this year (got &#x27;2026&#x27;" in html
    response = client.post(
        reverse("plans:part_add", args=[planned.plan.pk, "objectives"]),
        {"text": "", "status": "on_track"},
    )
    assert response.status_code == 200  # the whole page, with the form and its message
    assert "missing value (got &#x27;&#x27;, expected a value)" in response.content.decode()
    assert PlanObjective.objects.filter(plan=planned.plan).count() == 1
