"""The satisfaction results (SVC-3) on hand-made answers: answers, response rate, CSAT
average and share satisfied, NPS — in total, by tier, by owner and by month; the filters;
the low scores with their follow-ups; the export; the page, its query budget and the
account page's section. Only the accounts the user sees count.

The book, January to March 2026 (Alice Steel diamond/alice, Bob Mining core/bob, Shared
Telecom no tier = basic/bob, where Alice is on the team):

    day     account         kind          CSAT NPS
    01-10   Alice Steel     ticket         5   10
    01-20   Alice Steel     relationship   4    9
    02-05   Alice Steel     relationship   2    3   low
    02-10   Shared Telecom  relationship   5   10
    03-03   Bob Mining      ticket         3    7
    03-04   Bob Mining      relationship   —    6   low
    (2025-12-31 Alice Steel, CSAT 1: before the period)

Every answer was asked the day before; also asked and not answered: Alice Steel 02-01,
Bob Mining 03-20; Bob Mining 03-10 was withdrawn (not counted as asked).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from kam.contacts.models import Contact
from kam.service.models import Survey, SurveyKind, SurveyRequest
from kam.service.survey_results import (
    EXPORT_HEADER,
    SatisfactionFilters,
    answer_rows,
    export_bytes,
    low_scores,
    satisfaction_results,
)
from kam.service.surveys import ensure_follow_up, new_token
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people

PERIOD = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 3, 31)}
QUERY = {"start": "2026-01-01", "end": "2026-03-31"}


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{text} 10:00"))


def asked(account: Any, day: str, kind: str = "relationship", **extra: Any) -> SurveyRequest:
    moment = at(day)
    return SurveyRequest.objects.create(
        kind=kind,
        account=account,
        token_hash=new_token()[1],
        created_at=moment,
        expires_at=moment + dt.timedelta(days=30),
        **extra,
    )


def answered(
    account: Any,
    day: str,
    kind: str,
    csat: int | None,
    nps: int | None,
    contact: Contact | None = None,
    comment: str = "",
) -> Survey:
    survey = Survey.objects.create(
        account=account,
        contact=contact,
        kind=kind,
        csat=csat,
        nps=nps,
        comment=comment,
        responded_at=at(day),
    )
    before = (at(day) - dt.timedelta(days=1)).date().isoformat()
    asked(account, before, kind, survey=survey, contact=contact)
    return survey


@pytest.fixture
def book(people: People) -> People:
    cast = people.cast
    steel, mining, telecom = cast.alice_steel, cast.bob_mining, cast.shared_telecom
    answered(steel, "2025-12-31", "relationship", 1, None)
    answered(steel, "2026-01-10", "ticket", 5, 10, people.wang, "响应很快")
    answered(steel, "2026-01-20", "relationship", 4, 9, people.li)
    low = answered(steel, "2026-02-05", "relationship", 2, 3, people.wang, "交货一再延期")
    answered(telecom, "2026-02-10", "relationship", 5, 10)
    answered(mining, "2026-03-03", "ticket", 3, 7, people.zhao)
    answered(mining, "2026-03-04", "relationship", None, 6, people.zhao, "价格偏高")
    asked(steel, "2026-02-01")
    asked(mining, "2026-03-10", cancelled_at=at("2026-03-11"))
    asked(mining, "2026-03-20")
    ensure_follow_up(low)
    return people


def figures(user: Any, **filters: Any) -> Any:
    return satisfaction_results(user, SatisfactionFilters(**PERIOD, **filters))


def test_the_totals(book: People) -> None:
    total = figures(book.cast.dora).total
    assert (total.answers, total.requested, total.answered) == (6, 8, 6)
    assert total.response_rate == pytest.approx(75.0)
    assert total.csat_avg == pytest.approx(19 / 5) and total.csat_count == 5
    assert total.satisfied_pct == pytest.approx(60.0)
    assert (total.promoters, total.passives, total.detractors) == (3, 1, 2)
    assert total.nps == pytest.approx(100 * (3 - 2) / 6)
    assert total.low == 2
    assert total.as_dict()["nps"] == 16.7 and total.as_dict()["response_rate"] == 75.0


def test_by_tier_by_owner_and_by_month(book: People) -> None:
    results = figures(book.cast.dora)
    tiers = {row.key: row.figures for row in results.by_tier}
    assert list(tiers) == ["diamond", "core", "basic"]
    assert (tiers["diamond"].answers, tiers["diamond"].requested) == (3, 4)
    assert tiers["diamond"].csat_avg == pytest.approx(11 / 3)
    assert tiers["diamond"].nps == pytest.approx(100 / 3)
    assert tiers["core"].nps == pytest.approx(-50.0) and tiers["core"].csat_avg == 3
    assert tiers["core"].response_rate == pytest.approx(200 / 3)
    assert tiers["basic"].nps == 100 and tiers["basic"].response_rate == 100

    owners = {row.key: row for row in results.by_owner}
    assert list(owners) == ["alice", "bob"]  # most answers first, then by name
    assert owners["bob"].figures.answers == 3 and owners["bob"].figures.nps == 0
    assert owners["bob"].figures.csat_avg == 4 and owners["alice"].figures.answers == 3

    months = {row.key: row.figures for row in results.by_month}
    assert list(months) == ["2026-01", "2026-02", "2026-03"]
    assert [m.answers for m in months.values()] == [2, 2, 2]
    assert [m.requested for m in months.values()] == [2, 3, 3]
    assert [m.nps for m in months.values()] == [100, 0, -50]
    assert [m.csat_avg for m in months.values()] == [4.5, 3.5, 3.0]


def test_the_filters(book: People) -> None:
    dora = book.cast.dora
    assert figures(dora, tier="core").total.answers == 2
    assert figures(dora, tier="core").total.requested == 3
    assert figures(dora, owner="alice").total.answers == 3
    assert figures(dora, kind=SurveyKind.TICKET).total.answers == 2
    assert figures(dora, kind=SurveyKind.TICKET).total.nps == 50  # 10 and 7
    assert figures(dora, q="mining").total.answers == 2
    january = satisfaction_results(
        dora, SatisfactionFilters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    )
    assert january.total.answers == 2 and len(january.by_month) == 1


def test_each_sees_only_their_accounts(book: People) -> None:
    cast = book.cast
    alice = figures(cast.alice).total  # Alice Steel and Shared Telecom (on the team)
    assert (alice.answers, alice.requested) == (4, 5)
    assert figures(cast.nick).total.answers == 3  # Bob's manager: Bob's two accounts
    assert figures(cast.tom).total.answers == 0  # Tom sees none of them


def test_the_low_scores_come_with_their_follow_ups(book: People) -> None:
    rows = low_scores(book.cast.dora, figures(book.cast.dora))
    assert [(r.account.name, r.csat, r.nps) for r in rows] == [
        ("Bob Mining", None, 6),
        ("Alice Steel Co., Ltd.", 2, 3),
    ]
    assert rows[0].follow_up is None  # made by hand above, without the follow-up
    assert rows[1].follow_up is not None and rows[1].follow_up.status == "planned"


def test_the_export_has_every_answer_in_csv_and_excel(book: People) -> None:
    dora = book.cast.dora
    rows = answer_rows(dora, figures(dora))
    data = export_bytes(rows, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese right
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(table[0]) == EXPORT_HEADER and len(table) == 6
    first = table[-1]  # oldest last
    assert (first["responded_at"], first["account"], first["csat"], first["nps"]) == (
        "2026-01-10 10:00",
        "Alice Steel Co., Ltd.",
        "5",
        "10",
    )
    assert (first["nps_group"], first["tier"], first["owner"], first["comment"]) == (
        "promoter",
        "diamond",
        "alice",
        "响应很快",
    )
    low = next(r for r in table if r["comment"] == "交货一再延期")
    assert (low["low_score"], low["follow_up_status"], low["follow_up_owner"]) == (
        "yes",
        "planned",
        "alice",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export_bytes(rows, "xlsx"))).active
    assert sheet is not None and sheet.max_row == 7
    assert [c.value for c in sheet[1]] == EXPORT_HEADER


def test_the_page_shows_the_figures_within_its_query_budget(
    book: People, django_assert_max_num_queries: Any
) -> None:
    client = client_for(book.cast.dora)
    url = reverse("service:satisfaction")
    with django_assert_max_num_queries(12):  # 10 now, whatever the number of answers
        page = client.get(url, QUERY)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-figure="nps"><span class="stat-value">17</span>' in html
    assert 'data-figure="response_rate"><span class="stat-value">75%</span>' in html
    assert 'data-figure="csat"><span class="stat-value">3.80</span>' in html
    assert "Response rate (6 of 8 asked)" in html
    assert 'id="by-month"' in html and "<svg" in html and "<polyline" in html
    assert "交货一再延期" in html and "价格偏高" in html
    partial = client.get(url, QUERY, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    with django_assert_max_num_queries(8):  # the list of surveys asked: no query per row
        asked = client.get(reverse("service:survey_requests"))
    assert asked.context["page"].paginator.count == 10
    exported = client.get(reverse("service:satisfaction_export"), {**QUERY, "format": "xlsx"})
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    assert exported["Content-Disposition"].startswith('attachment; filename="satisfaction-')


def test_an_empty_period_says_so(book: People) -> None:
    page = client_for(book.cast.dora).get(
        reverse("service:satisfaction"), {"start": "2024-01-01", "end": "2024-02-01"}
    )
    assert "No survey was asked or answered in this period." in page.content.decode()


def test_the_account_section_shows_the_last_twelve_months(
    people: People, django_assert_max_num_queries: Any
) -> None:
    cast = people.cast
    steel = cast.alice_steel
    now = timezone.now()
    for days, csat, nps in ((400, 1, 0), (100, 4, 9), (30, 2, 6), (5, 5, 10)):
        Survey.objects.create(
            account=steel,
            kind="relationship",
            csat=csat,
            nps=nps,
            responded_at=now - dt.timedelta(days=days),
            contact=people.wang,
        )
    waiting = SurveyRequest.objects.create(
        kind="ticket",
        account=steel,
        contact=people.li,
        token_hash=new_token()[1],
        created_at=now,
        expires_at=now + dt.timedelta(days=30),
    )
    client = client_for(cast.alice)
    page = client.get(steel.get_absolute_url()).content.decode()
    section_url = reverse("service:account_satisfaction", args=[steel.pk])
    assert f'hx-get="{section_url}"' in page  # loaded after the page: no query more
    with django_assert_max_num_queries(9):  # 7 now
        section = client.get(section_url)
    html = section.content.decode()
    # The 400-day-old answer is outside the window: CSAT (4+2+5)/3, NPS (2 − 1)/3.
    assert 'data-figure="csat"><span class="stat-value">3.67</span>' in html
    assert 'data-figure="nps"><span class="stat-value">33</span>' in html
    assert f'data-request="{waiting.pk}"' in html and "Li Na" in html
