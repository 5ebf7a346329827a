"""The ticket pages: the list with its filters (htmx), the export, recording a ticket from
the list and from an account page, the ticket page's clocks, the account page's section
(lazy, with a fixed query budget) and the main navigation."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.insights.services import set_tier_override
from kam.service.models import Ticket
from kam.service.tickets import act, create_ticket
from tests.conftest import Cast
from tests.web.conftest import client_for

HOUR = dt.timedelta(hours=1)


def aged(ticket: Ticket, hours: float) -> Ticket:
    """Move the ticket's recording `hours` into the past, around the clock, and refresh
    its due moments (a 24×7 policy keeps the arithmetic simple)."""
    from kam.service.sla import refresh_due

    ticket.created_at = timezone.now() - dt.timedelta(hours=hours)
    refresh_due(ticket, pauses=[])
    ticket.save()
    return ticket


@pytest.fixture
def book(cast: Cast) -> dict[str, Ticket]:
    from kam.service.models import ServicePolicy

    ServicePolicy.objects.update(clock="always")
    set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="diamond", reason="top")
    fresh = create_ticket(
        actor=cast.alice,
        account=cast.alice_steel,
        values={"subject": "Fresh request", "priority": "low"},
    )
    risky = aged(
        create_ticket(
            actor=cast.alice,
            account=cast.alice_steel,
            values={"subject": "Risky complaint", "kind": "complaint", "priority": "urgent"},
        ),
        0.8,  # 48 of 60 minutes
    )
    late = aged(
        create_ticket(
            actor=cast.alice, account=cast.alice_steel, values={"subject": "Late request"}
        ),
        2,  # an hour overdue
    )
    done = create_ticket(
        actor=cast.alice, account=cast.alice_steel, values={"subject": "Finished item"}
    )
    act(actor=cast.alice, ticket=done, action="resolve", resolution="ok")
    bobs = create_ticket(actor=cast.bob, account=cast.shared_telecom, values={"subject": "Bob's"})
    return {"fresh": fresh, "risky": risky, "late": late, "done": done, "bobs": bobs}


def shown(response: Any) -> list[str]:
    return [t.subject for t in response.context["page"].object_list]


@pytest.mark.parametrize(
    "params, subjects",
    [
        ({}, ["Bob's", "Finished item", "Fresh request", "Risky complaint", "Late request"]),
        ({"sla": "at_risk"}, ["Risky complaint"]),
        ({"sla": "breached"}, ["Late request"]),
        ({"sla": "on_track"}, ["Bob's", "Fresh request"]),
        ({"sla": "met"}, ["Finished item"]),
        ({"status": "open", "kind": "complaint"}, ["Risky complaint"]),
        ({"status": "resolved"}, ["Finished item"]),
        ({"priority": "urgent"}, ["Risky complaint"]),
        ({"q": "late"}, ["Late request"]),
        ({"owner": "bob"}, ["Bob's"]),
        (
            {"mine": "on", "sort": "priority"},
            ["Fresh request", "Late request", "Finished item", "Risky complaint"],
        ),
        (
            {"status": "open", "sort": "due"},
            ["Late request", "Risky complaint", "Fresh request", "Bob's"],
        ),
    ],
)
def test_the_list_filters(
    cast: Cast, book: dict[str, Ticket], params: dict[str, str], subjects: list[str]
) -> None:
    response = client_for(cast.alice).get("/tickets/", params)
    assert response.status_code == 200
    assert shown(response) == subjects


def test_the_list_answers_htmx_with_the_results_only_and_colours_the_clocks(
    cast: Cast, book: dict[str, Ticket]
) -> None:
    client = client_for(cast.alice)
    part = client.get("/tickets/", {"sla": "breached"}, headers={"HX-Request": "true"})
    html = part.content.decode()
    assert "<html" not in html and "Late request" in html
    assert 'class="sla sla-breached"' in html and "overdue" in html
    page = client.get("/tickets/").content.decode()
    assert "sla-at_risk" in page and "<html" in page


def test_the_export_has_the_filtered_tickets_with_their_clocks(
    cast: Cast, book: dict[str, Ticket]
) -> None:
    client = client_for(cast.alice)
    text = client.get("/tickets/export/", {"format": "csv", "sla": "breached"}).content
    lines = text.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("number,account,account_external_id,kind")
    assert len(lines) == 2 and "Late request" in lines[1] and "breached" in lines[1]
    book_ = load_workbook(io.BytesIO(client.get("/tickets/export/", {"format": "xlsx"}).content))
    rows = list(book_.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert len(rows) == 1 + 5
    header = rows[0]
    states = {row[header.index("subject")]: row[header.index("response_state")] for row in rows[1:]}
    assert states["Risky complaint"] == "at_risk" and states["Finished item"] == "met"


def test_a_ticket_is_recorded_from_the_account_page(cast: Cast) -> None:
    Contact.objects.create(account=cast.alice_steel, name="Wang Wei", external_id="C-9")
    client = client_for(cast.alice)
    account = cast.alice_steel
    form = client.get("/tickets/new/", {"account": account.pk}).content.decode()
    assert f'<option value="{account.pk}" selected>' in form
    assert "Wang Wei" in form  # its contacts are offered
    options = client.get("/tickets/new/contacts/", {"account": cast.shared_telecom.pk})
    assert "Wang Wei" not in options.content.decode()
    contact = Contact.objects.get(name="Wang Wei")
    response = client.post(
        f"/tickets/new/?account={account.pk}",
        {
            "account": account.pk,
            "contact": contact.pk,
            "kind": "complaint",
            "category": "product_quality",
            "priority": "high",
            "channel": "visit",
            "subject": "Coating peels off",
            "description": "Batch 2026-11 from line 3.",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert (ticket.owner, ticket.contact, ticket.channel, ticket.tier) == (
        cast.alice,
        contact,
        "visit",
        "basic",
    )
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Coating peels off" in page and 'data-clock="response"' in page
    assert "48 h" in page  # basic: first response within 48 working hours


def test_the_new_ticket_form_says_what_is_missing(cast: Cast) -> None:
    client = client_for(cast.alice)
    base = {"kind": "request", "category": "other", "priority": "normal", "channel": "phone"}
    no_account = client.post("/tickets/new/", {**base, "subject": "x"})
    assert "Choose the customer&#x27;s account." in no_account.content.decode()
    no_subject = client.post("/tickets/new/", {**base, "account": cast.alice_steel.pk})
    assert "expected what it is about" in no_subject.content.decode()
    other = Contact.objects.create(account=cast.bob_mining, name="Zhao")
    wrong = client.post(
        "/tickets/new/",
        {**base, "account": cast.alice_steel.pk, "subject": "x", "contact": other.pk},
    )
    assert "expected one of its contacts" in wrong.content.decode()
    assert Ticket.objects.count() == 0


def test_the_account_page_loads_its_ticket_section(cast: Cast, book: dict[str, Ticket]) -> None:
    client = client_for(cast.alice)
    account_page = client.get(cast.alice_steel.get_absolute_url()).content.decode()
    assert f'hx-get="/tickets/account/{cast.alice_steel.pk}/"' in account_page
    section = client.get(f"/tickets/account/{cast.alice_steel.pk}/").content.decode()
    assert "Late request" in section and "Risky complaint" in section
    assert "Finished item" not in section  # open tickets only
    assert "All 4 tickets" in section
    assert f"/tickets/new/?account={cast.alice_steel.pk}" in section


SECTION_BUDGET = 10  # session, user, account, tickets, pauses, calendar ×2, count, …


def test_the_account_section_costs_the_same_for_few_or_many_tickets(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    client = client_for(cast.alice)
    url = f"/tickets/account/{cast.alice_steel.pk}/"

    def count() -> int:
        with django_assert_max_num_queries(SECTION_BUDGET) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for number in range(3):
        create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": f"#{number}"})
    few = count()
    for number in range(12):
        ticket = create_ticket(
            actor=cast.alice, account=cast.alice_steel, values={"subject": f"more {number}"}
        )
        act(actor=cast.alice, ticket=ticket, action="wait")
    assert count() == few


def test_the_main_navigation_links_the_tickets(cast: Cast) -> None:
    page = client_for(cast.alice).get("/tickets/").content.decode()
    assert '<a href="/tickets/" aria-current="page">Tickets</a>' in page


def test_an_account_without_tickets_says_so(cast: Cast) -> None:
    account = Account.objects.create(name="Quiet Co", owner=cast.alice)
    section = client_for(cast.alice).get(f"/tickets/account/{account.pk}/").content.decode()
    assert "No open ticket." in section
