"""The import page (DATA-5): check a file without writing, import it for real, the
row-by-row problem report, the size and type limits; the export page gives each user
their visible rows."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kam.accounts.models import Account
from tests.conftest import Cast
from tests.web.conftest import Archive, client_for

GOOD = (
    "客户编号,客户名称,行业,城市\n"
    "N-1,Nanjing Glass,manufacturing,Nanjing\n"
    "N-2,宁波港务,logistics,宁波\n"
)
BAD = "external_id,name,employees\nN-1,Nanjing Glass,lots\nN-2,,10\n"


def upload(client: Client, text: str, *, action: str, name: str = "accounts.csv", **extra: str):  # type: ignore[no-untyped-def]
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    data = {"kind": "accounts", "file": file, "action": action, **extra}
    return client.post(reverse("dataio:import"), data)


def test_it_checks_a_file_without_writing(cast: Cast) -> None:
    response = upload(client_for(cast.alice), GOOD, action="check")
    report = response.context["report"]
    assert report.ok and report.dry_run
    assert "accounts.csv: 2 row(s) — would create 2" in response.content.decode()
    assert not Account.objects.filter(external_id__in=["N-1", "N-2"]).exists()


def test_it_imports_a_clean_file(cast: Cast) -> None:
    response = upload(client_for(cast.alice), GOOD, action="import")
    assert response.context["report"].created == 2
    assert Account.objects.get(external_id="N-2").name == "宁波港务"
    assert Account.objects.get(external_id="N-1").owner == cast.alice


def test_it_lists_every_problem_and_writes_nothing(cast: Cast) -> None:
    response = upload(client_for(cast.alice), BAD, action="import")
    page = response.content.decode()
    assert "2 problem(s) in 2 row(s); nothing was written" in page
    assert "row 2, column employees: not a whole number (got &#x27;lots&#x27;" in page
    assert "row 3, column name: missing value" in page
    assert not Account.objects.filter(external_id="N-1").exists()


def test_it_maps_an_unknown_header_to_a_field(cast: Cast) -> None:
    text = "external_id,全称\nN-7,Hefei Chips\n"
    response = upload(client_for(cast.alice), text, action="import", mapping="全称 = name")
    assert response.context["report"].ok
    assert Account.objects.get(external_id="N-7").name == "Hefei Chips"


def test_it_refuses_a_file_that_is_not_csv_or_xlsx(cast: Cast) -> None:
    response = upload(client_for(cast.alice), GOOD, action="check", name="accounts.pdf")
    assert "is not a .csv or .xlsx file" in response.context["form"].errors["file"][0]
    assert response.context["report"] is None


def test_it_refuses_a_file_over_the_size_limit(cast: Cast, settings: object) -> None:
    settings.KAM_UPLOAD_MAX_BYTES = 20  # type: ignore[attr-defined]
    response = upload(client_for(cast.alice), GOOD, action="import")
    assert "files of at most 20" in response.context["form"].errors["file"][0]
    assert not Account.objects.filter(external_id="N-1").exists()


def test_it_reports_an_account_the_importer_cannot_change(cast: Cast) -> None:
    text = "external_id,name\nB-1,Taken Over Mining\n"
    response = upload(client_for(cast.alice), text, action="import")
    assert "belongs to a record you cannot change" in response.content.decode()
    assert Account.objects.get(external_id="B-1").name == "Bob Mining"


def test_it_gives_each_user_their_visible_rows_on_the_export_page(
    cast: Cast, archive: Archive
) -> None:
    page = client_for(cast.alice).get(reverse("dataio:export"))
    assert page.status_code == 200 and page.context["form"].is_bound is False
    for who, expected in (("alice", ["O-1"]), ("bob", ["O-2"]), ("ann", ["O-1", "O-2"])):
        response = client_for(getattr(cast, who)).get(
            reverse("dataio:export"), {"kind": "transactions", "format": "csv"}
        )
        assert response["Content-Disposition"].startswith('attachment; filename="transactions-')
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert sorted(r["external_id"] for r in rows) == expected


def test_it_lets_an_analyst_export_but_not_import(cast: Cast) -> None:
    client = client_for(cast.ann)
    response = client.get(reverse("dataio:export"), {"kind": "accounts", "format": "xlsx"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"  # a zip container: the workbook
    assert upload(client, GOOD, action="import").status_code == 403
    assert not Account.objects.filter(external_id="N-1").exists()
