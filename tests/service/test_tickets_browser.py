"""A real browser (Debian's chromium): an account manager logs a complaint for a diamond
account from its account page, sees its one-hour first-response clock, hands it over to a
colleague, and the colleague resolves and closes it; the customer's (low) satisfaction
answer is recorded on the ticket and shows on the satisfaction page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kam.insights.services import set_tier_override
from kam.service.models import EventKind, Survey, SurveyRequest, Ticket, TicketStatus
from tests.conftest import Cast

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = os.environ.get("KAM_SCREENSHOT_DIR", "")


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def snap(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)


def log_in(browser: Browser, base: str, username: str, path: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    return page


def test_a_complaint_is_logged_handed_over_and_resolved(
    transactional_db: None, live_server: object, cast: Cast, browser: Browser
) -> None:
    base = str(live_server)
    account = cast.alice_steel
    set_tier_override(actor=cast.dora, account=account, tier="diamond", reason="Top customer")

    alice = log_in(browser, base, "alice", account.get_absolute_url())
    section = alice.locator("#tickets")
    expect(section).to_contain_text("No open ticket.")  # loaded after the page (htmx)
    section.get_by_role("link", name="New ticket").click()
    expect(alice.locator("#id_account")).to_have_value(str(account.pk))
    alice.get_by_label("Complaint").check()
    alice.select_option("#id_category", "product_quality")
    alice.select_option("#id_priority", "high")
    alice.fill("#id_subject", "Coating peels off the rolled coils")
    alice.fill("#id_description", "Batch 2026-11, line 3: the customer sent photos.")
    snap(alice, "ticket-new")
    alice.get_by_role("button", name="Record the ticket").click()

    expect(alice.locator("h1")).to_have_text("Coating peels off the rolled coils")
    response = alice.locator('[data-clock="response"]')
    expect(response).to_contain_text("First response")
    expect(response).to_contain_text(re.compile(r"Target\s*1 h · business hours"))
    expect(alice.locator('[data-clock="resolution"]')).to_contain_text("8 h")
    expect(alice.locator("#owner")).to_contain_text("alice")
    snap(alice, "ticket-recorded")

    alice.select_option("#id_handover-owner", "tom")
    alice.fill("#id_handover-note", "Tom knows the coating line; please call Wang Wei.")
    alice.get_by_role("button", name="Hand over").click()
    expect(alice.locator(".messages")).to_contain_text("handed over to tom")
    expect(alice.locator("#owner")).to_contain_text("tom")
    expect(alice.locator("#history")).to_contain_text("Tom knows the coating line")
    expect(alice.locator('[data-action="resolve"]')).to_have_count(0)  # no longer hers
    ticket = Ticket.objects.get()

    tom = log_in(browser, base, "tom", ticket.get_absolute_url())
    expect(tom.locator("h1")).to_have_text("Coating peels off the rolled coils")
    tom.fill("#id_resolve-resolution", "Replaced the batch; root cause was the curing oven.")
    tom.get_by_role("button", name="Resolve").click()
    expect(tom.locator(".subtitle [data-status]")).to_have_text("Resolved")
    expect(tom.locator("#resolution")).to_contain_text("curing oven")
    expect(tom.locator('[data-clock="response"]')).to_contain_text(re.compile("Met|Missed"))
    snap(tom, "ticket-resolved")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.owner, ticket.recorded_by) == (
        TicketStatus.RESOLVED,
        cast.tom,
        cast.alice,
    )
    steps = list(ticket.events.values_list("kind", flat=True))
    assert steps == [
        EventKind.CREATED,
        EventKind.HANDED_OVER,
        EventKind.RESPONDED,
        EventKind.RESOLVED,
    ]

    # SVC-3: Tom closes it; the customer is asked how it went (the request shows on the
    # ticket), Alice, who owns the account, calls the customer and records the answer — a
    # low one, so a follow-up call is planned for her and it shows on the satisfaction page.
    tom.get_by_role("button", name="Close").click()
    expect(tom.locator(".subtitle [data-status]")).to_have_text("Closed")
    expect(tom.locator("#history")).to_contain_text("Satisfaction survey asked")
    alice.goto(f"{base}{ticket.get_absolute_url()}")
    survey = alice.locator("#survey")
    expect(survey).to_contain_text("Waiting for the answer")  # loaded after the page (htmx)
    survey.get_by_role("link", name="Record the customer's answer").click()
    alice.get_by_label("2 – dissatisfied").check()
    alice.locator('#question-nps input[value="5"]').check()
    alice.fill("#id_comment", "涂层问题拖了太久，影响了交货。")
    snap(alice, "survey-record")
    alice.get_by_role("button", name="Record the answer").click()
    expect(alice.locator(".messages")).to_contain_text("a follow-up call is planned")
    expect(alice.locator("#survey")).to_contain_text("CSAT 2")
    expect(alice.locator("#survey")).to_contain_text("NPS 5")
    expect(alice.locator("#survey")).to_contain_text("涂层问题拖了太久")
    expect(alice.locator("#history")).to_contain_text("Answer recorded by a colleague: CSAT 2")
    snap(alice, "survey-recorded")

    alice.goto(f"{base}/service/satisfaction/")
    expect(alice.locator('[data-figure="answers"] .stat-value')).to_have_text("1")
    expect(alice.locator('[data-figure="nps"] .stat-value')).to_have_text("-100")
    low = alice.locator("#low-scores")
    expect(low).to_contain_text("Alice Steel")
    expect(low).to_contain_text("Planned")
    snap(alice, "satisfaction")
    answer = Survey.objects.get()
    assert (answer.csat, answer.nps, answer.ticket, answer.recorded_by) == (
        2,
        5,
        ticket,
        cast.alice,
    )
    assert answer.follow_up is not None and answer.follow_up.owner == cast.alice
    assert SurveyRequest.objects.get(ticket=ticket).survey == answer
