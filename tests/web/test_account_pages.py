"""The account list and the account page show only what the reader may see (PLAT-2,
DATA-1, DATA-2): an account manager their own and account-team accounts, a sales manager
the team's, a director, analyst and administrator everything; anything else is a 404."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kam.accounts.models import Account, AccountStatus
from tests.conftest import Cast
from tests.web.conftest import Archive, client_for

ALL = ["Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", ["Alice Steel Co., Ltd.", "Shared Telecom"]),
        ("tom", []),
        ("bob", ["Bob Mining", "Shared Telecom"]),
        ("mary", ["Alice Steel Co., Ltd."]),
        ("nick", ["Bob Mining", "Shared Telecom"]),
        ("dora", ALL),
        ("ann", ALL),
        ("root", ALL),
    ],
)
def test_it_lists_exactly_the_accounts_the_reader_may_see(
    cast: Cast, who: str, expected: list[str]
) -> None:
    response = client_for(getattr(cast, who)).get(reverse("accounts:list"))
    shown = sorted(a.name for a in response.context["page"].object_list)
    assert shown == expected
    page = response.content.decode()
    for name in set(ALL) - set(expected):
        assert name not in page


@pytest.mark.parametrize(
    ("who", "account", "status"),
    [
        ("alice", "alice_steel", 200),
        ("alice", "shared_telecom", 200),
        ("alice", "bob_mining", 404),
        ("tom", "alice_steel", 404),
        ("tom", "shared_telecom", 404),
        ("mary", "alice_steel", 200),
        ("mary", "shared_telecom", 404),
        ("nick", "shared_telecom", 200),
        ("dora", "bob_mining", 200),
        ("ann", "bob_mining", 200),
    ],
)
def test_it_opens_an_account_page_only_for_those_who_see_the_account(
    cast: Cast, who: str, account: str, status: int
) -> None:
    url = reverse("accounts:detail", args=[getattr(cast, account).pk])
    assert client_for(getattr(cast, who)).get(url).status_code == status


def test_it_answers_404_for_an_account_that_does_not_exist(cast: Cast) -> None:
    assert client_for(cast.dora).get(reverse("accounts:detail", args=[999999])).status_code == 404


def test_it_shows_the_buying_centre_transactions_and_payment_state(
    cast: Cast, archive: Archive
) -> None:
    page = client_for(cast.alice).get(cast.alice_steel.get_absolute_url()).content.decode()
    assert "Wang Wei" in page and "Li Na" in page  # the org chart
    assert "Economic buyer" in page and "Technical buyer" in page
    assert "Zhao Lei" not in page  # Bob Mining's contact
    assert "O-1" in page and "O-2" not in page
    assert "Overdue 10 days" in page
    assert "Paid 5 days late" in page


def test_it_shows_the_group_tree_with_roll_ups(cast: Cast, archive: Archive) -> None:
    branch = Account.objects.create(
        external_id="A-2",
        name="Alice Steel Wuxi Branch",
        owner=cast.alice,
        parent=cast.alice_steel,
        hierarchy_level="branch",
    )
    response = client_for(cast.alice).get(branch.get_absolute_url())
    assert response.context["ancestors"] == [cast.alice_steel]
    tree = response.context["tree"]
    assert tree.account == cast.alice_steel
    assert [child.account for child in tree.children] == [branch]
    assert tree.total_orders == 1
    page = response.content.decode()
    assert "Group hierarchy" in page and "Alice Steel Wuxi Branch" in page


def test_it_shows_likely_duplicates(cast: Cast) -> None:
    twin = Account.objects.create(external_id="A-9", name="ALICE STEEL", owner=cast.alice)
    page = client_for(cast.alice).get(twin.get_absolute_url()).content.decode()
    assert "Likely duplicates" in page
    assert "Alice Steel Co., Ltd." in page


def test_it_filters_searches_and_sorts_the_list(cast: Cast) -> None:
    client = client_for(cast.dora)
    url = reverse("accounts:list")

    def names(**params: str) -> list[str]:
        return [a.name for a in client.get(url, params).context["page"].object_list]

    assert names(q="taiyuan") == ["Bob Mining"]  # city
    assert names(q="B-2") == ["Shared Telecom"]  # external id
    assert names(industry="telecom") == ["Shared Telecom"]
    assert names(region="east") == ["Alice Steel Co., Ltd."]
    assert names(owner="bob") == ["Bob Mining", "Shared Telecom"]
    assert names(ownership_type="state_owned") == ["Alice Steel Co., Ltd."]
    Account.objects.filter(pk=cast.bob_mining.pk).update(status=AccountStatus.DORMANT)
    assert names(status="dormant") == ["Bob Mining"]
    assert names(sort="-name") == ["Shared Telecom", "Bob Mining", "Alice Steel Co., Ltd."]
    assert names(sort="province") == ["Shared Telecom", "Alice Steel Co., Ltd.", "Bob Mining"]


def test_it_answers_an_htmx_filter_with_the_results_only(cast: Cast) -> None:
    response = client_for(cast.dora).get(
        reverse("accounts:list"), {"q": "mining"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "Bob Mining" in page and "Shared Telecom" not in page


def test_it_pages_the_list(cast: Cast, settings: object) -> None:
    for number in range(12):
        Account.objects.create(
            external_id=f"X-{number:02d}", name=f"Extra {number:02d}", owner=cast.alice
        )
    settings.KAM_PAGE_SIZE = 5  # type: ignore[attr-defined]
    page = client_for(cast.alice).get(reverse("accounts:list"), {"page": 3}).context["page"]
    assert page.number == 3
    assert page.paginator.count == 14
    assert len(page.object_list) == 4


def test_it_exports_the_filtered_list_as_csv(cast: Cast) -> None:
    response = client_for(cast.nick).get(
        reverse("accounts:export"), {"format": "csv", "q": "telecom"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["external_id"] for r in rows] == ["B-2"]


@pytest.mark.parametrize(("who", "expected"), [("alice", ["A-1", "B-2"]), ("tom", [])])
def test_it_exports_only_visible_accounts_as_xlsx(
    cast: Cast, who: str, expected: list[str]
) -> None:
    response = client_for(getattr(cast, who)).get(reverse("accounts:export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == expected
