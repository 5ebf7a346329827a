"""The plan pages: the list with its filters, creating a plan from the account page, the
account page's lazy section, editing sections in place, deleting."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.plans.models import AccountPlan, PlanAction, PlanObjective
from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for

ACCOUNT_PART_BUDGET = 6  # session, user, account, plan, open actions (+1 spare)


def test_the_list_shows_owner_status_next_review_and_overdue_actions(
    planned: Planned, cast: Cast
) -> None:
    AccountPlan.objects.create(account=cast.shared_telecom, year=2026, owner=cast.bob)
    AccountPlan.objects.create(
        account=cast.bob_mining, year=2025, owner=cast.bob, status="archived"
    )
    client = client_for(cast.dora)
    page = client.get(reverse("plans:list"))
    rows = list(page.context["page"].object_list)
    assert [(p.account.name, p.year) for p in rows] == [
        ("Alice Steel Co., Ltd.", 2026),  # the review overdue first
        ("Shared Telecom", 2026),
    ]  # archived plans only when asked for
    html = page.content.decode()
    assert "1 active plan is overdue for its review." in html
    overdue = client.get(reverse("plans:list"), {"attention": "review"}).context["page"]
    assert [p.account.name for p in overdue.object_list] == ["Alice Steel Co., Ltd."]
    actions = client.get(reverse("plans:list"), {"attention": "actions"}).context["page"]
    assert [p.account.name for p in actions.object_list] == ["Alice Steel Co., Ltd."]
    everything = client.get(reverse("plans:list"), {"status": "all"}).context["page"]
    assert everything.paginator.count == 3
    by_owner = client.get(reverse("plans:list"), {"owner": "bob", "status": "all"}).context["page"]
    assert {p.account.name for p in by_owner.object_list} == {"Shared Telecom", "Bob Mining"}
    found = client.get(reverse("plans:list"), {"q": "steel"}).context["page"]
    assert found.paginator.count == 1
    part = client.get(reverse("plans:list"), {"q": "steel"}, HTTP_HX_REQUEST="true")
    assert part.templates[0].name == "plans/_results.html"


def test_the_list_has_a_nav_entry(cast: Cast) -> None:
    html = client_for(cast.alice).get(reverse("plans:list")).content.decode()
    assert f'<a href="{reverse("plans:list")}" aria-current="page">Account plans</a>' in html


def test_the_account_page_loads_the_plan_section_after_it(planned: Planned, cast: Cast) -> None:
    request = RequestFactory().get(cast.alice_steel.get_absolute_url())
    request.user = cast.alice
    with CaptureQueriesContext(connection) as included:
        html = render_to_string(
            "plans/_account_plan.html", {"account": cast.alice_steel}, request=request
        )
    assert len(included) == 0
    url = reverse("plans:account_section", args=[cast.alice_steel.pk])
    assert f'hx-get="{url}" hx-trigger="load"' in html
    account_page = client_for(cast.alice).get(cast.alice_steel.get_absolute_url()).content.decode()
    assert f'hx-get="{url}"' in account_page

    client = client_for(cast.alice)
    with CaptureQueriesContext(connection) as loaded:
        part = client.get(url, HTTP_HX_REQUEST="true")
    assert len(loaded) <= ACCOUNT_PART_BUDGET
    section = part.context["plan_section"]
    assert section.plan == planned.plan
    assert [a.text for a in section.open_actions] == ["Workshop with the CTO", "Plant visit"]
    text = part.content.decode()
    assert "Become Alice Steel&#x27;s partner for the digital plant." in text
    assert "2026-08-30" in text and "overdue" in text


def test_an_account_without_a_plan_offers_to_create_one(cast: Cast) -> None:
    url = reverse("plans:account_section", args=[cast.alice_steel.pk])
    html = client_for(cast.alice).get(url, HTTP_HX_REQUEST="true").content.decode()
    create = reverse("plans:create") + f"?account={cast.alice_steel.pk}"
    assert f'href="{create}"' in html
    html = client_for(cast.ann).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "This account has no current account plan." in html and create not in html


def test_creating_a_plan_from_the_account_page(cast: Cast) -> None:
    client = client_for(cast.alice)
    url = reverse("plans:create") + f"?account={cast.alice_steel.pk}"
    form = client.get(url).context["form"]
    assert form.initial["status"] == "active" and form.initial["owner"] == "alice"
    response = client.post(
        url,
        {
            "year": "2026",
            "status": "active",
            "owner": "alice",
            "review_every_days": "60",
            "vision": "Partner for the digital plant",
        },
    )
    plan = AccountPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert (plan.account, plan.year, plan.status, plan.owner) == (
        cast.alice_steel,
        2026,
        "active",
        cast.alice,
    )
    assert plan.review_every_days == 60
    # A second active one is refused with the reason next to the status.
    again = client.post(url, {"year": "2027", "status": "active", "owner": "alice"})
    assert again.status_code == 200
    assert "another plan is active" in again.content.decode()
    assert AccountPlan.objects.count() == 1
    assert client.get(url).context["form"].initial["status"] == "draft"


def test_sections_are_edited_in_place(planned: Planned, cast: Cast) -> None:
    client = client_for(cast.alice)
    pk = planned.plan.pk
    form = client.get(
        reverse("plans:section", args=[pk, "objectives"]) + f"?edit={planned.objective.pk}",
        HTTP_HX_REQUEST="true",
    )
    html = form.content.decode()
    assert html.lstrip().startswith('<section id="objectives"')
    assert 'value="Win the MES roll-out"' in html
    saved = client.post(
        reverse("plans:part_save", args=[pk, "objectives", planned.objective.pk]),
        {
            "text": "Win the MES roll-out in all plants",
            "status": "at_risk",
            "measure": "",
            "target_date": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "Win the MES roll-out in all plants" in saved.content.decode()
    planned.objective.refresh_from_db()
    assert (planned.objective.status, planned.objective.measure) == ("at_risk", "")
    # An action for a colleague who sees the account.
    client.post(
        reverse("plans:part_add", args=[pk, "actions"]),
        {"text": "Call the CFO", "owner": "mary", "due_date": "2026-12-01", "status": "open"},
        HTTP_HX_REQUEST="true",
    )
    assert PlanAction.objects.get(text="Call the CFO").owner == cast.mary
    removed = client.post(
        reverse("plans:part_delete", args=[pk, "objectives", planned.objective.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert removed.status_code == 200
    assert not PlanObjective.objects.filter(pk=planned.objective.pk).exists()
    # Without htmx, the page itself.
    plain = client.post(
        reverse("plans:basics", args=[pk]),
        {
            "year": "2026",
            "status": "active",
            "owner": "alice",
            "review_every_days": "30",
            "vision": "New",
        },
    )
    assert plain.status_code == 302 and plain["Location"].endswith("#basics")
    planned.plan.refresh_from_db()
    assert (planned.plan.vision, planned.plan.review_every_days) == ("New", 30)


def test_a_part_of_another_plan_is_not_found(planned: Planned, cast: Cast, api_as: Any) -> None:
    other = AccountPlan.objects.create(account=cast.shared_telecom, year=2026, owner=cast.bob)
    client = client_for(cast.alice)
    url = reverse("plans:part_save", args=[other.pk, "objectives", planned.objective.pk])
    assert client.post(url, {"text": "Moved"}).status_code == 404
    assert (
        api_as(cast.alice)
        .get(f"/api/plans/{other.pk}/objectives/{planned.objective.pk}")
        .status_code
        == 404
    )
    assert client.get(reverse("plans:section", args=[other.pk, "nonsense"])).status_code == 404


def test_deleting_a_plan(planned: Planned, cast: Cast) -> None:
    client = client_for(cast.alice)
    url = reverse("plans:delete", args=[planned.plan.pk])
    assert "archive it instead" in client.get(url).content.decode()
    response = client.post(url)
    assert (
        response.status_code == 302 and response["Location"] == cast.alice_steel.get_absolute_url()
    )
    assert not AccountPlan.objects.exists() and not PlanAction.objects.exists()


def test_the_list_and_the_plan_page_cost_a_fixed_number_of_queries(
    planned: Planned, cast: Cast
) -> None:
    from kam.accounts.models import Account

    client = client_for(cast.mary)  # a sales manager: the widest scoped query

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count(reverse("plans:list"))
    page = count(planned.plan.get_absolute_url())
    for number in range(8):
        account = Account.objects.create(
            external_id=f"M-{number}", name=f"Many {number}", owner=cast.tom
        )
        plan = AccountPlan.objects.create(account=account, year=2026, owner=cast.tom)
        PlanAction.objects.create(plan=plan, text="Call", owner=cast.tom)
        PlanAction.objects.create(plan=planned.plan, text=f"More {number}", owner=cast.tom)
        PlanObjective.objects.create(plan=planned.plan, text=f"Goal {number}")
    assert count(reverse("plans:list")) == few <= 8
    assert count(planned.plan.get_absolute_url()) == page <= 20


def test_staff_read_plans_in_the_admin(planned: Planned, cast: Cast) -> None:
    client = client_for(cast.root)
    assert client.get(reverse("admin:plans_accountplan_changelist")).status_code == 200
    page = client.get(reverse("admin:plans_accountplan_change", args=[planned.plan.pk]))
    assert page.status_code == 200 and "Win the MES roll-out" in page.content.decode()
    assert client.get(reverse("admin:plans_accountplan_add")).status_code == 403
