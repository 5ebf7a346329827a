"""The admin lists segments and strategies for staff, checks a definition like every other
door does, and records its changes in the audit trail."""

from __future__ import annotations

import json

from django.urls import reverse

from kam.core.models import AuditEvent
from kam.segments.models import Segment, Strategy
from tests.segments.conftest import Book, between, make_segment, one_of, rule
from tests.web.conftest import client_for


def test_it_lists_segments_and_strategies_for_an_administrator(book: Book) -> None:
    segment = make_segment(book.cast.dora, "Energy", rule(one_of("industry", "energy")))
    Strategy.objects.create(segment=segment, name="Push", owner=book.cast.dora)
    client = client_for(book.cast.root)
    for name in ("admin:segments_segment_changelist", "admin:segments_strategy_changelist"):
        assert client.get(reverse(name)).status_code == 200
    assert (
        client.get(reverse("admin:segments_segment_change", args=[segment.pk])).status_code == 200
    )


def change(book: Book, segment: Segment, definition: object) -> str:
    response = client_for(book.cast.root).post(
        reverse("admin:segments_segment_change", args=[segment.pk]),
        {
            "name": segment.name,
            "description": "",
            "kind": "rule",
            "owner": book.cast.dora.pk,
            "definition": json.dumps(definition),
            "strategies-TOTAL_FORMS": "0",
            "strategies-INITIAL_FORMS": "0",
        },
    )
    return response.content.decode() if response.status_code == 200 else ""


def test_it_checks_the_definition_and_audits_the_change(book: Book) -> None:
    segment = make_segment(book.cast.dora, "Energy", rule(one_of("industry", "energy")))
    refused = change(book, segment, rule(between("employees", 10, 1)))
    assert "min is greater than max" in refused
    assert change(book, segment, rule(one_of("industry", "telecom"))) == ""
    segment.refresh_from_db()
    assert segment.definition["conditions"][0]["values"] == ["telecom"]
    event = AuditEvent.objects.get(object_type="segment", source="admin")
    assert "telecom" in event.changes["definition"][1]
