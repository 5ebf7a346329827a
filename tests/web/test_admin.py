"""The admin (PLAT-2): every model is there for staff; history is read-only; tokens can
only be revoked; changes made in the admin enter the audit trail too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.models import ApiToken, AuditEvent, hash_token
from tests.conftest import Cast
from tests.web.conftest import Archive, client_for

MODELS = [
    "core_user",
    "core_team",
    "core_region",
    "core_auditevent",
    "core_apitoken",
    "accounts_account",
    "accounts_tag",
    "contacts_contact",
    "transactions_order",
    "transactions_payment",
    "segments_segment",
    "segments_strategy",
    "segments_clusteringrun",
    "segments_stpplan",
]


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_every_model_for_an_administrator(
    cast: Cast, archive: Archive, model: str
) -> None:
    response = client_for(cast.root).get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200


def test_it_keeps_people_who_are_not_staff_out_of_the_admin(cast: Cast) -> None:
    response = client_for(cast.alice).get(reverse("admin:index"))
    assert response.status_code == 302  # not staff: the admin's own login


def test_it_shows_role_team_and_region_on_the_user_page(cast: Cast) -> None:
    page = client_for(cast.root).get(reverse("admin:core_user_change", args=[cast.alice.pk]))
    content = page.content.decode()
    assert 'name="role"' in content and 'name="team"' in content and 'name="region"' in content


def test_it_never_lets_anyone_change_the_audit_trail(cast: Cast) -> None:
    client = client_for(cast.root)
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    event = AuditEvent.objects.create(
        action="update", object_type="account", object_id=1, object_repr="x"
    )
    response = client.post(
        reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_revokes_tokens_and_nothing_more(cast: Cast) -> None:
    token = ApiToken.objects.create(
        user=cast.alice,
        prefix="abcd1234",
        digest=hash_token("secret"),
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    client = client_for(cast.root)
    assert client.get(reverse("admin:core_apitoken_add")).status_code == 403
    client.post(
        reverse("admin:core_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_it_audits_an_account_changed_in_the_admin(cast: Cast) -> None:
    client = client_for(cast.root)
    url = reverse("admin:accounts_account_change", args=[cast.alice_steel.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "name": "Alice Steel Holdings",
            "tags": [],
            "team-TOTAL_FORMS": "0",
            "team-INITIAL_FORMS": "0",
            "team-MIN_NUM_FORMS": "0",
            "team-MAX_NUM_FORMS": "1000",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Account.objects.get(pk=cast.alice_steel.pk).name == "Alice Steel Holdings"
    event = AuditEvent.objects.get(account_id=cast.alice_steel.pk, source="admin")
    assert event.actor == cast.root
    assert event.changes["name"] == ["Alice Steel Co., Ltd.", "Alice Steel Holdings"]
