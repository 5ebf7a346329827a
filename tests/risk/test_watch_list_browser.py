"""A real browser (Debian's chromium) opens the watch list, filters it, and follows an
entry to the account page, where the same reasons are shown — in English and Chinese."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kam.risk.models import RiskRun
from tests.conftest import Cast
from tests.risk.conftest import CHURN_EN, CHURN_ZH, CREDIT_EN

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


def log_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/risk/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    return page


def test_it_opens_the_watch_list_and_an_entrys_reasons(
    transactional_db: None, live_server: object, checked: RiskRun, cast: Cast, browser: Browser
) -> None:
    base = str(live_server)
    page = log_in(browser, base, "dora")
    rows = page.locator("table.watch-list tbody tr")
    # Sorted by revenue at stake: Bob Mining (500,000) before Alice Steel (120,000).
    expect(rows.first).to_contain_text("Bob Mining")
    expect(rows.first).to_contain_text(CREDIT_EN)
    expect(page.locator("table.watch-list")).to_contain_text(CHURN_EN)

    page.get_by_role("link", name="Alice Steel Co., Ltd.").click()
    expect(page).to_have_url(f"{base}{cast.alice_steel.get_absolute_url()}#risk")
    expect(page.locator("#risk")).to_contain_text(CHURN_EN)

    page.goto(f"{base}/risk/")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("table.watch-list")).to_contain_text(CHURN_ZH)


def test_an_account_manager_sees_only_own_accounts_on_the_watch_list(
    transactional_db: None, live_server: object, checked: RiskRun, browser: Browser
) -> None:
    page = log_in(browser, str(live_server), "bob")
    table = page.locator("table.watch-list")
    expect(table).to_contain_text("Bob Mining")
    expect(table).not_to_contain_text("Alice Steel")
