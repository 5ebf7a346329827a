"""A low score plans a follow-up call (SVC-3): CSAT ≤ 2 or NPS ≤ 6 (settings), one call
for the account owner on the next working day, linked to the survey, the owner told —
exactly once per survey."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kam.core.models import AuditEvent
from kam.notifications.messages import render
from kam.notifications.models import Notification
from kam.relations.models import Activity, ActivityKind, ActivityStatus
from kam.service.models import CalendarDay, DayKind, Survey
from kam.service.surveys import (
    ensure_follow_up,
    is_low,
    next_working_morning,
    record_answer,
)
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people

# Friday 2026-11-20, 15:00 in Shanghai.
FRIDAY = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def answer(people: People, now: dt.datetime = FRIDAY, **scores: Any) -> Survey:
    return record_answer(
        actor=people.cast.mary,  # Alice's sales manager takes the call
        account=people.cast.alice_steel,
        kind="relationship",
        values={"contact": people.wang.pk, "comment": "交货一再延期", **scores},
        now=now,
    )


@pytest.mark.parametrize(
    ("csat", "nps", "low"),
    [(2, None, True), (3, None, False), (None, 6, True), (None, 7, False), (5, 0, True)],
)
def test_what_counts_as_low(csat: int | None, nps: int | None, low: bool) -> None:
    assert is_low(csat, nps) is low


def test_the_thresholds_are_settings(settings: Any) -> None:
    settings.KAM_SURVEY_LOW_CSAT = 3
    settings.KAM_SURVEY_LOW_NPS = -1  # NPS never counts as low
    assert is_low(3, None) and not is_low(4, 0)


def test_a_low_score_plans_one_call_for_the_owner_and_tells_them(people: People) -> None:
    cast = people.cast
    survey = answer(people, csat=2, nps=3)

    activity = Activity.objects.get()
    assert survey.follow_up == activity
    assert (activity.kind, activity.status, activity.owner, activity.account) == (
        ActivityKind.CALL,
        ActivityStatus.PLANNED,
        cast.alice,  # the account owner, not Mary who took the answer
        cast.alice_steel,
    )
    assert activity.subject == "Follow up low satisfaction: CSAT 2 / NPS 3 — Wang Wei"
    assert list(activity.contacts.all()) == [people.wang]
    assert "交货一再延期" in activity.notes
    # Friday afternoon → Monday morning, 09:00 of the business calendar.
    assert timezone.localtime(activity.starts_at).replace(tzinfo=None) == dt.datetime(
        2026, 11, 23, 9, 0
    )
    (told,) = Notification.objects.filter(code="service.survey_low_score")
    assert told.recipient == cast.alice and told.link == activity.get_absolute_url()
    assert told.account_id == cast.alice_steel.pk
    text = render(told.code, told.params)
    assert "Low satisfaction at Alice Steel Co., Ltd.: Wang Wei answered CSAT 2 / NPS 3" in text
    assert "2026-11-23 09:00" in text
    audit = AuditEvent.objects.get(object_type="activity")
    assert audit.source == "survey-follow-up" and audit.actor == cast.mary

    # Once per survey: asking again returns the same call, tells nobody again.
    assert ensure_follow_up(survey) == activity
    assert ensure_follow_up(Survey.objects.get(pk=survey.pk)) == activity
    assert Activity.objects.count() == 1
    assert Notification.objects.filter(code="service.survey_low_score").count() == 1


def test_a_good_score_plans_nothing(people: People) -> None:
    survey = answer(people, csat=4, nps=9)
    assert survey.follow_up is None and ensure_follow_up(survey) is None
    assert not Activity.objects.exists() and not Notification.objects.exists()


def test_only_nps_low_names_only_nps(people: People) -> None:
    answer(people, nps=5)
    assert Activity.objects.get().subject == "Follow up low satisfaction: NPS 5 — Wang Wei"


def test_the_next_working_day_skips_holidays(people: People) -> None:
    CalendarDay.objects.create(date=dt.date(2026, 11, 23), kind=DayKind.HOLIDAY, name="Test")
    CalendarDay.objects.create(date=dt.date(2026, 11, 22), kind=DayKind.WORKDAY, name="调休")
    # Sunday 22 November is a make-up working day: the call is then.
    assert timezone.localtime(next_working_morning(FRIDAY)).date() == dt.date(2026, 11, 22)
    CalendarDay.objects.filter(date=dt.date(2026, 11, 22)).delete()
    assert timezone.localtime(next_working_morning(FRIDAY)).date() == dt.date(2026, 11, 24)


def test_a_deactivated_owner_is_replaced_by_the_sales_manager(people: People) -> None:
    cast = people.cast
    cast.alice.is_active = False
    cast.alice.save(update_fields=["is_active"])
    answer(people, csat=1)
    activity = Activity.objects.get()
    assert activity.owner == cast.mary
    assert Notification.objects.get().recipient == cast.mary
