"""A real browser (Debian's chromium): an account manager opens the buying-centre map of
an account with known gaps and sees them listed, then the account page, whose relationship
section loads after the page (htmx) with the same gaps, and logs a call from it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kam.relations.models import Activity
from tests.conftest import Cast
from tests.relations.conftest import Centre

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def log_in(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    return page


def test_it_shows_the_gaps_of_the_buying_centre(
    transactional_db: None, live_server: object, cast: Cast, centre: Centre, browser: Browser
) -> None:
    base = str(live_server)
    page = log_in(browser, f"{base}/relations/accounts/{cast.alice_steel.pk}/map/", "alice")
    gaps = page.locator("[data-gaps]")
    expect(gaps).to_contain_text("no coach")
    expect(gaps).to_contain_text("user buyer never met")
    expect(gaps).to_contain_text("technical buyer only neutral")
    expect(page.locator('[data-score="coverage"]')).to_contain_text("34")
    expect(page.locator(f'[data-contact="{centre.boss.pk}"]')).to_contain_text(
        "1 meeting in 12 months"
    )

    page.goto(f"{base}{cast.alice_steel.get_absolute_url()}")
    section = page.locator("#relationship")
    expect(section.locator("[data-gaps]")).to_contain_text("no coach")  # loaded by htmx
    activities = page.locator("#activities")
    expect(activities).to_contain_text("Quarterly review")
    activities.get_by_text("Log an activity").click()
    activities.locator("select[name=kind]").select_option("call")
    activities.locator("input[name=subject]").fill("Call about the coach")
    activities.get_by_role("button", name="Log").click()
    expect(activities).to_contain_text("Activity “Call about the coach” logged.")
    assert Activity.objects.filter(subject="Call about the coach", owner=cast.alice).exists()
