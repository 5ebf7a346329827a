"""Periodic relationship surveys (SVC-3): each tier's interval (diamond 90 days, core 180,
potential 365, basic none, editable with the policy), the key contacts first, idempotent;
the task, the command, and the owners told once per run."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from typer.testing import CliRunner

from kam.accounts.models import Account, AccountStatus
from kam.contacts.models import BuyingRole, Contact, Influence
from kam.core.models import AuditEvent
from kam.insights.services import set_tier_override
from kam.notifications.models import Notification
from kam.service.models import ServicePolicy, SurveyKind, SurveyRequest
from kam.service.policies import all_policies, save_policy
from kam.service.surveys import (
    create_request,
    issue_relationship_surveys,
    key_contacts,
    relationship_surveys_due,
)
from kam_cli.main import app
from tests.api import conftest as api_stories
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import SITE, People, ago
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
emails_on = helpers.emails_on
people = helpers.people
api_as = api_stories.api_as  # the API stories' client


def asked_on(people: People, account: Account, contact: Contact, days_ago: float) -> None:
    create_request(
        kind=SurveyKind.RELATIONSHIP,
        account=account,
        contact=contact,
        now=ago(days_ago),
        send=False,
    )


def test_the_tiers_intervals_come_with_the_policies() -> None:
    intervals = {p.tier: p.survey_interval_days for p in all_policies()}
    assert intervals == {"diamond": 90, "core": 180, "potential": 365, "basic": None}


def test_the_key_contacts_are_asked_decision_makers_first(people: People) -> None:
    extra = [
        Contact(
            account=people.cast.alice_steel,
            name=f"User {n}",
            email=f"u{n}@x.cn",
            buying_role=BuyingRole.USER_BUYER,
            influence=Influence.LOW if n else Influence.HIGH,
        )
        for n in range(3)
    ]
    chosen = key_contacts([*extra, people.sun, people.li, people.zhou, people.wang])
    # Old Zhou has left, Sun Mei has no email; at most three (KAM_SURVEY_CONTACTS_PER_ACCOUNT).
    assert [c.name for c in chosen] == ["Wang Wei", "Li Na", "User 0"]
    assert key_contacts([people.sun, people.zhou]) == [people.sun]  # to ask by phone
    assert key_contacts([people.zhou]) == []


def test_accounts_are_asked_by_their_tiers_interval_and_only_once(
    people: People, emails_on: None, django_capture_on_commit_callbacks: Any
) -> None:
    cast = people.cast
    Contact.objects.create(
        account=cast.shared_telecom, name="Qian Jun", email="qian@telecom.example.cn"
    )  # Shared Telecom has no tier: basic, not surveyed
    asked_on(people, cast.bob_mining, people.zhao, days_ago=170)  # core: every 180 days
    with django_capture_on_commit_callbacks(execute=True):
        report = issue_relationship_surveys()

    assert (report.accounts_due, report.accounts_asked, report.requests) == (1, 1, 2)
    assert (report.emailed, report.by_phone, report.without_contact) == (2, 0, 0)
    fresh = SurveyRequest.objects.exclude(contact=people.zhao)
    assert sorted(fresh.values_list("contact__name", flat=True)) == ["Li Na", "Wang Wei"]
    assert set(fresh.values_list("kind", flat=True)) == {SurveyKind.RELATIONSHIP}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "li.na@alice-steel.example.cn",
        "wang.wei@alice-steel.example.cn",
    ]
    assert all(f"{SITE}/survey/" in m.body for m in mail.outbox)
    (told,) = Notification.objects.filter(code="service.surveys_issued")
    assert told.recipient == cast.alice and told.params == {
        "accounts": 1,
        "emailed": 2,
        "by_phone": 0,
    }
    assert AuditEvent.objects.filter(object_type="surveyrequest", source="periodic").count() == 2

    again = issue_relationship_surveys()  # idempotent: nothing is due now
    assert (again.accounts_due, again.requests) == (0, 0)
    assert SurveyRequest.objects.count() == 3
    assert Notification.objects.filter(code="service.surveys_issued").count() == 1


def test_the_interval_counts_from_the_last_survey_asked(people: People) -> None:
    cast = people.cast
    asked_on(people, cast.alice_steel, people.wang, days_ago=89)
    asked_on(people, cast.bob_mining, people.zhao, days_ago=181)
    due = {d.account.pk: d for d in relationship_surveys_due()}
    assert list(due) == [cast.bob_mining.pk]
    assert due[cast.bob_mining.pk].interval == 180 and due[cast.bob_mining.pk].tier == "core"
    # A withdrawn survey does not count as asked.
    SurveyRequest.objects.filter(account=cast.alice_steel).update(cancelled_at=ago(1))
    assert {d.account.pk for d in relationship_surveys_due()} == {
        cast.alice_steel.pk,
        cast.bob_mining.pk,
    }


def test_the_interval_follows_the_policy_and_the_account_status(people: People) -> None:
    cast = people.cast
    asked_on(people, cast.alice_steel, people.wang, days_ago=40)
    asked_on(people, cast.bob_mining, people.zhao, days_ago=40)
    diamond = ServicePolicy.objects.get(tier="diamond")
    values = {
        name: getattr(diamond, name)
        for name in (
            "first_response_minutes",
            "resolution_minutes",
            "clock",
            "service_model",
            "visit_interval_days",
            "customisation",
            "discount_ceiling",
        )
    }
    save_policy(actor=cast.dora, policy=diamond, values={**values, "survey_interval_days": 30})
    assert [d.account for d in relationship_surveys_due()] == [cast.alice_steel]
    Account.objects.filter(pk=cast.alice_steel.pk).update(status=AccountStatus.LOST)
    assert relationship_surveys_due() == []
    Account.objects.filter(pk=cast.alice_steel.pk).update(status=AccountStatus.DORMANT)
    assert [d.account for d in relationship_surveys_due()] == [cast.alice_steel]
    save_policy(actor=cast.dora, policy=diamond, values={**values, "survey_interval_days": None})
    assert relationship_surveys_due() == []


def test_without_an_email_the_owner_asks_by_phone(people: People, emails_on: None) -> None:
    cast = people.cast
    Contact.objects.filter(account=cast.alice_steel).exclude(pk=people.sun.pk).update(
        is_active=False
    )
    Contact.objects.filter(account=cast.bob_mining).delete()
    report = issue_relationship_surveys()
    assert (report.requests, report.by_phone, report.without_contact) == (1, 1, 1)
    request = SurveyRequest.objects.get()
    assert request.contact == people.sun and request.email == ""
    told = Notification.objects.get(recipient=cast.alice)
    assert told.params["by_phone"] == 1
    assert told.link == reverse("service:survey_requests") + "?status=open&kind=relationship"


def test_a_dry_run_asks_nobody(people: People) -> None:
    report = issue_relationship_surveys(dry_run=True)
    assert (report.accounts_due, report.requests) == (2, 3)
    assert not SurveyRequest.objects.exists()


def test_the_command_issues_the_surveys(people: People, settings: Any) -> None:
    runner = CliRunner()
    preview = runner.invoke(app, ["service", "surveys", "issue", "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "Alice Steel" in preview.output and "Sun Mei" not in preview.output
    assert "2 accounts are due" in preview.output
    assert not SurveyRequest.objects.exists()
    done = runner.invoke(app, ["service", "surveys", "issue"])
    assert done.exit_code == 0, done.output
    assert "asked 3 contacts of 2 accounts" in done.output
    assert SurveyRequest.objects.count() == 3
    again = runner.invoke(app, ["service", "surveys", "issue"])
    assert "0 accounts due: asked 0 contacts" in again.output


def test_the_task_issues_the_surveys(people: People, settings: Any) -> None:
    from kam.service.survey_tasks import issue_surveys

    result = issue_surveys.call()
    assert result["requests"] == 3 and result["accounts_asked"] == 2
    assert issue_surveys.call()["requests"] == 0


def test_the_policy_page_shows_and_edits_the_survey_interval(people: People) -> None:
    cast = people.cast
    dora = client_for(cast.dora)
    page = dora.get(reverse("service:policies")).content.decode()
    assert "Relationship survey" in page and "Every 90 days" in page
    assert "No periodic survey" in page
    url = reverse("service:policy_edit", args=["core"])
    form = dora.get(url).context["form"]
    assert form.initial["survey_interval_days"] == 180
    sent = dora.post(
        url,
        {
            "first_response": "4h",
            "resolution": "24h",
            "clock": "business",
            "service_model": "dedicated_manager",
            "visit_interval_days": "90",
            "survey_interval_days": "120",
            "customisation": "",
            "discount_ceiling": "10",
        },
    )
    assert sent.status_code == 302
    assert ServicePolicy.objects.get(tier="core").survey_interval_days == 120
    event = AuditEvent.objects.filter(object_type="servicepolicy").latest("pk")
    assert event.changes["survey_interval_days"] == [180, 120]


def test_the_api_and_the_command_change_the_survey_interval(people: People, api_as: Any) -> None:
    cast = people.cast
    body = api_as(cast.dora).patch(
        "/api/service/policies/potential", {"survey_interval_days": None}
    )
    assert body.status_code == 200 and body.json()["survey_interval_days"] is None
    assert (
        api_as(cast.dora)
        .patch("/api/service/policies/core", {"survey_interval_days": 0})
        .status_code
        == 422
    )
    result = CliRunner().invoke(app, ["policy", "set", "basic", "--surveys", "365", "--as", "dora"])
    assert result.exit_code == 0, result.output
    assert ServicePolicy.objects.get(tier="basic").survey_interval_days == 365


def test_setting_a_tier_makes_an_account_due(people: People) -> None:
    cast = people.cast
    Contact.objects.create(account=cast.shared_telecom, name="Qian Jun", email="q@t.cn")
    assert cast.shared_telecom.pk not in {d.account.pk for d in relationship_surveys_due()}
    set_tier_override(actor=cast.dora, account=cast.shared_telecom, tier="potential", reason="x")
    assert cast.shared_telecom.pk in {d.account.pk for d in relationship_surveys_due()}
