"""The watch list page: accounts at risk by revenue at stake, filtered by risk, level,
tier and owner, each with its reasons in the page's language; exported as CSV or Excel;
directors check the risks now."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kam.insights.models import RunStatus
from kam.risk.models import RiskRun
from tests.conftest import Cast
from tests.risk.conftest import (
    CHURN_EN,
    CHURN_ZH,
    CREDIT_EN,
    CREDIT_ZH,
    ODD_EN,
    THIN_EN,
    THIN_ZH,
    FakeBridge,
)
from tests.web.conftest import client_for

URL = reverse("risk:watch_list")


def names(response: Any) -> list[str]:
    return [row.account.name for row in response.context["page"].object_list]


def test_it_lists_the_accounts_at_risk_by_revenue_at_stake(checked: RiskRun, risky: Cast) -> None:
    response = client_for(risky.dora).get(URL)

    assert response.status_code == 200
    assert names(response) == ["Bob Mining", "Shared Telecom", "Alice Steel Co., Ltd."]
    page = response.content.decode()
    for reason in (CHURN_EN, CREDIT_EN, THIN_EN, ODD_EN):
        assert reason.replace("'", "&#x27;") in page
    assert "3 accounts at risk" in page
    assert "Risks as of 2026-06-30" in page
    assert "no coach" not in page  # a low relationship severity is not a reason to watch


def test_it_sorts_by_churn_probability_with_the_unmeasured_last(
    checked: RiskRun, risky: Cast
) -> None:
    client = client_for(risky.dora)
    assert names(client.get(URL, {"sort": "-probability"})) == [
        "Alice Steel Co., Ltd.",
        "Bob Mining",
        "Shared Telecom",
    ]
    assert names(client.get(URL, {"sort": "probability"})) == [
        "Bob Mining",
        "Alice Steel Co., Ltd.",
        "Shared Telecom",
    ]
    assert names(client.get(URL, {"sort": "at_stake"}))[0] == "Alice Steel Co., Ltd."


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"risk_type": "churn"}, ["Alice Steel Co., Ltd."]),
        ({"risk_type": "credit"}, ["Bob Mining"]),
        ({"risk_type": "relationship"}, ["Shared Telecom"]),
        ({"risk_type": "anomaly"}, ["Shared Telecom"]),
        ({"level": "high"}, ["Bob Mining", "Alice Steel Co., Ltd."]),
        ({"level": "medium"}, ["Shared Telecom"]),
        ({"tier": "core"}, ["Alice Steel Co., Ltd."]),
        ({"owner": "bob"}, ["Bob Mining", "Shared Telecom"]),
        ({"owner": "alice", "risk_type": "credit"}, []),
        ({"risk_type": "nonsense"}, ["Bob Mining", "Shared Telecom", "Alice Steel Co., Ltd."]),
    ],
)
def test_it_filters_the_watch_list(
    checked: RiskRun, risky: Cast, params: dict[str, str], expected: list[str]
) -> None:
    response = client_for(risky.dora).get(URL, params)
    assert response.status_code == 200
    assert names(response) == expected


def test_it_shows_only_a_type_s_own_reasons_in_chinese(checked: RiskRun, risky: Cast) -> None:
    client = client_for(risky.dora)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(URL, {"risk_type": "credit"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert CREDIT_ZH in text
    assert CREDIT_EN not in text
    everything = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for reason in (CHURN_ZH, THIN_ZH):
        assert reason in everything
    assert CHURN_EN not in everything


def test_htmx_filtering_gets_only_the_results(checked: RiskRun, risky: Cast) -> None:
    response = client_for(risky.dora).get(URL, {"risk_type": "churn"}, HTTP_HX_REQUEST="true")
    assert next(t.name for t in response.templates) == "risk/_results.html"


def test_it_says_when_there_is_no_risk_check_yet(risky: Cast) -> None:
    page = client_for(risky.dora).get(URL).content.decode()
    assert "No risk check yet." in page
    assert "The watch list fills after the first risk check" in page


def test_it_shows_the_list_before_a_failed_check(
    checked: RiskRun, risky: Cast, bridge: FakeBridge
) -> None:
    from kam.risk.services import check_risks

    bridge.fail = True
    check_risks(actor=risky.dora)

    response = client_for(risky.dora).get(URL)
    assert response.context["run"] == checked
    assert "The latest risk check" in response.content.decode()
    assert "the credit model blew up" in response.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_exports_the_filtered_watch_list(checked: RiskRun, risky: Cast, fmt: str) -> None:
    response = client_for(risky.dora).get(
        reverse("risk:export"), {"risk_type": "credit", "format": fmt, "page": "3"}
    )
    assert response.status_code == 200
    assert f'.{fmt}"' in response["Content-Disposition"]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = [dict(zip(header, row, strict=True)) for row in values]
    assert len(rows) == 1
    row = rows[0]
    assert (row["external_id"], row["account"], row["owner"]) == ("B-1", "Bob Mining", "bob")
    assert (row["tier"], row["risk_level"], row["risk_types"]) == ("diamond", "high", "credit")
    assert float(row["revenue_at_stake"]) == 500000.0
    assert row["reasons"] == CREDIT_EN
    assert row["as_of"] == "2026-06-30"


def test_the_export_has_the_reasons_in_the_page_s_language(checked: RiskRun, risky: Cast) -> None:
    response = client_for(risky.dora).get(
        reverse("risk:export"), {"risk_type": "churn"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["reasons"] for r in rows] == [CHURN_ZH]


def test_a_director_checks_the_risks_now(risky: Cast, bridge: FakeBridge) -> None:
    client = client_for(risky.dora)
    page = client.get(URL).content.decode()
    assert "Check risks now" in page
    assert f'action="{reverse("risk:run")}"' in page

    response = client.post(reverse("risk:run"), follow=True)

    run = RiskRun.objects.get()
    assert (run.status, run.actor, run.trigger) == (RunStatus.QUEUED, risky.dora, "request")
    page = response.content.decode()
    assert "Risk check queued" in page
    assert f'hx-get="{reverse("risk:run_status", args=[run.pk])}"' in page

    again = client.post(reverse("risk:run"), follow=True).content.decode()
    assert "A risk check is already queued" in again
    assert RiskRun.objects.count() == 1


def test_the_status_panel_says_how_the_run_went(checked: RiskRun, risky: Cast) -> None:
    panel = client_for(risky.alice).get(reverse("risk:run_status", args=[checked.pk]))
    assert panel.status_code == 200
    assert "Checked 3 accounts; 3 are at risk." in panel.content.decode()
    assert "hx-get" not in panel.content.decode()


@pytest.mark.parametrize("name", ["alice", "mary", "ann"])
def test_only_directors_may_check_the_risks(risky: Cast, name: str) -> None:
    client = client_for(getattr(risky, name))
    page = client.get(URL).content.decode()
    assert "Check risks now" not in page
    assert f'action="{reverse("risk:run")}"' not in page
    assert client.post(reverse("risk:run")).status_code == 403
    assert not RiskRun.objects.exists()


def test_the_watch_list_needs_a_login(checked: RiskRun) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert reverse("core:login") in response["Location"]


def test_the_navigation_links_to_the_watch_list(risky: Cast) -> None:
    page = client_for(risky.alice).get(reverse("accounts:list")).content.decode()
    assert f'href="{URL}"' in page
    assert "Watch list" in page
