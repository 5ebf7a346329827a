"""The relationship pages show real content: the activity list with filters and export,
one activity, the account page's sections (timeline, relationship), the map, the cadence,
the calendar and the home page's overdue visits."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse
from django.utils import timezone

from kam.relations.models import ActivityKind, ActivityStatus
from tests.conftest import Cast
from tests.relations.conftest import Centre, log
from tests.web.conftest import client_for


def test_the_activity_list_filters_and_exports(cast: Cast, centre: Centre) -> None:
    today = timezone.localdate()
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.CALL,
        today - dt.timedelta(days=3),
        subject="Price call",
    )
    client = client_for(cast.alice)
    page = client.get(reverse("relations:activities"), {"kind": "visit"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quarterly review" in html and "Price call" not in html
    export = client.get(reverse("relations:export"), {"kind": "call", "format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "account", "account_name", "kind"]
    assert [row[7] for row in rows[1:]] == ["Price call"]
    xlsx = client.get(reverse("relations:export"), {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_activity_page_shows_its_people_and_history(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.alice)
    html = client.get(centre.visit.get_absolute_url()).content.decode()
    assert "Quarterly review" in html
    assert "Wang Wei" in html and "Li Na" in html


def test_the_account_page_loads_its_sections_lazily(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.alice)
    html = client.get(cast.alice_steel.get_absolute_url()).content.decode()
    assert reverse("relations:account_activities", args=[cast.alice_steel.pk]) in html
    assert reverse("relations:account_relationship", args=[cast.alice_steel.pk]) in html
    timeline = client.get(
        reverse("relations:account_activities", args=[cast.alice_steel.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Quarterly review" in timeline and "Log an activity" in timeline
    assert "<html" not in timeline
    relationship = client.get(
        reverse("relations:account_relationship", args=[cast.alice_steel.pk]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "no coach" in relationship and "user buyer never met" in relationship
    assert 'data-score="coverage"' in relationship


def test_the_section_opened_without_htmx_is_a_page(cast: Cast, centre: Centre) -> None:
    html = (
        client_for(cast.alice)
        .get(reverse("relations:account_activities", args=[cast.alice_steel.pk]))
        .content.decode()
    )
    assert "<html" in html and "Quarterly review" in html


def test_the_contact_page_lists_the_contacts_activities(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.alice)
    html = client.get(centre.boss.get_absolute_url()).content.decode()
    assert reverse("relations:contact_activities", args=[centre.boss.pk]) in html
    part = client.get(
        reverse("relations:contact_activities", args=[centre.boss.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Quarterly review" in part
    nothing = client.get(
        reverse("relations:contact_activities", args=[centre.user.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "No activity yet." in nothing


def test_the_map_page_draws_the_org_chart_with_meetings(cast: Cast, centre: Centre) -> None:
    html = (
        client_for(cast.alice)
        .get(reverse("relations:map", args=[cast.alice_steel.pk]))
        .content.decode()
    )
    assert "Buying centre of Alice Steel Co., Ltd." in html
    assert f'data-contact="{centre.boss.pk}"' in html
    assert "bc-role-economic_buyer bc-stance-supporter bc-influence-high" in html
    assert "1 meeting in 12 months" in html
    assert "Last met: never" in html  # Zhou Min
    assert "no coach" in html


def test_the_calendar_shows_planned_activities_of_the_month(cast: Cast, centre: Centre) -> None:
    soon = timezone.localdate().replace(day=15)
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.MEETING,
        soon,
        status=ActivityStatus.PLANNED,
        subject="Plant tour",
    )
    log(cast.bob_mining, cast.bob, ActivityKind.VISIT, soon, status=ActivityStatus.PLANNED)
    client = client_for(cast.alice)
    html = client.get(reverse("relations:calendar")).content.decode()
    assert f'data-day="{soon.isoformat()}"' in html
    assert "Meeting: Alice Steel" in html
    assert "Bob Mining" not in html
    team = client_for(cast.mary).get(reverse("relations:calendar"), {"scope": "team"})
    assert "Meeting: Alice Steel" in team.content.decode()


def test_the_home_page_lists_my_overdue_visits(cast: Cast, centre: Centre) -> None:
    centre.visit.starts_at -= dt.timedelta(days=100)  # the last visit: 120 days ago, core: 90
    centre.visit.save()
    client = client_for(cast.alice)
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("relations:home_overdue") in home
    part = client.get(reverse("relations:home_overdue"), HTTP_HX_REQUEST="true").content.decode()
    assert "Alice Steel" in part and "30 days overdue" in part
    assert "Bob Mining" not in part  # Bob's, and basic: no regular visits
