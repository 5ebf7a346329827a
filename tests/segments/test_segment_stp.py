"""The STP workflow (SEG-3, SEG-5): a plan's goal, the segments considered, the targets
and their strategies; every change of a plan is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kam.core.models import AuditEvent
from kam.segments.models import StpPlan, Strategy
from kam.segments.stp import save_plan
from tests.segments.conftest import Book, make_segment, one_of, rule
from tests.web.conftest import client_for


def test_a_plan_is_audited_and_targets_are_among_the_segments(book: Book) -> None:
    north = make_segment(book.cast.dora, "North", rule(one_of("region", "north")))
    steel = make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))
    plan = save_plan(actor=book.cast.mary, goal="Grow in the north")
    plan = save_plan(actor=book.cast.mary, plan=plan, goal="Grow in the north", segments=[steel])
    plan = save_plan(actor=book.cast.mary, plan=plan, goal="Grow north", targets=[north])
    assert set(plan.segments.all()) == {north, steel} and list(plan.targets.all()) == [north]
    events = AuditEvent.objects.filter(object_type="stpplan", object_id=plan.pk).order_by("pk")
    assert [e.action for e in events] == ["create", "update", "update"]
    assert events[2].changes["targets"] == ["", "North"]
    assert events[2].changes["goal"] == ["Grow in the north", "Grow north"]


def test_account_managers_and_others_owners_cannot_change_a_plan(book: Book) -> None:
    with pytest.raises(PermissionDenied):
        save_plan(actor=book.cast.alice, goal="mine")
    plan = save_plan(actor=book.cast.mary, goal="Mary's")
    with pytest.raises(PermissionDenied):
        save_plan(actor=book.cast.nick, plan=plan, goal="Nick's now")
    assert save_plan(actor=book.cast.dora, plan=plan, goal="Dora's edit").goal == "Dora's edit"


def test_the_workflow_pages(book: Book) -> None:
    north = make_segment(book.cast.dora, "North", rule(one_of("region", "north")))
    client = client_for(book.cast.dora)
    created = client.post(reverse("segments:stp"), {"goal": "Win the north"})
    plan = StpPlan.objects.get()
    assert created["Location"] == plan.get_absolute_url()
    client.post(plan.get_absolute_url(), {"step": "segments", "segments": [str(north.pk)]})
    client.post(plan.get_absolute_url(), {"step": "targets", "targets": [str(north.pk)]})
    Strategy.objects.create(segment=north, name="Northern push", owner=book.cast.dora)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Win the north" in page and "Northern push" in page
    assert 'class="bubble"' in page  # the evaluation of the chosen segments
    assert reverse("segments:strategy_create", args=[north.pk]) in page
    assert client_for(book.cast.alice).get(plan.get_absolute_url()).status_code == 200
    assert (
        client_for(book.cast.alice).post(plan.get_absolute_url(), {"goal": "x"}).status_code == 403
    )
    assert "Win the north" in client.get(reverse("segments:stp")).content.decode()
