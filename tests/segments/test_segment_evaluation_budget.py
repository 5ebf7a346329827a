"""The evaluation, clusters, rules and STP pages cost a fixed number of queries, however
many segments they show (no N+1)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.segments.clustering import run_clustering, save_clusters
from kam.segments.models import Segment, Strategy
from kam.segments.stp import save_plan
from tests.segments.conftest import Book, between, make_segment, one_of, rule
from tests.web.conftest import client_for

# session, user, the segments, the frame's five (accounts, orders, run, scores, contacts),
# the segments for the picker, the unread notifications in the header
COMPARE_BUDGET = 10
# session, user, plan, its segments, its targets, strategies, the evaluation's six,
# the picker's segments, the history, the audit snapshot none (GET)
STP_BUDGET = 14
CLUSTERS_BUDGET = 5  # session, user, the run, its saved segments, unread notifications
RULES_BUDGET = 8  # session, user, the frame's five, the latest clustering run or none


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def segments(book: Book, n: int, start: int = 0) -> list[Segment]:
    return [
        make_segment(
            book.cast.dora,
            f"S{i}",
            rule(one_of("region", "north", "east"), between("orders_12m", i % 3)),
        )
        for i in range(start, start + n)
    ]


def test_the_comparison_page_costs_the_same_for_two_or_eight_segments(book: Book) -> None:
    client = client_for(book.cast.dora)
    segments(book, 2)
    few = queries(client, reverse("segments:evaluate_compare"))
    segments(book, 6, start=2)
    many = queries(client, reverse("segments:evaluate_compare"))
    assert few == many <= COMPARE_BUDGET


def test_the_stp_page_has_a_query_budget(book: Book) -> None:
    chosen = segments(book, 5)
    for s in chosen:
        Strategy.objects.create(segment=s, name=f"for {s.name}", owner=book.cast.dora)
    plan = save_plan(actor=book.cast.dora, goal="g", segments=chosen, targets=chosen[:3])
    assert queries(client_for(book.cast.dora), plan.get_absolute_url()) <= STP_BUDGET


def test_the_clusters_and_rules_pages_have_a_query_budget(book: Book) -> None:
    client = client_for(book.cast.dora)
    assert queries(client, reverse("segments:rules")) <= RULES_BUDGET
    assert queries(client, reverse("segments:clusters")) <= CLUSTERS_BUDGET


def test_the_clusters_page_after_a_run(book: Book) -> None:
    from kam.accounts.models import Account

    Account.objects.bulk_create(
        [
            Account(external_id=f"Q-{i}", name=f"Q {i}", owner=book.cast.tom, employees=i)
            for i in range(12)
        ]
    )
    run = run_clustering(actor=book.cast.dora)
    save_clusters(actor=book.cast.dora, run=run, labels=[1])
    assert queries(client_for(book.cast.dora), reverse("segments:clusters")) <= CLUSTERS_BUDGET
