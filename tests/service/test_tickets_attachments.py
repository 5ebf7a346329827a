"""Attachments: allowed types only (and the content must match the name), at most
KAM_UPLOAD_MAX_BYTES, the name made safe, stored under a random name in MEDIA_ROOT,
a history row for each; a refused file leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.dataio.records import RecordInvalid
from kam.service.models import EventKind, Ticket, TicketAttachment
from kam.service.tickets import add_attachment, create_ticket, safe_name
from tests.conftest import Cast
from tests.web.conftest import client_for

PDF = b"%PDF-1.7\n" + b"x" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 200


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ticket(cast: Cast, media: Path) -> Ticket:
    return create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": "Dents"})


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "name, content",
    [
        ("report.pdf", PDF),
        ("photo.PNG", PNG),
        ("notes.txt", "收货时外箱破损".encode()),
        ("lines.csv", b"sku,qty\nA-1,3\n"),
        ("logs.zip", b"PK\x03\x04" + b"x" * 50),
        ("claim.docx", b"PK\x03\x04" + b"x" * 50),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"x" * 50),
    ],
)
def test_allowed_files_are_kept(
    cast: Cast, ticket: Ticket, media: Path, name: str, content: bytes
) -> None:
    found = add_attachment(
        actor=cast.alice, ticket=ticket, upload=SimpleUploadedFile(name, content)
    )
    assert found.size == len(content)
    assert found.file.read() == content
    assert Path(found.file.path).is_relative_to(media)
    assert name.lower().split(".")[0] not in Path(found.file.name).name  # a random file name
    assert ticket.events.filter(kind=EventKind.ATTACHMENT_ADDED, note=found.name).exists()


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("setup.exe", b"MZ" + b"x" * 100, "not an allowed type"),
        ("script.js", b"alert(1)", "not an allowed type"),
        ("page.html", b"<html>", "not an allowed type"),
        ("invoice.pdf", b"MZ" + b"x" * 100, "does not hold what its name says"),
        ("photo.jpg", PDF, "does not hold what its name says"),
        ("data.txt", b"\x00\x01\x02binary", "does not hold what its name says"),
        ("empty.pdf", b"", "is empty"),
        ("noext", b"hello", "not an allowed type"),
    ],
)
def test_other_files_are_refused(
    cast: Cast, ticket: Ticket, media: Path, name: str, content: bytes, says: str
) -> None:
    with pytest.raises(RecordInvalid) as refused:
        add_attachment(actor=cast.alice, ticket=ticket, upload=SimpleUploadedFile(name, content))
    assert says in refused.value.by_field()["file"]
    assert TicketAttachment.objects.count() == 0
    assert stored(media) == []


def test_a_file_over_the_limit_is_refused(
    cast: Cast, ticket: Ticket, media: Path, settings: Any
) -> None:
    settings.KAM_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(RecordInvalid) as refused:
        add_attachment(
            actor=cast.alice, ticket=ticket, upload=SimpleUploadedFile("big.pdf", PDF + b"x" * 1000)
        )
    assert "expected at most 1,000 bytes" in refused.value.by_field()["file"]
    assert stored(media) == []


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\wang\\发票 2026.PDF", "发票 2026.pdf"),
        ('a<b>:"c|d?*.png', "a_b___c_d__.png"),
        ("line\nbreak\x00.txt", "line_break_.txt"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
        (".pdf", "file.pdf"),
        ("...", "file"),
    ],
)
def test_names_are_made_safe(raw: str, safe: str) -> None:
    assert safe_name(raw) == safe


def test_the_page_attaches_and_refuses_with_a_message(
    cast: Cast, ticket: Ticket, media: Path
) -> None:
    client = client_for(cast.tom)  # Tom does not see the account: 404
    assert client.post(f"/tickets/{ticket.pk}/attach/", {}).status_code == 404
    client = client_for(cast.alice)
    refused = client.post(
        f"/tickets/{ticket.pk}/attach/",
        {"attach-file": SimpleUploadedFile("virus.exe", b"MZ" + b"x" * 10)},
    )
    assert refused.status_code == 422
    assert (
        "virus.exe" in refused.content.decode()
        and "not an allowed type" in refused.content.decode()
    )
    empty = client.post(f"/tickets/{ticket.pk}/attach/", {})
    assert empty.status_code == 422
    done = client.post(
        f"/tickets/{ticket.pk}/attach/",
        {"attach-file": SimpleUploadedFile("../evil/报告.pdf", PDF)},
    )
    assert done.status_code == 302
    assert ticket.attachments.get().name == "报告.pdf"
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "报告.pdf" in page


def test_a_file_can_come_with_a_new_ticket_and_a_bad_one_records_nothing(
    cast: Cast, media: Path
) -> None:
    client = client_for(cast.alice)
    data = {
        "account": cast.alice_steel.pk,
        "kind": "complaint",
        "category": "product_quality",
        "priority": "high",
        "channel": "email",
        "subject": "Scratched panels",
    }
    bad = client.post("/tickets/new/", {**data, "file": SimpleUploadedFile("a.exe", b"MZ")})
    assert bad.status_code == 200 and "not an allowed type" in bad.content.decode()
    assert Ticket.objects.count() == 0
    good = client.post("/tickets/new/", {**data, "file": SimpleUploadedFile("a.png", PNG)})
    assert good.status_code == 302
    assert Ticket.objects.get().attachments.get().name == "a.png"


def test_the_api_attaches_a_file_and_gives_it_back(cast: Cast, ticket: Ticket, media: Path) -> None:
    from kam.core.tokens import issue_token
    from tests.api.conftest import ApiClient

    alice = ApiClient(issue_token(user=cast.alice, name="tests"))
    url = f"/api/tickets/{ticket.pk}/attachments"

    answer = alice.client.post(
        url, {"file": SimpleUploadedFile("report.pdf", PDF)}, headers=alice.headers
    )

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["size"], body["content_type"]) == (
        "report.pdf",
        len(PDF),
        "application/pdf",
    )
    assert ticket.events.filter(kind=EventKind.ATTACHMENT_ADDED).count() == 1
    got = alice.get(f"{url}/{body['id']}")
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF
    assert got["Content-Type"] == "application/pdf"
    assert got["X-Content-Type-Options"] == "nosniff"
    listed = alice.get(f"/api/tickets/{ticket.pk}").json()["attachments"]
    assert [a["id"] for a in listed] == [body["id"]]


def test_the_api_refuses_a_disguised_file_and_outsiders(
    cast: Cast, ticket: Ticket, media: Path
) -> None:
    from kam.core.tokens import issue_token
    from tests.api.conftest import ApiClient

    alice = ApiClient(issue_token(user=cast.alice, name="tests"))
    bob = ApiClient(issue_token(user=cast.bob, name="tests"))
    url = f"/api/tickets/{ticket.pk}/attachments"

    fake = alice.client.post(
        url, {"file": SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00")}, headers=alice.headers
    )
    assert fake.status_code == 422
    assert "file" in fake.content.decode()
    outsider = bob.client.post(
        url, {"file": SimpleUploadedFile("report.pdf", PDF)}, headers=bob.headers
    )
    assert outsider.status_code == 404
    assert TicketAttachment.objects.count() == 0
    assert stored(media) == []
    kept = add_attachment(actor=cast.alice, ticket=ticket, upload=SimpleUploadedFile("a.pdf", PDF))
    assert bob.get(f"{url}/{kept.pk}").status_code == 404
