"""The evaluation of segments, clustering runs, their rules and STP plans in the REST API:
the figures are the services' own, over the accounts the caller may see; writes follow
the pages' permissions and are audited; errors in the API's format (403, 404, 409, 422)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kam.accounts.models import Account, Industry
from kam.accounts.services import visible_accounts
from kam.contacts.models import Contact
from kam.core.models import AuditEvent
from kam.insights.models import AccountScore
from kam.insights.services import latest_run
from kam.segments.clustering import label_rules
from kam.segments.evaluation import evaluate_segments
from kam.segments.models import ClusteringRun, ClusterMember, Segment, SegmentKind, StpPlan
from kam.segments.stp import save_plan
from tests.conftest import Cast
from tests.segments.conftest import (
    Book,
    book,  # noqa: F401  (the hand-made book, a fixture)
    make_segment,
    new_run,
    one_of,
    order,
    rule,
)

# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def north(book: Book) -> Segment:  # noqa: F811
    """Bob Mining and Shared Telecom (Alice sees Shared Telecom only); Bob Mining has CLV
    100 and a contact."""
    run = latest_run()
    AccountScore.objects.filter(run=run, account=book.cast.bob_mining).update(clv=100.0)
    AccountScore.objects.filter(run=run, account=book.cast.alice_steel).update(clv=500.0)
    Contact.objects.create(account=book.cast.bob_mining, name="Wang")
    return make_segment(book.cast.dora, "North", rule(one_of("region", "north")))


@pytest.fixture
def steel(book: Book) -> Segment:  # noqa: F811
    return make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))


@pytest.fixture
def clusterable(cast: Cast) -> list[Account]:
    """24 accounts of Tom's: 12 large energy buyers (diamond/core), 12 small IT ones
    (basic), scored by a successful run: k-means finds them apart."""
    run = new_run()
    made = []
    for i in range(24):
        big = i < 12
        account = Account.objects.create(
            external_id=f"K-{i}",
            name=f"{'Big' if big else 'Small'} {i}",
            owner=cast.tom,
            industry=Industry.ENERGY if big else Industry.IT,
            employees=5000 + i if big else 20 + i,
        )
        order(account, 10 + i, "100000" if big else "100")
        AccountScore.objects.create(
            run=run,
            account=account,
            frequency=20 + i % 3 if big else 1,
            recency=300,
            T=400,
            monetary=1,
            total_revenue=1_000_000 + 1000 * i if big else 100 + i,
            clv=500_000.0 + i if big else 50.0 + i,
            p_alive=0.9 if big else 0.3,
            tier=("diamond" if i < 2 else "core") if big else "basic",
        )
        made.append(account)
    return made


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def error_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


# --- evaluation -------------------------------------------------------------------------


def test_the_evaluation_gives_the_services_figures(
    book: Book,  # noqa: F811
    north: Segment,
    steel: Segment,
    api_as: Any,
) -> None:
    body = ok(api_as(book.cast.dora).get("/api/segments/evaluation"))
    expected = evaluate_segments(book.cast.dora, [north, steel])
    assert body["book_accounts"] == expected.book_accounts == 6
    assert body["has_run"] is True
    assert [s["segment"] for s in body["segments"]] == ["North", "Steel"]
    by_name = {s["segment"]: s for s in body["segments"]}
    for found in expected.segments:
        shown = by_name[found.segment.name]
        assert shown["segment_id"] == found.segment.pk
        assert shown["accounts"] == found.accounts
        assert shown["revenue_12m"] == pytest.approx(found.revenue)
        assert shown["revenue_prev_12m"] == pytest.approx(found.revenue_prev)
        assert shown["margin_12m"] is None and found.margin is None
        assert shown["clv_mean"] == found.clv_mean
        assert shown["owner_share"] == found.owner_share
        assert shown["contact_share"] == found.contact_share
        assert shown["attractiveness"] == pytest.approx(found.attractiveness)
        assert shown["position"] == found.position
        assert shown["quadrant_label"] == found.quadrant
        assert [(c["check"], c["status"], c["reason"]) for c in shown["checks"]] == [
            (c.check, c.status, c.reason) for c in found.checks
        ]
    north_shown = by_name["North"]
    assert (north_shown["accounts"], north_shown["revenue_12m"]) == (2, 4000)
    assert north_shown["growth"] == pytest.approx((4000 - 52000) / 52000)
    assert (north_shown["clv_mean"], north_shown["clv_accounts"]) == (100.0, 1)
    assert north_shown["contact_share"] == 0.5
    assert by_name["Steel"]["growth"] is None  # no revenue in the 12 months before
    assert by_name["Steel"]["attractiveness"] == pytest.approx(0.75)
    assert by_name["Steel"]["quadrant"] == "invest"
    checks = {c["check"]: c for c in north_shown["checks"]}
    assert checks["substantial"]["status"] == "pass"
    assert checks["accessible"]["status"] == "warn" and checks["accessible"]["reason"]
    for unknown in ("share_of_wallet", "competitive_intensity"):
        assert north_shown[unknown]["value"] is None
        assert north_shown[unknown]["reason"].startswith("not recorded")
    between = {c["check"]: c["status"] for c in body["between_segments"]}
    assert between == {c.check: c.status for c in expected.overall}
    assert "differentiable" in between
    assert body["overlap"] == expected.overlap
    matrix = body["matrix"]
    assert (matrix["width"], matrix["height"]) == (expected.width, expected.height)
    assert [(b["segment"], b["x"], b["y"], b["r"]) for b in matrix["bubbles"]] == [
        (b.evaluation.segment.name, b.x, b.y, b.r) for b in expected.bubbles
    ]


def test_an_account_manager_evaluates_only_own_accounts(
    book: Book,  # noqa: F811
    north: Segment,
    api_as: Any,
) -> None:
    query = {"ids": [north.pk]}
    as_dora = ok(api_as(book.cast.dora).get("/api/segments/evaluation", **query))
    as_alice = ok(api_as(book.cast.alice).get("/api/segments/evaluation", **query))
    [dora_north] = as_dora["segments"]
    [alice_north] = as_alice["segments"]
    assert (dora_north["accounts"], dora_north["revenue_12m"]) == (2, 4000)
    # Alice sees Shared Telecom (on its account team), not Bob Mining.
    assert (alice_north["accounts"], alice_north["revenue_12m"]) == (1, 0)
    assert alice_north["revenue_prev_12m"] == 2000 and alice_north["growth"] == -1.0
    assert alice_north["clv_mean"] is None
    assert as_alice["book_accounts"] == visible_accounts(book.cast.alice).count() == 2
    [expected] = evaluate_segments(book.cast.alice, [north]).segments
    assert alice_north["accounts"] == expected.accounts


def test_the_evaluation_takes_the_segments_named(
    book: Book,  # noqa: F811
    north: Segment,
    steel: Segment,
    api_as: Any,
) -> None:
    client = api_as(book.cast.mary)
    only = ok(client.get("/api/segments/evaluation", ids=[steel.pk]))
    assert [s["segment"] for s in only["segments"]] == ["Steel"]
    assert only["between_segments"] == []  # one segment: nothing to compare it with
    both = ok(client.get("/api/segments/evaluation", ids=[steel.pk, north.pk, steel.pk]))
    assert [s["segment"] for s in both["segments"]] == ["North", "Steel"]
    missing = client.get("/api/segments/evaluation", ids=[north.pk, 999999])
    assert missing.status_code == 404
    assert missing.json() == {"code": "not_found", "message": "No such segment: 999999"}
    assert error_fields(client.get("/api/segments/evaluation", ids=["north"])) == ["ids.0"]
    assert error_fields(client.get("/api/segments/evaluation", ids=[0])) == ["ids.0"]


def test_the_evaluation_needs_authentication(book: Book, client: Any) -> None:  # noqa: F811
    assert client.get("/api/segments/evaluation").status_code == 401


# --- rules ------------------------------------------------------------------------------


def test_the_rules_of_the_tiers_are_the_services(
    cast: Cast, clusterable: list[Account], api_as: Any
) -> None:
    body = ok(api_as(cast.dora).get("/api/segments/rules", kind="tier"))
    expected = label_rules(cast.dora, "tiers")
    assert body["kind"] == "tier" and body["problem"] is None
    assert [r["text"] for r in body["rules"]] == [r["text"] for r in expected.rules]
    assert [r["label"] for r in body["rules"]] == [r["label"] for r in expected.rules]
    assert all(r["text"].startswith("IF ") for r in body["rules"])
    assert body["training_accuracy"] == pytest.approx(expected.training_accuracy)
    assert (body["accounts"], body["cv_folds"]) == (expected.accounts, expected.cv_folds)
    assert [i["feature"] for i in body["importances"]] == [f for f, _ in expected.importances]
    # The default kind is the tiers.
    assert ok(api_as(cast.dora).get("/api/segments/rules"))["rules"] == body["rules"]


def test_rules_say_why_there_are_none(cast: Cast, api_as: Any) -> None:
    body = ok(api_as(cast.alice).get("/api/segments/rules", kind="cluster"))
    assert body["rules"] == [] and body["training_accuracy"] is None
    assert body["problem"] == label_rules(cast.alice, "clusters").problem != ""
    assert error_fields(api_as(cast.alice).get("/api/segments/rules", kind="tiers")) == ["kind"]


# --- clustering runs --------------------------------------------------------------------


def test_a_director_runs_clustering_and_reads_the_runs(
    cast: Cast, clusterable: list[Account], api_as: Any
) -> None:
    client = api_as(cast.dora)
    made = ok(client.post("/api/clustering-runs", {}), 201)
    run = ClusteringRun.objects.get()
    assert made["id"] == run.pk and made["actor"] == "dora"
    assert (made["k"], made["account_count"]) == (run.k, run.account_count) == (run.k, 27)
    assert made["silhouette"] == pytest.approx(run.silhouette)
    assert [p["k"] for p in made["curve"]] == [p["k"] for p in run.curve]
    assert [p["silhouette"] for p in made["curve"]] == pytest.approx(
        [p["silhouette"] for p in run.curve]
    )
    assert [c["label"] for c in made["clusters"]] == [p["label"] for p in run.profiles]
    for cluster, profile in zip(made["clusters"], run.profiles, strict=True):
        assert cluster["accounts"] == profile["accounts"]
        assert (
            cluster["accounts"]
            == ClusterMember.objects.filter(run=run, label=profile["label"]).count()
        )
        assert cluster["accounts_you_see"] == cluster["accounts"]  # Dora sees every account
        assert cluster["description"] == cluster["description_en"] == profile["en"]
        assert cluster["description_zh"] == profile["zh"]
        assert cluster["revenue"] == pytest.approx(profile["revenue"])
        assert cluster["segment_id"] is None
        distinct = [n["feature"] for n in profile["numeric"] if n["direction"] != "typical"]
        assert [n["feature"] for n in cluster["distinguishing"]] == distinct
    assert made["features"] == run.features

    second = ok(client.post("/api/clustering-runs", {}), 201)
    listed = ok(client.get("/api/clustering-runs"))
    assert listed["count"] == 2
    assert [r["id"] for r in listed["items"]] == [second["id"], made["id"]]  # newest first
    assert "clusters" not in listed["items"][0]
    assert ok(client.get(f"/api/clustering-runs/{made['id']}")) == made
    assert ok(client.get("/api/clustering-runs", limit=1, offset=1))["items"][0]["id"] == made["id"]

    rules = ok(client.get("/api/segments/rules", kind="cluster"))
    expected = label_rules(cast.dora, "clusters")
    assert rules["kind"] == "cluster" and rules["rules"]
    assert [r["text"] for r in rules["rules"]] == [r["text"] for r in expected.rules]
    assert {r["label"] for r in rules["rules"]} <= {c["label"] for c in second["clusters"]}


def test_an_account_manager_reads_a_run_without_the_books_money(
    cast: Cast, clusterable: list[Account], api_as: Any
) -> None:
    made = ok(api_as(cast.dora).post("/api/clustering-runs", {}), 201)
    seen = ok(api_as(cast.alice).get(f"/api/clustering-runs/{made['id']}"))
    run = ClusteringRun.objects.get()
    mine = ClusterMember.objects.filter(run=run, account__in=visible_accounts(cast.alice))
    for cluster in seen["clusters"]:
        assert cluster["accounts_you_see"] == mine.filter(label=cluster["label"]).count()
        assert cluster["revenue"] is None and cluster["revenue_share"] is None
        assert all(n["cluster_median"] is None for n in cluster["distinguishing"])
    assert sum(c["accounts_you_see"] for c in seen["clusters"]) == 2  # her two accounts


@pytest.mark.parametrize("who", ["mary", "alice", "ann"])
def test_only_directors_and_administrators_run_clustering(
    cast: Cast, clusterable: list[Account], api_as: Any, who: str
) -> None:
    response = api_as(getattr(cast, who)).post("/api/clustering-runs", {})
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    assert not ClusteringRun.objects.exists()


def test_a_book_too_small_to_cluster_is_a_conflict(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.root).post("/api/clustering-runs", {})
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict"
    assert body["message"].startswith("No clusters found: ") and "accounts" in body["message"]
    assert not ClusteringRun.objects.exists()


def test_unknown_runs_are_not_found(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.dora)
    assert client.get("/api/clustering-runs/4242").status_code == 404
    assert client.post("/api/clustering-runs/4242/segments", {"labels": [1]}).status_code == 404
    assert ok(client.get("/api/clustering-runs")) == {"count": 0, "items": []}


def test_clusters_are_saved_as_segments(
    cast: Cast, clusterable: list[Account], api_as: Any
) -> None:
    client = api_as(cast.dora)
    run_id = ok(client.post("/api/clustering-runs", {}), 201)["id"]
    saved = ok(client.post(f"/api/clustering-runs/{run_id}/segments", {"labels": [1]}), 201)
    [segment] = saved["created"]
    assert saved["already_saved"] == []
    stored = Segment.objects.get(pk=segment["id"])
    assert (stored.kind, stored.cluster_run_id, stored.cluster_label) == (
        SegmentKind.CLUSTER,
        run_id,
        1,
    )
    assert segment["kind"] == "cluster"
    assert segment["members"] == ClusterMember.objects.filter(run_id=run_id, label=1).count()
    assert AuditEvent.objects.filter(object_type="segment", object_id=stored.pk).exists()
    # A data-driven segment reads like any other, without conditions.
    read = ok(client.get(f"/api/segments/{stored.pk}"))
    assert (read["cluster_run_id"], read["cluster_label"]) == (run_id, 1)
    assert "definition" not in read and read["members"] == segment["members"]
    assert ok(client.get("/api/segments"))["items"] == [read]
    again = ok(client.post(f"/api/clustering-runs/{run_id}/segments", {"labels": [1, 2]}), 201)
    assert [s["kind"] for s in again["created"]] == ["cluster"]
    assert again["already_saved"] == [1]
    nothing_new = ok(client.post(f"/api/clustering-runs/{run_id}/segments", {"labels": [2]}))
    assert nothing_new == {"created": [], "already_saved": [2]}
    detail = ok(client.get(f"/api/clustering-runs/{run_id}"))
    assert {c["label"]: c["segment_id"] for c in detail["clusters"]}[1] == stored.pk


def test_saving_clusters_is_checked(cast: Cast, clusterable: list[Account], api_as: Any) -> None:
    client = api_as(cast.dora)
    run_id = ok(client.post("/api/clustering-runs", {}), 201)["id"]
    path = f"/api/clustering-runs/{run_id}/segments"
    unknown = client.post(path, {"labels": [1, 99]})
    assert error_fields(unknown) == ["labels.1"]
    assert unknown.json()["errors"][0]["message"].startswith(
        f"not a cluster of run {run_id} (got 99, expected one of: 1, 2"
    )
    assert error_fields(client.post(path, {"labels": []})) == ["labels"]
    assert error_fields(client.post(path, {"labels": ["1"]})) == ["labels.0"]
    assert error_fields(client.post(path, {"labels": [1], "name": "x"})) == ["name"]
    assert api_as(cast.mary).post(path, {"labels": [1]}).status_code == 403
    assert not Segment.objects.exists()


# --- STP plans --------------------------------------------------------------------------


def test_a_plan_is_created_read_and_changed(
    book: Book,  # noqa: F811
    north: Segment,
    steel: Segment,
    api_as: Any,
) -> None:
    mary = api_as(book.cast.mary)
    made = ok(
        mary.post(
            "/api/stp-plans",
            {
                "goal": "  Grow in the north ",
                "review_date": "2030-06-30",
                "segments": [steel.pk],
                "targets": [north.pk],
            },
        ),
        201,
    )
    plan = StpPlan.objects.get()
    assert made["id"] == plan.pk and made["goal"] == plan.goal == "Grow in the north"
    assert (made["owner"], made["review_date"]) == ("mary", "2030-06-30")
    # A target is among the segments considered; segments come by name.
    assert [s["name"] for s in made["segments"]] == ["North", "Steel"]
    assert made["targets"] == [{"id": north.pk, "name": "North"}]
    assert made["strategies"] == []

    from kam.segments.models import Strategy

    Strategy.objects.create(segment=north, name="Northern push", owner=book.cast.dora)
    read = ok(api_as(book.cast.alice).get(f"/api/stp-plans/{plan.pk}"))  # everybody reads
    assert [s["name"] for s in read["strategies"]] == ["Northern push"]

    changed = ok(mary.patch(f"/api/stp-plans/{plan.pk}", {"goal": "Win the north"}))
    assert changed["goal"] == "Win the north"
    assert changed["review_date"] == "2030-06-30" and len(changed["segments"]) == 2
    # New segments without targets: a target no longer considered stops being one.
    dropped = ok(mary.patch(f"/api/stp-plans/{plan.pk}", {"segments": [steel.pk]}))
    assert [s["name"] for s in dropped["segments"]] == ["Steel"] and dropped["targets"] == []
    cleared = ok(mary.patch(f"/api/stp-plans/{plan.pk}", {"review_date": None}))
    assert cleared["review_date"] is None and cleared["goal"] == "Win the north"

    events = AuditEvent.objects.filter(object_type="stpplan", object_id=plan.pk).order_by("pk")
    assert [(e.action, e.source) for e in events] == [
        ("create", "api"),
        ("update", "api"),
        ("update", "api"),
        ("update", "api"),
    ]
    assert events[1].changes["goal"] == ["Grow in the north", "Win the north"]
    assert events[2].changes["targets"] == ["North", ""]

    listed = ok(api_as(book.cast.bob).get("/api/stp-plans"))
    assert listed["count"] == 1 and listed["items"][0]["goal"] == "Win the north"
    assert "strategies" not in listed["items"][0]


def test_plans_are_listed_most_recently_changed_first(
    book: Book,  # noqa: F811
    api_as: Any,
) -> None:
    first = save_plan(actor=book.cast.dora, goal="First")
    second = save_plan(actor=book.cast.mary, goal="Second")
    save_plan(actor=book.cast.dora, plan=first, goal="First, changed")
    body = ok(api_as(book.cast.ann).get("/api/stp-plans"))
    assert [p["id"] for p in body["items"]] == [first.pk, second.pk]
    assert ok(api_as(book.cast.ann).get("/api/stp-plans", limit=1))["count"] == 2


PLAN_INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"goal": "   "}, "goal", "missing value (got '', expected a value)"),
    ({"goal": None}, "goal", "missing value (got '', expected a value)"),
    ({"goal": 5}, "goal", "not text (got '5', expected a text value)"),
    ({"goal": "x" * 5001}, "goal", "too long"),
    ({"review_date": "30.06.2030"}, "review_date", "not a date"),
    ({"segments": ["North"]}, "segments.0", ""),
    ({"targets": [0]}, "targets.0", ""),
    ({"colour": "red"}, "colour", "unknown field (expected only the fields"),
]


@pytest.mark.parametrize(("change", "field", "message"), PLAN_INVALID)
def test_invalid_plans_are_refused_with_messages(
    book: Book,  # noqa: F811
    api_as: Any,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    dora = api_as(book.cast.dora)
    created = dora.post("/api/stp-plans", {"goal": "A plan", **change})
    assert error_fields(created) == [field]
    assert created.json()["errors"][0]["message"].startswith(message)
    plan = save_plan(actor=book.cast.dora, goal="Kept")
    changed = dora.patch(f"/api/stp-plans/{plan.pk}", change)
    assert error_fields(changed) == [field]
    plan.refresh_from_db()
    assert plan.goal == "Kept"


def test_a_plan_needs_its_goal(book: Book, api_as: Any) -> None:  # noqa: F811
    assert error_fields(api_as(book.cast.dora).post("/api/stp-plans", {})) == ["goal"]


def test_plans_name_segments_that_exist(
    book: Book,  # noqa: F811
    north: Segment,
    api_as: Any,
) -> None:
    dora = api_as(book.cast.dora)
    created = dora.post("/api/stp-plans", {"goal": "G", "targets": [north.pk, 777777]})
    assert created.status_code == 404
    assert created.json()["message"] == "No such segment: 777777 (in targets)"
    assert not StpPlan.objects.exists()
    assert dora.patch("/api/stp-plans/555555", {"goal": "G"}).status_code == 404
    assert dora.get("/api/stp-plans/555555").status_code == 404


def test_only_owners_and_directors_change_plans(
    book: Book,  # noqa: F811
    api_as: Any,
) -> None:
    for who in ("alice", "ann"):
        refused = api_as(getattr(book.cast, who)).post("/api/stp-plans", {"goal": "Mine"})
        assert refused.status_code == 403, refused.content
    assert not StpPlan.objects.exists()
    plan = save_plan(actor=book.cast.mary, goal="Mary's")
    assert (
        api_as(book.cast.nick).patch(f"/api/stp-plans/{plan.pk}", {"goal": "N"}).status_code == 403
    )
    assert (
        api_as(book.cast.alice).patch(f"/api/stp-plans/{plan.pk}", {"goal": "A"}).status_code == 403
    )
    assert (
        ok(api_as(book.cast.dora).patch(f"/api/stp-plans/{plan.pk}", {"goal": "D"}))["goal"] == "D"
    )


def test_the_new_operations_are_documented(book: Book, api_as: Any) -> None:  # noqa: F811
    document = ok(api_as(book.cast.dora).get("/api/openapi.json"))
    operations = {
        (method, path): spec
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    }
    for key in [
        ("get", "/api/segments/evaluation"),
        ("get", "/api/segments/rules"),
        ("get", "/api/clustering-runs"),
        ("post", "/api/clustering-runs"),
        ("get", "/api/clustering-runs/{run_id}"),
        ("post", "/api/clustering-runs/{run_id}/segments"),
        ("get", "/api/stp-plans"),
        ("post", "/api/stp-plans"),
        ("get", "/api/stp-plans/{plan_id}"),
        ("patch", "/api/stp-plans/{plan_id}"),
    ]:
        assert operations[key]["summary"], key
    schemas = document["components"]["schemas"]

    def body_fields(key: tuple[str, str]) -> set[str]:
        ref = operations[key]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return set(schemas[ref.rsplit("/", 1)[1]]["properties"])

    # Each body is this operation's own (no other schema of the same name replaced it).
    assert body_fields(("post", "/api/stp-plans")) == {"goal", "review_date", "segments", "targets"}
    assert body_fields(("patch", "/api/stp-plans/{plan_id}")) == body_fields(
        ("post", "/api/stp-plans")
    )
    assert body_fields(("post", "/api/clustering-runs/{run_id}/segments")) == {"labels"}
    assert "403" in operations[("post", "/api/clustering-runs")]["responses"]
    assert "409" in operations[("post", "/api/clustering-runs")]["responses"]


def test_money_is_in_the_books_currency(cast: Cast, api_as: Any) -> None:
    """The evaluation adds amounts as numbers (Decimal order amounts become floats)."""
    segment = make_segment(cast.dora, "Steel", rule(one_of("industry", "manufacturing")))
    order(cast.alice_steel, 5, "1234.56")
    [shown] = ok(api_as(cast.dora).get("/api/segments/evaluation"))["segments"]
    assert shown["segment_id"] == segment.pk
    assert Decimal(str(shown["revenue_12m"])) == Decimal("1234.56")
