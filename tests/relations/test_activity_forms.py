"""Logging activities on the web: the quick form on the account and contact pages, the
full form, editing, completing, cancelling and deleting a planned activity — each audited,
and analysts refused."""

from __future__ import annotations

from django.urls import reverse

from kam.core.models import AuditEvent
from kam.relations.models import Activity, ActivityStatus
from tests.conftest import Cast
from tests.relations.conftest import Centre
from tests.web.conftest import client_for


def test_the_quick_form_logs_a_visit_from_the_account_page(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.alice)
    url = reverse("relations:account_log", args=[cast.alice_steel.pk])
    answer = client.post(
        url,
        {
            "kind": "visit",
            "status": "done",
            "subject": "Trial results",
            "starts_at": "2026-11-02T15:00",
            "contacts": [str(centre.user.pk)],
            "sentiment": "positive",
            "outcome": "They want a second line",
        },
        HTTP_HX_REQUEST="true",
    )
    html = answer.content.decode()
    assert "Activity “Trial results” logged." in html
    assert '<section id="activities"' in html and "<html" not in html
    logged = Activity.objects.get(subject="Trial results")
    assert (logged.owner, logged.account, list(logged.contacts.all())) == (
        cast.alice,
        cast.alice_steel,
        [centre.user],
    )
    assert AuditEvent.objects.filter(object_type="activity", object_id=logged.pk).exists()


def test_the_quick_form_shows_the_problems(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.alice)
    url = reverse("relations:account_log", args=[cast.alice_steel.pk])
    html = client.post(
        url, {"kind": "visit", "subject": "", "starts_at": "tomorrow"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "missing value" in html
    assert "not a date and time" in html
    assert not Activity.objects.filter(subject="").exists()


def test_without_htmx_the_quick_form_returns_to_the_page(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.alice)
    url = reverse("relations:contact_log", args=[centre.boss.pk])
    answer = client.post(url, {"kind": "call", "subject": "Budget", "starts_at": "2026-11-03"})
    assert answer.status_code == 302
    assert answer["Location"] == centre.boss.get_absolute_url() + "#activities"
    call = Activity.objects.get(subject="Budget")
    assert list(call.contacts.all()) == [centre.boss]  # the contact page's person by default


def test_the_full_form_edits_and_the_buttons_complete_cancel_delete(
    cast: Cast, centre: Centre
) -> None:
    client = client_for(cast.alice)
    create = reverse("relations:create") + f"?account={cast.alice_steel.pk}"
    answer = client.post(
        create,
        {
            "kind": "meeting",
            "status": "planned",
            "subject": "Budget meeting",
            "starts_at": "2030-01-10T09:30",
            "owner": "tom",
            "participants": ["alice"],
            "contacts": [str(centre.boss.pk)],
        },
    )
    meeting = Activity.objects.get(subject="Budget meeting")
    assert answer.status_code == 302 and meeting.owner == cast.tom
    edit = reverse("relations:edit", args=[meeting.pk])
    form = client.get(edit).content.decode()
    assert 'value="2030-01-10T09:30"' in form
    client.post(
        edit,
        {
            "kind": "meeting",
            "status": "planned",
            "subject": "Budget meeting 2",
            "starts_at": "2030-01-11T09:30",
            "owner": "tom",
            "contacts": [],
        },
    )
    meeting.refresh_from_db()
    assert meeting.subject == "Budget meeting 2" and list(meeting.contacts.all()) == []
    client.post(
        reverse("relations:complete", args=[meeting.pk]),
        {"outcome": "Budget approved", "sentiment": "positive"},
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.outcome) == (ActivityStatus.DONE, "Budget approved")
    refused = client.post(reverse("relations:delete", args=[meeting.pk]))
    assert refused.status_code == 302 and Activity.objects.filter(pk=meeting.pk).exists()
    client.post(reverse("relations:cancel", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == ActivityStatus.CANCELLED
    client.post(reverse("relations:delete", args=[meeting.pk]))
    assert not Activity.objects.filter(pk=meeting.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="activity", object_id=meeting.pk)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update", "update", "delete"]


def test_analysts_see_the_timeline_without_a_form_and_cannot_log(
    cast: Cast, centre: Centre
) -> None:
    client = client_for(cast.ann)
    html = client.get(
        reverse("relations:account_activities", args=[cast.alice_steel.pk]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Quarterly review" in html and "Log an activity" not in html
    post = {"kind": "visit", "subject": "x", "starts_at": "2026-01-01T10:00"}
    url = reverse("relations:account_log", args=[cast.alice_steel.pk])
    assert client.post(url, post).status_code == 403
