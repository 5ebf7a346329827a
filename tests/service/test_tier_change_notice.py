"""When an account changes tier its policy follows and its owner is told: one
notification per change set by hand (once it commits), one per owner per scoring run;
and the account page's section shows the policy that applies now."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from kam.accounts.models import Account
from kam.insights.services import clear_tier_override, run_scoring, set_tier_override
from kam.notifications.messages import render
from kam.notifications.models import Notification
from kam.service.notices import FIRST_TIER, TIER_CHANGED, TIERS_CHANGED_IN_RUN
from kam.service.policies import policy_for_account
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, add_order
from tests.web.conftest import client_for

AS_OF = dt.date(2025, 12, 31)
SECTION_BUDGET = 8  # session, user, account, override, latest score, policy, calendar


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr("kam.insights.services.score_book", fake)
    return fake


def notes_of(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def text(note: Notification) -> str:
    return render(note.code, note.params)


# --- changes by hand ------------------------------------------------------------------------


def test_a_tier_set_by_hand_tells_the_owner_once_it_commits(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="core", reason="Key")
        assert not Notification.objects.exists()  # not before the commit

    [first] = notes_of(cast.alice)
    assert first.code == FIRST_TIER
    assert text(first) == (
        "Alice Steel Co., Ltd. is now core: first response 4 h, resolution 24 h "
        "(3 working days), visits: every 90 days, served by dedicated account manager."
    )
    assert first.link == reverse("accounts:detail", args=[cast.alice_steel.pk]) + "#service-policy"
    assert first.account_id == cast.alice_steel.pk

    with django_capture_on_commit_callbacks(execute=True):
        set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="diamond", reason="VIP")

    moved = notes_of(cast.alice)[-1]
    assert moved.code == TIER_CHANGED
    assert text(moved) == (
        "Alice Steel Co., Ltd. moved from core to diamond: first response now 1 h, resolution "
        "8 h (1 working day), visits: every 30 days, served by dedicated team."
    )
    assert policy_for_account(cast.alice_steel).tier == "diamond"  # the policy follows
    assert Notification.objects.exclude(recipient=cast.alice).count() == 0


def test_a_rolled_back_change_tells_nobody(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        set_tier_override(actor=cast.dora, account=cast.bob_mining, tier="core", reason="x")
        raise RuntimeError("changed my mind")

    assert callbacks == []
    assert not Notification.objects.exists()


def test_clearing_an_override_tells_the_owner_too(
    cast: Cast, fake_engine: FakeEngine, django_capture_on_commit_callbacks: Any
) -> None:
    add_order(cast.bob_mining, dt.date(2025, 6, 1), "9000")
    fake_engine.tiers = {cast.bob_mining.pk: "core"}
    run_scoring(actor=cast.dora, as_of=AS_OF)
    set_tier_override(actor=cast.dora, account=cast.bob_mining, tier="diamond", reason="VIP")

    with django_capture_on_commit_callbacks(execute=True):
        clear_tier_override(actor=cast.dora, account=cast.bob_mining)

    [note] = notes_of(cast.bob)
    assert note.code == TIER_CHANGED and "moved from diamond to core" in text(note)


# --- scoring runs -----------------------------------------------------------------------------


def test_a_scoring_run_tells_each_owner_once(
    cast: Cast, fake_engine: FakeEngine, django_capture_on_commit_callbacks: Any
) -> None:
    many = [Account.objects.create(name=f"Bob's {n}", owner=cast.bob) for n in range(10)]
    for account in [cast.alice_steel, cast.bob_mining, cast.shared_telecom, *many]:
        add_order(account, dt.date(2025, 6, 1), "1000")
    fake_engine.tiers = {cast.bob_mining.pk: "diamond", cast.shared_telecom.pk: "core"}

    with django_capture_on_commit_callbacks(execute=True):
        first_run = run_scoring(actor=cast.dora, as_of=AS_OF)

    [bobs] = notes_of(cast.bob)
    assert bobs.code == TIERS_CHANGED_IN_RUN
    assert text(bobs) == (
        "12 of your accounts changed tier in the scoring run of 2025-12-31 (0 up, 0 down, "
        "12 with a first tier); their service policies follow."
    )
    assert bobs.link == reverse("insights:dashboard") + "#movements"
    [alices] = notes_of(cast.alice)  # one account of hers: told about it by name
    assert alices.code == FIRST_TIER and text(alices).startswith(
        "Alice Steel Co., Ltd. is now basic"
    )
    assert first_run.change_count == 13

    fake_engine.tiers = {
        cast.bob_mining.pk: "core",
        cast.shared_telecom.pk: "diamond",
        many[0].pk: "potential",
    }
    with django_capture_on_commit_callbacks(execute=True):
        run_scoring(actor=cast.dora, as_of=AS_OF)

    latest = notes_of(cast.bob)[-1]
    assert latest.code == TIERS_CHANGED_IN_RUN
    assert latest.params == {"count": 3, "date": "2025-12-31", "up": 2, "down": 1, "new": 0}
    assert len(notes_of(cast.alice)) == 1  # Alice Steel did not move


def test_a_run_that_moves_one_account_of_an_owner_names_it(
    cast: Cast, fake_engine: FakeEngine, django_capture_on_commit_callbacks: Any
) -> None:
    add_order(cast.bob_mining, dt.date(2025, 6, 1), "9000")
    run_scoring(actor=cast.dora, as_of=AS_OF)  # basic: not told (callbacks never run)
    fake_engine.tiers = {cast.bob_mining.pk: "diamond"}

    with django_capture_on_commit_callbacks(execute=True):
        run_scoring(actor=cast.dora, as_of=AS_OF)

    [note] = notes_of(cast.bob)
    assert note.code == TIER_CHANGED
    assert "Bob Mining moved from basic to diamond: first response now 1 h" in text(note)


# --- the account page's section ------------------------------------------------------------


def section(user: Any, account: Account) -> Any:
    url = reverse("service:account_policy", args=[account.pk])
    return client_for(user).get(url, headers={"HX-Request": "true"})


def test_the_account_page_loads_the_section_lazily(cast: Cast) -> None:
    page = client_for(cast.alice).get(cast.alice_steel.get_absolute_url()).content.decode()

    url = reverse("service:account_policy", args=[cast.alice_steel.pk])
    assert f'hx-get="{url}"' in page and 'id="service-policy"' in page


def test_the_section_shows_the_basic_policy_until_the_account_has_a_tier(cast: Cast) -> None:
    response = section(cast.alice, cast.alice_steel)

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-policy-tier="basic"' in html
    assert "No tier yet: served under the basic policy." in html
    assert "Service centre" in html and "No regular visits" in html


def test_the_section_shows_the_right_policy_after_an_override(cast: Cast) -> None:
    set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="diamond", reason="VIP")

    html = section(cast.alice, cast.alice_steel).content.decode()

    assert 'data-policy-tier="diamond"' in html and "tier set by hand" in html
    assert '<dd data-field="service_model">Dedicated team</dd>' in html
    assert '<dd data-field="first_response">1 h</dd>' in html
    assert '<dd data-field="resolution">8 h (1 working day)</dd>' in html
    assert '<dd data-field="visits">Every 30 days</dd>' in html
    assert '<dd data-field="discount_ceiling">15%</dd>' in html
    assert "Fully customised solutions and service" in html
    full = client_for(cast.ann).get(reverse("service:account_policy", args=[cast.alice_steel.pk]))
    assert full.status_code == 200 and "<html" in full.content.decode()  # without htmx


def test_an_invisible_account_has_no_section(cast: Cast) -> None:
    assert section(cast.bob, cast.alice_steel).status_code == 404


def test_the_section_keeps_a_small_query_budget(
    cast: Cast, fake_engine: FakeEngine, django_assert_max_num_queries: Any
) -> None:
    add_order(cast.alice_steel, dt.date(2025, 6, 1), "9000")
    fake_engine.tiers = {cast.alice_steel.pk: "core"}
    run_scoring(actor=cast.dora, as_of=AS_OF)
    client = client_for(cast.alice)
    url = reverse("service:account_policy", args=[cast.alice_steel.pk])

    with django_assert_max_num_queries(SECTION_BUDGET):
        response = client.get(url, headers={"HX-Request": "true"})

    assert 'data-policy-tier="core"' in response.content.decode()
