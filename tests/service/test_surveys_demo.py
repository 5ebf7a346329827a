"""The demo's satisfaction surveys (SVC-3): after ~55 % of the closed tickets, lower when
the ticket missed its SLA or was reopened; relationship surveys by the tier's interval;
every low score with its follow-up; the same for the same seed; registered after the
tickets in `kam demo`."""

from __future__ import annotations

import datetime as dt
import random
from statistics import mean
from typing import Any

import pytest
from django.utils import timezone

from kam.relations.models import Activity, ActivityStatus
from kam.service.models import EventKind, Survey, SurveyRequest, Ticket, TicketEvent
from kam.service.survey_demo import populate, populate_surveys
from kam.service.surveys import is_low
from kam_cli.demo import DEMO_PARTS
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 11, 22)


def closed_tickets(people: People, count: int = 240) -> None:
    """Closed tickets of the last year; every third missed its resolution target, every
    fifth was reopened once."""
    cast = people.cast
    accounts = [cast.alice_steel, cast.bob_mining, cast.shared_telecom]
    rows = []
    for n in range(count):
        created = NOW - dt.timedelta(days=360 - n * 1.4, hours=3)
        resolved = created + dt.timedelta(hours=6)
        late = n % 3 == 0
        rows.append(
            Ticket(
                number=f"T-{n + 1:06d}",
                account=accounts[n % 3],
                subject=f"Demo {n}",
                status="closed",
                owner=cast.alice,
                recorded_by=cast.alice,
                created_at=created,
                first_response_at=created + dt.timedelta(minutes=30),
                resolved_at=resolved,
                closed_at=resolved + dt.timedelta(hours=20),
                reopen_count=1 if n % 5 == 0 else 0,
                tier="diamond",
                response_minutes=60,
                resolution_minutes=480,
                response_due_at=created + dt.timedelta(hours=1),
                resolution_due_at=resolved
                + (-dt.timedelta(hours=1) if late else dt.timedelta(hours=2)),
            )
        )
    Ticket.objects.bulk_create(rows)


def went_badly(ticket: Ticket) -> bool:
    assert ticket.resolved_at is not None and ticket.resolution_due_at is not None
    return ticket.resolved_at > ticket.resolution_due_at or ticket.reopen_count > 0


def story() -> list[tuple[Any, ...]]:
    return list(
        Survey.objects.order_by("responded_at", "account_id", "contact_id").values_list(
            "kind", "account__name", "contact__name", "csat", "nps", "comment", "responded_at"
        )
    )


def test_the_demo_surveys_tell_a_believable_story(people: People) -> None:
    closed_tickets(people)
    cast = people.cast
    accounts = [cast.alice_steel, cast.bob_mining, cast.shared_telecom]
    counts = populate_surveys(random.Random(11), accounts, AS_OF, now=NOW)

    tickets = list(Ticket.objects.all())
    ticket_requests = SurveyRequest.objects.filter(kind="ticket")
    assert ticket_requests.count() == len(tickets)  # every closed ticket was asked
    answered = Survey.objects.filter(kind="ticket")
    share = answered.count() / len(tickets)
    assert 0.42 < share < 0.68, share
    by_ticket = {s.ticket_id: s for s in answered}
    bad = [by_ticket[t.pk].csat for t in tickets if t.pk in by_ticket and went_badly(t)]
    good = [by_ticket[t.pk].csat for t in tickets if t.pk in by_ticket and not went_badly(t)]
    assert mean(good) - mean(bad) > 0.8, (mean(good), mean(bad))
    assert mean(good) > 3.8

    # Relationship surveys: Alice Steel is diamond (every 90 days), Bob Mining core (every
    # 180), Shared Telecom has no tier (basic: none). Key contacts: Wang Wei and Li Na at
    # Alice Steel, Zhao Lei at Bob Mining.
    relationship = SurveyRequest.objects.filter(kind="relationship")
    per_account = {
        name: relationship.filter(account__name=name).count()
        for name in ("Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom")
    }
    assert per_account["Shared Telecom"] == 0
    assert per_account["Alice Steel Co., Ltd."] in (8, 10)  # 4 or 5 rounds × 2 contacts
    assert per_account["Bob Mining"] in (2, 3)
    assert set(relationship.values_list("contact__name", flat=True)) == {
        "Wang Wei",
        "Li Na",
        "Zhao Lei",
    }

    # Every low score has its follow-up call for the owner; past ones were made.
    lows = [s for s in Survey.objects.select_related("follow_up") if is_low(s.csat, s.nps)]
    assert lows and all(s.follow_up is not None for s in lows)
    assert counts["low-score follow-ups"] == len(lows) == Activity.objects.count()
    past = [
        s.follow_up
        for s in lows
        if s.follow_up and s.follow_up.starts_at < NOW - dt.timedelta(days=1)
    ]
    assert past and all(a.status in (ActivityStatus.DONE, ActivityStatus.CANCELLED) for a in past)
    assert all(a.outcome for a in past if a.status == ActivityStatus.DONE)
    assert all(s.comment for s in lows)  # an unhappy customer says why, in Chinese
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lows[0].comment)

    # The ticket's history shows the survey asked and answered.
    events = TicketEvent.objects.filter(
        kind__in=[EventKind.SURVEY_REQUESTED, EventKind.SURVEY_ANSWERED]
    )
    assert events.filter(kind=EventKind.SURVEY_REQUESTED).count() == len(tickets)
    assert events.filter(kind=EventKind.SURVEY_ANSWERED).count() == answered.count()
    # Nothing in the future; the latest requests may still wait for their answer.
    assert not Survey.objects.filter(responded_at__gt=NOW).exists()
    assert counts["survey requests"] == SurveyRequest.objects.count()
    assert counts["survey answers"] == Survey.objects.count()


def test_the_same_seed_gives_the_same_surveys(people: People) -> None:
    closed_tickets(people, count=60)
    accounts = [people.cast.alice_steel, people.cast.bob_mining]
    populate_surveys(random.Random(5), accounts, AS_OF, now=NOW)
    first = story()
    Activity.objects.all().delete()
    Survey.objects.all().delete()
    SurveyRequest.objects.all().delete()
    populate_surveys(random.Random(5), accounts, AS_OF, now=NOW)
    assert story() == first and first


def test_it_is_a_demo_part_after_the_tickets(people: People) -> None:
    modules = [module for _label, module in DEMO_PARTS]
    assert modules.index("kam.service.survey_demo") == modules.index("kam.service.demo") + 1
    counts = populate(random.Random(1), [], {}, timezone.localdate())
    assert counts == {"survey requests": 0, "survey answers": 0, "low-score follow-ups": 0}
