"""`kam service check-sla` escalates now; `kam service tickets` lists what a user sees and
writes it to a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone
from openpyxl import load_workbook

from kam.notifications.models import Notification
from kam.service.models import EventKind, ServicePolicy, Ticket
from kam.service.sla import refresh_due
from kam.service.tickets import act, create_ticket
from tests.cli.conftest import kam  # noqa: F401 - the command, in this process
from tests.conftest import Cast


def overdue_ticket(cast: Cast) -> Ticket:
    ServicePolicy.objects.update(clock="always")
    ticket = create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": "Late"})
    # Basic, around the clock: 96 of 48 hours to respond, 96 of 120 to resolve.
    ticket.created_at = timezone.now() - dt.timedelta(days=4)
    refresh_due(ticket, pauses=[])
    ticket.save()
    return ticket


def test_check_sla_escalates_and_says_what_it_did(cast: Cast, kam: Any) -> None:  # noqa: F811
    ticket = overdue_ticket(cast)
    result = kam("service", "check-sla")
    assert result.exit_code == 0, result.output
    assert "Checked 1 open tickets: 4 escalations" in result.stdout
    assert ticket.events.filter(kind=EventKind.ESCALATED, clock="response").count() == 3
    assert ticket.events.filter(kind=EventKind.ESCALATED, clock="resolution").count() == 1
    assert Notification.objects.filter(recipient=cast.dora).count() == 1
    again = kam("service", "check-sla")
    assert "0 escalations, 0 notifications" in again.stdout


def test_tickets_lists_what_the_user_sees(cast: Cast, kam: Any, tmp_path: Path) -> None:  # noqa: F811
    overdue_ticket(cast)
    done = create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": "Done"})
    act(actor=cast.alice, ticket=done, action="resolve", resolution="ok")
    create_ticket(actor=cast.bob, account=cast.bob_mining, values={"subject": "Bob's own"})

    everything = kam("service", "tickets")  # as the first administrator
    assert everything.exit_code == 0, everything.output
    assert "Bob Mining" in everything.stdout and "(3)" in everything.stdout

    alice = kam("service", "tickets", "--open", "--as", "alice")
    assert alice.exit_code == 0, alice.output
    assert "Bob Mining" not in alice.stdout
    assert "breached" in alice.stdout and "(1)" in alice.stdout

    out = tmp_path / "tickets.xlsx"
    written = kam("service", "tickets", "--as", "alice", "--out", str(out))
    assert "Wrote 2 tickets" in written.stdout
    rows = list(load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "number" and len(rows) == 3
    csv_out = tmp_path / "tickets.csv"
    kam("service", "tickets", "--as", "bob", "--out", str(csv_out))
    text = csv_out.read_text(encoding="utf-8-sig")
    assert "Bob's own" in text and "Alice Steel" not in text


def test_tickets_refuses_a_bad_file_name(cast: Cast, kam: Any, tmp_path: Path) -> None:  # noqa: F811
    result = kam("service", "tickets", "--out", str(tmp_path / "tickets.pdf"))
    assert result.exit_code == 2
    assert "expected a file name ending in .csv or .xlsx" in result.output
