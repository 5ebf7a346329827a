"""The club in the REST API: memberships, the ledger with its running balance, redemptions
(409 with the figures when the balance is too low), adjustments, referrals, the rules,
benefits, events and invitations — and who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from kam.club.models import EntryKind, PointsEntry, PointsRules
from kam.club.services import accrue_purchases, balance_of
from kam.core.models import AuditEvent
from tests.club.conftest import ALICE_POINTS, BOB_POINTS, Club, event

Api = Callable[[Any], Any]


def test_members_are_listed_with_level_and_balance(club: Club, api_as: Api) -> None:
    accrue_purchases()
    body = api_as(club.cast.dora).get("/api/club/memberships").json()
    rows = {item["account"]: item for item in body["items"]}
    assert body["count"] == 2
    assert rows["A-1"]["level"] == "diamond" and rows["A-1"]["balance"] == ALICE_POINTS
    assert rows["B-1"]["level"] == "gold" and rows["B-1"]["tier"] == "core"
    assert rows["B-1"]["balance"] == BOB_POINTS and rows["B-1"]["active"] is True
    gold = api_as(club.cast.dora).get("/api/club/memberships", level="gold").json()
    assert [item["account"] for item in gold["items"]] == ["B-1"]


def test_join_and_leave(club: Club, api_as: Api) -> None:
    bob = api_as(club.cast.bob)
    url = f"/api/accounts/{club.cast.shared_telecom.pk}/club"
    assert bob.get(url).status_code == 404  # not a member yet
    joined = bob.post(url, {})
    assert joined.status_code == 201, joined.json()
    assert joined.json()["level"] == "member" and joined.json()["balance"] == 0
    again = bob.post(url, {})
    assert again.status_code == 409
    assert "is a club member already" in again.json()["message"]
    backdated = bob.post(f"/api/accounts/{club.cast.bob_mining.pk}/club", {"joined_on": "x"})
    assert backdated.status_code == 422
    left = bob.post(url + "/leave", None)
    assert left.status_code == 200 and left.json()["left_on"] is not None
    assert bob.post(url + "/leave", None).status_code == 409


def test_redeeming_beyond_the_balance_answers_409_with_the_figures(club: Club, api_as: Api) -> None:
    accrue_purchases()
    alice = api_as(club.cast.alice)
    url = f"/api/accounts/{club.cast.alice_steel.pk}/club/redemptions"

    first = alice.post(url, {"benefit_id": club.summit.pk, "note": "Wang"})
    second = alice.post(url, {"benefit_id": club.training.pk})

    assert first.status_code == 201, first.json()
    assert first.json()["points"] == -200 and first.json()["kind"] == "redeem"
    assert second.status_code == 409
    assert second.json() == {
        "code": "conflict",
        "message": "Not enough points: Training seat costs 100 points and the balance of "
        "Alice Steel Co., Ltd. is 46.",
    }
    assert balance_of(club.alice_member) == ALICE_POINTS - 200
    unknown = alice.post(url, {"benefit_id": 999999})
    assert unknown.status_code == 404
    assert alice.post(url, {"benefit_id": club.summit.pk, "extra": 1}).status_code == 422


def test_the_ledger_pages_newest_first_with_the_running_balance(club: Club, api_as: Api) -> None:
    accrue_purchases()
    alice = api_as(club.cast.alice)
    base = f"/api/accounts/{club.cast.alice_steel.pk}/club"
    alice.post(base + "/redemptions", {"benefit_id": club.training.pk})
    body = alice.get(base + "/ledger").json()
    assert body["count"] == 2
    newest, oldest = body["items"]
    assert (newest["kind"], newest["points"], newest["balance_after"]) == (
        "redeem",
        -100,
        ALICE_POINTS - 100,
    )
    assert (oldest["kind"], oldest["points"], oldest["balance_after"]) == (
        "earn_purchase",
        ALICE_POINTS,
        ALICE_POINTS,
    )
    assert newest["actor"] == "alice" and oldest["actor"] is None


def test_only_directors_adjust(club: Club, api_as: Api) -> None:
    url = f"/api/accounts/{club.cast.alice_steel.pk}/club/adjustments"
    body = {"points": 50, "reason": "Goodwill"}
    assert api_as(club.cast.alice).post(url, body).status_code == 403
    assert api_as(club.cast.ann).post(url, body).status_code == 403
    done = api_as(club.cast.dora).post(url, body)
    assert done.status_code == 201 and done.json()["note"] == "Goodwill"
    assert api_as(club.cast.dora).post(url, {"points": 0, "reason": "x"}).status_code == 422
    too_much = api_as(club.cast.dora).post(url, {"points": -51, "reason": "undo"})
    assert too_much.status_code == 409 and "below zero" in too_much.json()["message"]
    assert balance_of(club.alice_member) == 50


def test_referrals_earn_once(club: Club, api_as: Api) -> None:
    alice = api_as(club.cast.alice)
    url = f"/api/accounts/{club.cast.alice_steel.pk}/club/referrals"
    done = alice.post(url, {"referred_account": "B-2"})
    assert done.status_code == 201
    assert done.json()["points"] == PointsRules.load().referral_points == 2000
    assert alice.post(url, {"referred_account": "B-2"}).status_code == 409
    assert alice.post(url, {"referred_account": "A-1"}).status_code == 409  # itself
    assert alice.post(url, {"referred_account": "B-1"}).status_code == 404  # not hers


def test_rules_are_read_by_all_and_changed_by_directors(club: Club, api_as: Api) -> None:
    assert api_as(club.cast.alice).get("/api/club/rules").json()["multiplier_diamond"] == 200
    assert api_as(club.cast.alice).patch("/api/club/rules", {"event_points": 1}).status_code == 403
    changed = api_as(club.cast.dora).patch("/api/club/rules", {"event_points": 750})
    assert changed.status_code == 200
    assert changed.json()["event_points"] == 750 and changed.json()["updated_by"] == "dora"
    audit = AuditEvent.objects.get(object_type="pointsrules")
    assert audit.changes == {"event_points": [500, 750]} and audit.source == "api"
    assert api_as(club.cast.dora).patch("/api/club/rules", {"purchase_unit": 0}).status_code == 422


def test_benefits(club: Club, api_as: Api) -> None:
    dora = api_as(club.cast.dora)
    made = dora.post("/api/club/benefits", {"name": "Lounge", "points_cost": 300, "stock": 5})
    assert made.status_code == 201 and made.json()["active"] is True
    assert dora.post("/api/club/benefits", {"name": "lounge", "points_cost": 1}).status_code == 409
    pk = made.json()["id"]
    off = dora.patch(f"/api/club/benefits/{pk}", {"active": False, "stock": None})
    assert off.status_code == 200 and off.json()["active"] is False and off.json()["stock"] is None
    assert (
        api_as(club.cast.alice)
        .post("/api/club/benefits", {"name": "Mine", "points_cost": 1})
        .status_code
        == 403
    )
    listed = api_as(club.cast.alice).get("/api/club/benefits", active="true").json()
    assert [b["name"] for b in listed["items"]] == ["Training seat", "Summit pass"]


def test_events_and_invitations(club: Club, api_as: Api) -> None:
    dora, alice, bob = (api_as(u) for u in (club.cast.dora, club.cast.alice, club.cast.bob))
    made = dora.post(
        "/api/club/events",
        {"name": "Forum", "date": "2099-05-01", "time": "14:30", "capacity": 1, "place": "Suzhou"},
    )
    assert made.status_code == 201, made.json()
    ev = made.json()
    starts = timezone.localtime(dt.datetime.fromisoformat(ev["starts_at"]))
    assert starts.strftime("%Y-%m-%d %H:%M") == "2099-05-01 14:30"  # in the book's time zone
    assert ev["points_for_attending"] == 500
    mine = {"name": "x", "date": "2099-01-01", "capacity": 1}
    assert alice.post("/api/club/events", mine).status_code == 403
    url = f"/api/club/events/{ev['id']}/invitations"
    wang = alice.post(url, {"contact": "CC-1"})
    assert wang.status_code == 201 and wang.json()["status"] == "invited"
    assert alice.post(url, {"contact": "CC-4"}).status_code == 409  # Shared Telecom: no member
    assert alice.post(url, {"contact": "CC-3"}).status_code == 404  # Bob's contact
    zhao = bob.post(url, {"contact": "CC-3"}).json()
    # each sees the invitations of their own accounts only
    assert [i["contact"] for i in alice.get(url).json()["items"]] == ["CC-1"]
    assert [i["contact"] for i in dora.get(url).json()["items"]] == ["CC-1", "CC-3"]
    answer = f"/api/club/invitations/{wang.json()['id']}/response"
    assert alice.post(answer, {"answer": "accepted"}).json()["status"] == "accepted"
    full = bob.post(f"/api/club/invitations/{zhao['id']}/response", {"answer": "accepted"})
    assert full.status_code == 409 and "full" in full.json()["message"]
    early = alice.post(f"/api/club/invitations/{wang.json()['id']}/attendance", {"attended": True})
    assert early.status_code == 409


def test_attendance_through_the_api_earns_once(club: Club, api_as: Api) -> None:
    from kam.club.services import invite

    past = event("Golf", days=2, points=800)
    wang = invite(actor=club.cast.alice, event=past, contact=club.wang)
    li = invite(actor=club.cast.alice, event=past, contact=club.li)
    past.starts_at = past.starts_at - dt.timedelta(days=400)
    past.save()
    alice = api_as(club.cast.alice)
    first = alice.post(f"/api/club/invitations/{wang.pk}/attendance", {"attended": True})
    second = alice.post(f"/api/club/invitations/{li.pk}/attendance", {"attended": True})
    assert first.json()["points_earned"] == 800 and second.json()["points_earned"] == 0
    assert first.json()["invitation"]["status"] == "attended"
    assert PointsEntry.objects.filter(kind=EntryKind.EARN_EVENT).count() == 1
