"""The account page's relationship sections (timeline, buying centre) and the activity
list cost a fixed number of queries however many contacts and activities there are."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kam.contacts.models import BuyingRole, Contact
from kam.relations.models import ActivityKind
from tests.conftest import Cast
from tests.relations.conftest import Centre, log
from tests.web.conftest import client_for

# session, user, account, activities, contacts / participants / recipients (prefetch),
# count, the quick form's contacts
TIMELINE_BUDGET = 10
# session, user, account, contacts, meetings, activities, surveys, tier, policy
RELATIONSHIP_BUDGET = 10
# session, user, owners (filter), count, rows, 3 prefetches, savepoints
LIST_BUDGET = 10


def crowd(cast: Cast, n: int, start: int) -> None:
    today = timezone.localdate()
    for number in range(start, start + n):
        person = Contact.objects.create(
            account=cast.alice_steel,
            name=f"Person {number}",
            buying_role=BuyingRole.USER_BUYER if number % 2 else BuyingRole.COACH,
        )
        log(
            cast.alice_steel,
            cast.alice,
            ActivityKind.MEETING,
            today - dt.timedelta(days=number),
            contacts=(person,),
            sentiment="positive",
        )
        log(
            cast.alice_steel,
            cast.tom,
            ActivityKind.GIFT,
            today - dt.timedelta(days=number),
            recipients=(person,),
        )


def measure(client: Any, url: str, assert_max: Any, budget: int) -> tuple[int, str]:
    with assert_max(budget) as captured:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_sections_cost_the_same_for_few_or_many(
    cast: Cast, centre: Centre, django_assert_max_num_queries: Any
) -> None:
    client = client_for(cast.mary)
    timeline = reverse("relations:account_activities", args=[cast.alice_steel.pk])
    relationship = reverse("relations:account_relationship", args=[cast.alice_steel.pk])
    listing = reverse("relations:activities")
    crowd(cast, 5, 1)
    few = [
        measure(client, timeline, django_assert_max_num_queries, TIMELINE_BUDGET),
        measure(client, relationship, django_assert_max_num_queries, RELATIONSHIP_BUDGET),
        measure(client, listing, django_assert_max_num_queries, LIST_BUDGET),
    ]
    crowd(cast, 30, 6)
    many = [
        measure(client, timeline, django_assert_max_num_queries, TIMELINE_BUDGET),
        measure(client, relationship, django_assert_max_num_queries, RELATIONSHIP_BUDGET),
        measure(client, listing, django_assert_max_num_queries, LIST_BUDGET),
    ]
    assert [count for count, _html in many] == [count for count, _html in few]
    assert "Person 35" in many[1][1]  # the map shows the new contacts
    assert "All 71 activities" in many[0][1]
