"""The club pages: the overview's figures, the member page (balance, ledger with running
balance, redeem and adjust), the account page's lazy section and its query budget, the
level that follows the tier, the rules page (directors change, audited), benefits and
events forms."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kam.club.models import Benefit, ClubEvent, PointsEntry, PointsRules
from kam.club.services import accrue_purchases, balance_of, invite
from kam.core.models import AuditEvent
from kam.insights.models import Tier
from tests.club.conftest import ALICE_POINTS, BOB_POINTS, Club, event, set_tier
from tests.web.conftest import client_for

SECTION_BUDGET = 8  # session, user, account, membership, tier, ledger rows, (spare)


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, f"no figure {name}"
    return found.group(1).strip()


def test_the_overview_counts_members_by_level_and_the_points_of_the_year(club: Club) -> None:
    accrue_purchases()
    client = client_for(club.cast.dora)
    client.post(
        reverse("club:redeem", args=[club.cast.bob_mining.pk]), {"benefit": club.training.pk}
    )
    upcoming = event("Annual gala", days=20)
    html = client.get(reverse("club:overview")).content.decode()

    assert figure(html, "members") == "2"
    year = timezone.localdate().year
    issued = ALICE_POINTS + BOB_POINTS if year == 2026 else 0  # the orders are of 2026
    assert figure(html, "issued") == f"{issued:,}"
    assert figure(html, "redeemed") == "100"
    assert re.search(r'data-level="diamond">\s*<span class="stat-value">1<', html)
    assert re.search(r'data-level="gold">\s*<span class="stat-value">1<', html)
    assert upcoming.name in html
    # Alice sees only her accounts' members
    mine = client_for(club.cast.alice).get(reverse("club:overview")).content.decode()
    assert figure(mine, "members") == "1"


def test_the_member_page_shows_the_ledger_and_redeems(club: Club) -> None:
    accrue_purchases()
    client = client_for(club.cast.alice)
    url = reverse("club:member", args=[club.cast.alice_steel.pk])

    answer = client.post(
        reverse("club:redeem", args=[club.cast.alice_steel.pk]),
        {"benefit": club.summit.pk, "note": "for the CFO"},
        follow=True,
    )
    html = answer.content.decode()

    assert answer.redirect_chain[-1][0] == url
    assert "Redeemed Summit pass for 200 points." in html
    assert figure(html, "balance") == str(ALICE_POINTS - 200)
    assert "−200" in html or "-200" in html
    assert "Order CL-2 of 2026-03-10" in html
    refused = client.post(
        reverse("club:redeem", args=[club.cast.alice_steel.pk]),
        {"benefit": club.training.pk},
        follow=True,
    ).content.decode()
    assert "Not enough points: Training seat costs 100 points" in refused
    assert balance_of(club.alice_member) == ALICE_POINTS - 200
    assert "Adjust the points" not in html  # directors only


def test_directors_adjust_on_the_member_page(club: Club) -> None:
    client = client_for(club.cast.dora)
    url = reverse("club:adjust", args=[club.cast.alice_steel.pk])
    html = client.post(url, {"points": "120", "reason": "Goodwill"}, follow=True).content.decode()
    assert "Adjusted by 120 points." in html and "Goodwill" in html
    assert balance_of(club.alice_member) == 120
    assert client_for(club.cast.alice).post(url, {"points": "1", "reason": "x"}).status_code == 403


def test_a_non_member_page_offers_to_enrol(club: Club) -> None:
    client = client_for(club.cast.bob)
    telecom = club.cast.shared_telecom
    html = client.get(reverse("club:member", args=[telecom.pk])).content.decode()
    assert "Not a club member" in html and "Enrol in the club" in html
    answer = client.post(reverse("club:join", args=[telecom.pk]), follow=True)
    assert "joined the club (member number KC" in answer.content.decode()
    assert telecom.club_membership.is_active  # type: ignore[attr-defined]


def test_the_level_follows_the_tier(club: Club) -> None:
    client = client_for(club.cast.alice)
    url = reverse("club:member", args=[club.cast.alice_steel.pk])
    assert 'class="level level-diamond">Diamond<' in client.get(url).content.decode()
    set_tier(club.cast.alice_steel, Tier.POTENTIAL)
    html = client.get(url).content.decode()
    assert 'class="level level-silver">Silver<' in html
    assert "Level history" in html


def test_the_account_page_loads_the_section_lazily(club: Club) -> None:
    client = client_for(club.cast.alice)
    page = client.get(club.cast.alice_steel.get_absolute_url()).content.decode()
    section_url = reverse("club:account_section", args=[club.cast.alice_steel.pk])
    assert f'hx-get="{section_url}"' in page


def test_the_section_shows_the_membership_in_a_few_queries(
    club: Club, django_assert_max_num_queries: Any
) -> None:
    accrue_purchases()
    client = client_for(club.cast.alice)
    url = reverse("club:account_section", args=[club.cast.alice_steel.pk])
    for number in range(8):
        PointsEntry.objects.create(
            membership=club.alice_member, delta=1, kind="adjust", reference=f"t:{number}"
        )
    with django_assert_max_num_queries(SECTION_BUDGET):
        html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert figure(html, "balance") == str(ALICE_POINTS + 8)
    assert 'data-level="diamond"' in html
    assert html.count("<tr>") == 5  # the latest rows
    outsider = client_for(club.cast.bob).get(
        reverse("club:account_section", args=[club.cast.shared_telecom.pk])
    )
    assert "Enrol in the club" in outsider.content.decode()


def test_directors_change_the_rules_and_the_change_is_audited(club: Club) -> None:
    values = {
        "purchase_points": "2",
        "purchase_unit": "100",
        "referral_points": "2000",
        "event_points": "500",
        "multiplier_diamond": "300",
        "multiplier_core": "150",
        "multiplier_potential": "120",
        "multiplier_basic": "100",
    }
    client = client_for(club.cast.dora)
    html = client.post(reverse("club:rules"), values, follow=True).content.decode()
    assert "Points rules saved." in html
    rules = PointsRules.load()
    assert (rules.purchase_points, rules.multiplier_diamond, rules.updated_by) == (
        2,
        300,
        club.cast.dora,
    )
    audit = AuditEvent.objects.get(object_type="pointsrules")
    assert audit.changes == {"purchase_points": [1, 2], "multiplier_diamond": [200, 300]}
    assert audit.actor == club.cast.dora
    bad = client.post(reverse("club:rules"), {**values, "purchase_unit": "0"}).content.decode()
    assert "expected a whole number from 1" in bad
    assert client_for(club.cast.alice).post(reverse("club:rules"), values).status_code == 403
    as_alice = client_for(club.cast.alice).get(reverse("club:rules")).content.decode()
    assert "Change the rules" not in as_alice
    # the new rules apply to the next accrual: 123 units × 2 × 300 %
    accrue_purchases()
    assert balance_of(club.alice_member) == 738


def test_benefit_and_event_forms(club: Club) -> None:
    client = client_for(club.cast.dora)
    made = client.post(
        reverse("club:benefit_create"), {"name": "Lounge", "points_cost": "300", "active": "on"}
    )
    assert made.status_code == 302
    lounge = Benefit.objects.get(name="Lounge")
    assert lounge.points_cost == 300 and lounge.active and lounge.stock is None
    taken = client.post(reverse("club:benefit_create"), {"name": "lounge", "points_cost": "5"})
    assert "another benefit is called" in taken.content.decode()
    made = client.post(
        reverse("club:event_create"),
        {"name": "Forum", "starts_at": "2099-05-01T14:00", "capacity": "30", "place": "Suzhou"},
    )
    forum = ClubEvent.objects.get(name="Forum")
    assert made.status_code == 302 and made["Location"] == forum.get_absolute_url()
    assert timezone.localtime(forum.starts_at).hour == 14 and forum.points is None
    assert client_for(club.cast.alice).get(reverse("club:event_create")).status_code == 403


def test_inviting_from_the_event_page_and_the_member_page(club: Club) -> None:
    gala = event("Gala", days=9)
    client = client_for(club.cast.alice)
    page = client.get(reverse("club:event", args=[gala.pk]), {"account": club.cast.alice_steel.pk})
    assert "Wang Wei" in page.content.decode()
    client.post(reverse("club:invite", args=[gala.pk]), {"contact": [club.wang.pk]})
    client.post(
        reverse("club:member_invite", args=[club.cast.alice_steel.pk]),
        {"event": gala.pk, "contact": [club.li.pk, club.zhao.pk]},  # Zhao is not of this account
    )
    names = set(gala.invitations.values_list("contact__name", flat=True))
    assert names == {"Wang Wei", "Li Na"}


def test_the_event_page_records_answers_and_attendance(club: Club) -> None:
    past = event("Golf", days=3, points=800)
    wang = invite(actor=club.cast.alice, event=past, contact=club.wang)
    ClubEvent.objects.filter(pk=past.pk).update(starts_at=timezone.now() - dt.timedelta(days=1))
    client = client_for(club.cast.alice)
    html = client.post(
        reverse("club:attendance", args=[wang.pk]), {"attended": "yes"}, follow=True
    ).content.decode()
    assert "Attendance recorded." in html and "status-attended" in html
    assert balance_of(club.alice_member) == 800


def test_pages_render_in_chinese(club: Club) -> None:
    accrue_purchases()
    client = client_for(club.cast.dora)
    client.cookies["django_language"] = "zh-hans"
    for url in (
        reverse("club:overview"),
        reverse("club:members"),
        reverse("club:member", args=[club.cast.alice_steel.pk]),
        reverse("club:benefits"),
        reverse("club:events"),
        reverse("club:rules"),
    ):
        response = client.get(url, headers={"Accept-Language": "zh-hans"})
        assert response.status_code == 200, url
