"""Colleagues record the customer's answer taken by phone (SVC-3): on the ticket page and
on the account page; only those who see the account, never analysts; audited; a new link
shown once; a request withdrawn by hand."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.service.models import EventKind, RequestStatus, Survey, SurveyKind, SurveyRequest
from kam.service.surveys import ask, create_request, find_by_token, record_answer
from kam.service.tickets import create_ticket
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People, close, resolved_ticket
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people


def test_the_owner_records_the_answer_on_the_ticket_page(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    cast = people.cast
    ticket = close(
        cast.alice, resolved_ticket(cast.alice, people.wang), django_capture_on_commit_callbacks
    )
    client = client_for(cast.alice)

    detail = client.get(ticket.get_absolute_url()).content.decode()
    section_url = reverse("service:ticket_survey", args=[ticket.pk])
    assert f'hx-get="{section_url}"' in detail  # the section loads after the page
    section = client.get(section_url).content.decode()
    assert "Record the customer's answer" in section and "Waiting for the answer" in section

    record_url = reverse("service:ticket_survey_record", args=[ticket.pk])
    form = client.get(record_url)
    assert form.status_code == 200
    assert form.context["form"]["contact"].value() == str(people.wang.pk)
    sent = client.post(
        record_url,
        {"contact": str(people.wang.pk), "csat": "4", "nps": "8", "comment": "电话回访：满意"},
    )
    assert sent.status_code == 302 and sent["Location"] == f"{ticket.get_absolute_url()}#survey"

    survey = Survey.objects.get()
    assert (survey.csat, survey.nps, survey.recorded_by, survey.ticket) == (
        4,
        8,
        cast.alice,
        ticket,
    )
    request = SurveyRequest.objects.get()  # the open request of the close was answered
    assert request.survey == survey and request.status == RequestStatus.ANSWERED
    event = ticket.events.get(kind=EventKind.SURVEY_ANSWERED)
    assert event.actor == cast.alice and event.data["by"] == "colleague"
    audit = AuditEvent.objects.get(object_type="survey")
    assert audit.actor == cast.alice and audit.changes["csat"] == [None, 4]
    section = client.get(section_url).content.decode()
    assert "CSAT 4" in section and "NPS 8" in section and "电话回访：满意" in section
    history = client.get(ticket.get_absolute_url()).content.decode()
    assert "Answer recorded by a colleague: CSAT 4 / NPS 8." in history


def test_an_outsider_can_neither_see_nor_record(people: People) -> None:
    cast = people.cast
    ticket = resolved_ticket(cast.alice, people.wang)
    record_answer(
        actor=cast.alice,
        account=cast.alice_steel,
        kind="ticket",
        values={"csat": 1, "comment": "秘密"},
        ticket=ticket,
    )
    bob = client_for(cast.bob)  # North team: does not see Alice Steel nor its tickets

    assert bob.get(reverse("service:ticket_survey", args=[ticket.pk])).status_code == 404
    assert bob.get(reverse("service:ticket_survey_record", args=[ticket.pk])).status_code == 404
    assert (
        bob.post(
            reverse("service:ticket_survey_record", args=[ticket.pk]), {"csat": "5"}
        ).status_code
        == 404
    )
    account = cast.alice_steel.pk
    assert bob.get(reverse("service:account_satisfaction", args=[account])).status_code == 404
    assert (
        bob.post(
            reverse("service:account_survey_record", args=[account]), {"csat": "5"}
        ).status_code
        == 404
    )
    assert bob.post(reverse("service:account_survey_ask", args=[account]), {}).status_code == 404
    request = SurveyRequest.objects.get()
    assert bob.post(reverse("service:survey_renew_link", args=[request.pk])).status_code == 404
    assert bob.post(reverse("service:survey_withdraw", args=[request.pk])).status_code == 404
    listing = bob.get(reverse("service:survey_requests")).content.decode()
    assert "Alice Steel" not in listing
    results = bob.get(reverse("service:satisfaction")).content.decode()
    assert "秘密" not in results and "Alice Steel" not in results
    with pytest.raises(PermissionDenied):
        record_answer(
            actor=cast.bob, account=cast.alice_steel, kind="relationship", values={"csat": 5}
        )
    assert Survey.objects.count() == 1


def test_a_colleague_who_sees_the_ticket_but_not_the_account_cannot_record(
    people: People,
) -> None:
    # Tickets handed to someone outside the account team stay visible to them; the
    # customer's answers stay with those who see the account.
    cast = people.cast
    ticket = create_ticket(actor=cast.bob, account=cast.bob_mining, values={"subject": "Drill"})
    from kam.service.tickets import act, hand_over

    ticket = hand_over(actor=cast.bob, ticket=ticket, to=cast.alice, note="Alice knows drills")
    ticket = act(actor=cast.alice, ticket=ticket, action="resolve", resolution="Fixed")
    alice = client_for(cast.alice)
    section = alice.get(reverse("service:ticket_survey", args=[ticket.pk]))
    assert section.status_code == 200
    assert "shown to colleagues who see the account" in section.content.decode()
    assert alice.get(reverse("service:ticket_survey_record", args=[ticket.pk])).status_code == 404


def test_analysts_read_but_never_record(people: People) -> None:
    cast = people.cast
    ann = client_for(cast.ann)
    assert ann.get(reverse("service:satisfaction")).status_code == 200
    assert (
        ann.get(reverse("service:account_survey_record", args=[cast.alice_steel.pk])).status_code
        == 403
    )
    section = ann.get(reverse("service:account_satisfaction", args=[cast.alice_steel.pk]))
    assert section.status_code == 200 and "Record an answer" not in section.content.decode()
    with pytest.raises(PermissionDenied):
        record_answer(
            actor=cast.ann, account=cast.alice_steel, kind="relationship", values={"csat": 5}
        )


def test_a_teammate_records_a_relationship_answer_on_the_account_page(people: People) -> None:
    cast = people.cast
    open_one = create_request(
        kind=SurveyKind.RELATIONSHIP, account=cast.alice_steel, contact=people.li, send=False
    )
    tom = client_for(cast.mary)  # Alice's sales manager sees her accounts
    url = reverse("service:account_survey_record", args=[cast.alice_steel.pk])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    sent = tom.post(
        url,
        {"contact": str(people.li.pk), "nps": "9", "responded_on": yesterday.isoformat()},
    )
    assert sent.status_code == 302
    survey = Survey.objects.get()
    assert (survey.kind, survey.contact, survey.nps, survey.csat) == (
        "relationship",
        people.li,
        9,
        None,
    )
    assert timezone.localdate(survey.responded_at) == yesterday
    open_one.request.refresh_from_db()
    assert open_one.request.survey == survey  # Li Na's open survey is the one answered
    section = tom.get(reverse("service:account_satisfaction", args=[cast.alice_steel.pk]))
    html = section.content.decode()
    assert "NPS 9" in html and 'data-figure="nps"' in html


def test_bad_answers_are_named_field_by_field(people: People) -> None:
    cast = people.cast
    client = client_for(cast.alice)
    url = reverse("service:account_survey_record", args=[cast.alice_steel.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page = client.post(url, {"contact": str(people.zhao.pk), "responded_on": tomorrow.isoformat()})
    assert page.status_code == 422
    errors = page.context["form"].errors
    assert "csat" in errors  # no score at all
    assert "responded_on" in errors and "contact" in errors  # every bad field at once
    assert not Survey.objects.exists()
    with pytest.raises(RecordInvalid) as bad:
        record_answer(
            actor=cast.alice,
            account=cast.alice_steel,
            kind="relationship",
            values={"csat": 6, "nps": -1, "contact": people.zhao.pk, "responded_on": tomorrow},
        )
    fields = bad.value.by_field()
    assert set(fields) == {"csat", "nps", "contact", "responded_on"}
    assert "expected a whole number 1–5" in fields["csat"]
    assert fields["contact"].startswith(f"no contact '{people.zhao.pk}' at Alice Steel")
    open_ticket = create_ticket(
        actor=cast.alice, account=cast.alice_steel, values={"subject": "Open"}
    )
    with pytest.raises(RecordInvalid, match="still open"):
        record_answer(
            actor=cast.alice,
            account=cast.alice_steel,
            kind="ticket",
            values={"csat": 3},
            ticket=open_ticket,
        )
    assert not Survey.objects.exists() and not SurveyRequest.objects.exists()


def test_asking_by_hand_shows_the_link_once(people: People, settings: Any) -> None:
    cast = people.cast
    settings.KAM_SURVEY_EMAILS = False
    client = client_for(cast.alice)
    url = reverse("service:account_survey_ask", args=[cast.alice_steel.pk])
    page = client.post(url, {"contact": str(people.sun.pk), "send": "on"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    link = re.search(r'value="(http://testserver/survey/[^"]+/)"', page.content.decode())
    assert link is not None
    token = link.group(1).rsplit("/", 2)[1]
    request = SurveyRequest.objects.get()
    assert find_by_token(token) == request and request.created_by == cast.alice
    assert token not in str(AuditEvent.objects.get(object_type="surveyrequest").changes)
    # A new link replaces the old one, which stops working.
    renewed = client.post(reverse("service:survey_renew_link", args=[request.pk]))
    new = re.search(r'value="http://testserver/survey/([^"/]+)/"', renewed.content.decode())
    assert new is not None and new.group(1) != token
    assert find_by_token(token) is None and find_by_token(new.group(1)) == request
    # Withdrawn: it no longer waits.
    back = client.post(
        reverse("service:survey_withdraw", args=[request.pk]), {"next": "/elsewhere/"}
    )
    assert back.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    again = client.post(reverse("service:survey_withdraw", args=[request.pk]))
    assert again.status_code == 302  # says it is withdrawn already, changes nothing


def test_ask_refuses_a_contact_of_another_account(people: People) -> None:
    with pytest.raises(RecordInvalid):
        ask(actor=people.cast.alice, account=people.cast.alice_steel, contact=people.zhao)


def test_the_requests_page_filters_by_status(people: People) -> None:
    cast = people.cast
    create_request(kind="relationship", account=cast.alice_steel, contact=people.wang, send=False)
    old = create_request(
        kind="relationship",
        account=cast.alice_steel,
        contact=people.li,
        send=False,
        now=timezone.now() - dt.timedelta(days=40),
    )
    client = client_for(cast.alice)
    url = reverse("service:survey_requests")
    assert client.get(url).context["page"].paginator.count == 2
    expired = client.get(url, {"status": "expired"}).context["page"].object_list
    assert [r.pk for r in expired] == [old.request.pk]
    assert client.get(url, {"status": "open"}).context["page"].paginator.count == 1
