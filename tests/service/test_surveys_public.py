"""The customer's answer page /survey/<token>/ (SVC-3): no login, in the browser's
language with a switch, CSRF-protected, single use; expired, withdrawn and unknown links
get a clear page, an unknown one a 404 that tells nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kam.core.models import AuditEvent
from kam.notifications.models import Notification
from kam.service.models import RequestStatus, Survey, SurveyKind, SurveyRequest
from kam.service.surveys import Asked, create_request, withdraw_request
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People, resolved_ticket

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people


def asked(people: People, **kwargs: Any) -> Asked:
    return create_request(
        kind=kwargs.pop("kind", SurveyKind.RELATIONSHIP),
        account=people.cast.alice_steel,
        contact=people.wang,
        send=False,
        **kwargs,
    )


def url(item: Asked) -> str:
    return f"/survey/{item.token}/"


def test_the_customer_answers_once_without_logging_in(people: People) -> None:
    item = asked(people)
    client = Client()

    page = client.get(url(item))
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"  # the token never leaves in a Referer
    assert "Dear Wang Wei, how did we do?" in html and 'name="csat"' in html
    assert 'name="nps"' in html and 'value="0"' in html and 'value="10"' in html
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert "Log out" not in html and "Alice Steel" in html

    sent = client.post(url(item), {"csat": "2", "nps": "0", "comment": "交货一再延期"})
    assert sent.status_code == 302 and sent["Location"] == url(item)

    survey = Survey.objects.get()
    assert (survey.csat, survey.nps, survey.comment) == (2, 0, "交货一再延期")
    assert (survey.account, survey.contact, survey.kind) == (
        people.cast.alice_steel,
        people.wang,
        SurveyKind.RELATIONSHIP,
    )
    assert survey.recorded_by is None
    request = SurveyRequest.objects.get()
    assert request.survey == survey and request.status == RequestStatus.ANSWERED
    audit = AuditEvent.objects.get(object_type="survey")
    assert audit.actor is None and audit.source == "survey-link"
    assert survey.follow_up is not None  # CSAT 2 is low: Alice calls back
    assert Notification.objects.filter(recipient=people.cast.alice).count() == 1

    again = client.get(url(item))
    assert again.status_code == 200
    assert "Thank you!" in again.content.decode() and 'name="csat"' not in again.content.decode()
    replay = client.post(url(item), {"csat": "5"})
    assert replay.status_code == 200 and "Thank you!" in replay.content.decode()
    assert Survey.objects.count() == 1


def test_an_answer_needs_a_score_and_says_so(people: People) -> None:
    item = asked(people)
    page = Client().post(url(item), {"comment": "no score"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "Please correct the problems below." in html
    assert "expected a satisfaction score 1–5" in html
    bad = Client().post(url(item), {"csat": "7"})
    assert bad.status_code == 422 and not Survey.objects.exists()


def test_an_unknown_link_is_a_404_that_tells_nothing(people: People) -> None:
    asked(people)
    for token in ("not-a-token", "A" * 43, "x" * 300):
        page = Client().get(f"/survey/{token}/")
        html = page.content.decode()
        assert page.status_code == 404
        assert "This survey link is not valid" in html
        assert "Alice Steel" not in html and "Wang Wei" not in html
    assert Client().post("/survey/not-a-token/", {"csat": "5"}).status_code == 404
    assert not Survey.objects.exists()


def test_an_expired_link_says_so(people: People) -> None:
    item = asked(people, now=timezone.now() - dt.timedelta(days=31))
    page = Client().get(url(item))
    assert page.status_code == 200 and "This survey has expired" in page.content.decode()
    Client().post(url(item), {"csat": "5"})
    assert not Survey.objects.exists()


def test_a_withdrawn_link_says_so(people: People) -> None:
    item = asked(people)
    withdraw_request(actor=people.cast.alice, request=item.request)
    page = Client().get(url(item))
    assert "This survey was withdrawn" in page.content.decode()


def test_the_page_speaks_the_browsers_language_and_can_switch(people: People) -> None:
    item = asked(people)
    chinese = Client().get(url(item), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    html = chinese.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'value="zh-hans" lang="zh-hans" aria-pressed="true"' in html
    english = Client().get(url(item), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert '<html lang="en">' in english.content.decode()

    client = Client()
    switched = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": url(item)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert switched.status_code == 302 and switched["Location"] == url(item)
    after = client.get(url(item), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-hans">' in after.content.decode()


def test_posting_needs_the_csrf_token(people: People) -> None:
    item = asked(people)
    client = Client(enforce_csrf_checks=True)
    assert client.post(url(item), {"csat": "5"}).status_code == 403
    page = client.get(url(item))
    token = page.cookies["csrftoken"].value
    sent = client.post(url(item), {"csat": "5", "csrfmiddlewaretoken": token})
    assert sent.status_code == 302 and Survey.objects.get().csat == 5


def test_a_ticket_survey_shows_what_it_is_about(people: People) -> None:
    ticket = resolved_ticket(people.cast.alice, people.wang, subject="Coating peels off")
    item = create_request(
        kind=SurveyKind.TICKET,
        account=ticket.account,
        contact=people.wang,
        ticket=ticket,
        send=False,
    )
    html = Client().get(url(item)).content.decode()
    assert ticket.number in html and "Coating peels off" in html
    Client().post(url(item), {"csat": "5", "nps": "10", "comment": "很满意"})
    survey = Survey.objects.get()
    assert survey.ticket == ticket and survey.follow_up is None
    answered = ticket.events.get(kind="survey_answered")
    assert answered.data["csat"] == 5 and answered.note == "很满意" and answered.actor is None
