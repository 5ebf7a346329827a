"""Staffing the account team from the account page: the owner, the owner's manager or a
director add and remove colleagues; each change is audited; others cannot."""

from __future__ import annotations

from django.urls import reverse

from kam.accounts.models import AccountTeamMember
from kam.core.models import AuditEvent
from tests.conftest import Cast
from tests.web.conftest import client_for


def test_the_owner_adds_and_removes_a_colleague(cast: Cast) -> None:
    client = client_for(cast.alice)
    account = cast.alice_steel
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    assert page.context["team_form"] is not None
    added = client.post(
        reverse("accounts:team_add", args=[account.pk]), {"user": cast.tom.pk, "role": "service"}
    )
    assert added.status_code == 302
    assert AccountTeamMember.objects.get(account=account, user=cast.tom).role == "service"
    removed = client.post(reverse("accounts:team_remove", args=[account.pk, cast.tom.pk]))
    assert removed.status_code == 302
    assert not AccountTeamMember.objects.filter(account=account, user=cast.tom).exists()
    history = AuditEvent.objects.filter(account_id=account.pk).order_by("id")
    assert [e.changes["account team"] for e in history] == [
        ["", "tom (service)"],
        ["tom (service)", ""],
    ]


def test_a_team_member_sees_no_staffing_form_and_cannot_staff(cast: Cast) -> None:
    # Alice is on the team of Bob's Shared Telecom but does not own it.
    client = client_for(cast.alice)
    account = cast.shared_telecom
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    assert page.context["team_form"] is None
    response = client.post(
        reverse("accounts:team_add", args=[account.pk]), {"user": cast.tom.pk, "role": "sales"}
    )
    assert response.status_code == 403
    assert not AccountTeamMember.objects.filter(account=account, user=cast.tom).exists()


def test_outsiders_and_analysts_cannot_staff(cast: Cast) -> None:
    url = reverse("accounts:team_add", args=[cast.alice_steel.pk])
    assert client_for(cast.bob).post(url, {"user": cast.tom.pk, "role": "sales"}).status_code == 404
    assert client_for(cast.ann).post(url, {"user": cast.tom.pk, "role": "sales"}).status_code == 403
    assert client_for(cast.alice).get(url).status_code == 405
