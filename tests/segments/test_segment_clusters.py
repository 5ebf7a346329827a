"""Data-driven segments (SEG-2): k-means over the whole book, saved clusters as segments
whose members are the stored result; the rules that reproduce tiers and clusters (VAL-5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kam.accounts.models import Account, Industry
from kam.core.models import AuditEvent
from kam.insights.models import AccountScore
from kam.segments.clustering import label_rules, run_clustering, save_clusters
from kam.segments.models import ClusteringRun, ClusterMember, Segment, SegmentKind
from kam.segments.services import segment_members, segment_stats
from tests.conftest import Cast
from tests.segments.conftest import new_run, order
from tests.web.conftest import client_for


@pytest.fixture
def two_kinds(cast: Cast) -> list[Account]:
    """24 accounts of Tom's: 12 large energy buyers (diamond/core), 12 small IT ones
    (basic), with scores of a successful run."""
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


def test_it_finds_clusters_and_saves_them_as_segments(cast: Cast, two_kinds: list[Account]) -> None:
    run = run_clustering(actor=cast.dora)
    assert run.k >= 2 and run.account_count == 27  # the cast's three accounts too
    assert run.curve and run.profiles[0]["en"] and run.profiles[0]["zh"]
    assert ClusterMember.objects.filter(run=run).count() == 27
    [segment] = save_clusters(actor=cast.dora, run=run, labels=[1])
    assert segment.kind == SegmentKind.CLUSTER and segment.cluster_label == 1
    stored = set(
        ClusterMember.objects.filter(run=run, label=1).values_list("account_id", flat=True)
    )
    assert set(segment_members(segment, cast.dora).values_list("pk", flat=True)) == stored
    assert {a.pk for a in two_kinds[:12]} <= stored  # the big buyers have the most revenue
    # Alice sees none of Tom's accounts: the members she sees are hers only.
    assert set(segment_members(segment, cast.alice).values_list("pk", flat=True)) <= {
        cast.alice_steel.pk,
        cast.shared_telecom.pk,
    }
    assert segment_stats(cast.dora, [segment])[segment.pk].members == len(stored)
    assert AuditEvent.objects.filter(object_type="segment", object_id=segment.pk).exists()
    # Saving the same cluster again makes nothing new.
    assert save_clusters(actor=cast.dora, run=run, labels=[1]) == []


def test_a_cluster_segment_keeps_its_members_when_its_name_changes(
    cast: Cast, two_kinds: list[Account]
) -> None:
    from kam.segments.services import clean_segment, save_segment

    run = run_clustering(actor=cast.dora)
    [segment] = save_clusters(actor=cast.dora, run=run, labels=[2])
    before = set(segment_members(segment, cast.dora).values_list("pk", flat=True))
    values = clean_segment({"name": "Small IT"}, actor=cast.dora, segment=segment)
    save_segment(actor=cast.dora, values=values, segment=segment)
    segment.refresh_from_db()
    assert segment.name == "Small IT"
    assert set(segment_members(segment, cast.dora).values_list("pk", flat=True)) == before


def test_only_directors_find_clusters(cast: Cast, two_kinds: list[Account]) -> None:
    with pytest.raises(PermissionDenied):
        run_clustering(actor=cast.mary)
    assert client_for(cast.mary).post(reverse("segments:clusters")).status_code == 403
    assert client_for(cast.alice).get(reverse("segments:clusters")).status_code == 200


def test_the_clusters_page_shows_the_curve_and_saves(cast: Cast, two_kinds: list[Account]) -> None:
    client = client_for(cast.dora)
    assert client.post(reverse("segments:clusters")).status_code == 302
    page = client.get(reverse("segments:clusters")).content.decode()
    assert "<polyline" in page and 'name="labels"' in page
    latest = ClusteringRun.objects.get()
    saved = client.post(reverse("segments:clusters_save", args=[latest.pk]), {"labels": ["1", "2"]})
    assert saved.status_code == 302
    assert Segment.objects.filter(kind=SegmentKind.CLUSTER).count() == 2
    assert client.get(reverse("segments:list")).status_code == 200


def test_the_rules_page_shows_rules_that_reproduce_the_tiers(
    cast: Cast, two_kinds: list[Account]
) -> None:
    result = label_rules(cast.dora, "tiers")
    assert result.rules and result.training_accuracy is not None
    assert any(rule["text"].startswith("IF ") for rule in result.rules)
    page = client_for(cast.dora).get(reverse("segments:rules") + "?of=tiers").content.decode()
    assert "IF " in page and "THEN" in page


def test_the_rules_of_the_clusters(cast: Cast, two_kinds: list[Account]) -> None:
    run_clustering(actor=cast.dora)
    result = label_rules(cast.dora, "clusters")
    assert result.kind == "clusters" and result.rules
    assert "cluster" in " ".join(r["text"] for r in result.rules)


def test_rules_need_two_labels(cast: Cast) -> None:
    assert label_rules(cast.alice, "tiers").problem


def test_the_find_runs_within_seconds_on_two_thousand_accounts(cast: Cast) -> None:
    """The demo book's size: the page runs k-means in the request."""
    import time

    Account.objects.bulk_create(
        [
            Account(
                external_id=f"D-{i}",
                name=f"Demo {i}",
                owner=cast.tom,
                industry=[Industry.ENERGY, Industry.IT, Industry.FOOD][i % 3],
                employees=10 + (i * 37) % 5000,
                annual_revenue=Decimal(1000 + i),
            )
            for i in range(2000)
        ]
    )
    started = time.monotonic()
    run = run_clustering(actor=cast.dora)
    assert run.account_count == 2003
    assert time.monotonic() - started < 20  # generous for CI; typically a few seconds
