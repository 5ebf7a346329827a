"""A real browser (Debian's chromium through Playwright) walks the main path: log in,
filter the account list with htmx, open an account, switch the language to Chinese."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

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
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes around it are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def snap(page: Page, name: str) -> None:
    """Screenshots only when asked for (KAM_SCREENSHOT_DIR): to look at the layout."""
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)


def test_it_logs_in_filters_opens_an_account_and_speaks_chinese(
    transactional_db: None, live_server: object, cast: Cast, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    base = str(live_server)

    page.goto(f"{base}/accounts/")
    expect(page).to_have_url(f"{base}/login/?next=/accounts/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()

    results = page.locator("#results")
    expect(results).to_contain_text("Alice Steel Co., Ltd.")
    expect(results).to_contain_text("Shared Telecom")
    expect(results).not_to_contain_text("Bob Mining")
    snap(page, "accounts-en")

    page.fill("#id_q", "telecom")  # htmx swaps the results in place
    expect(results).not_to_contain_text("Alice Steel Co., Ltd.")
    expect(page).to_have_url(re.compile(r"/accounts/\?q=telecom&"))  # pushed: a link to share

    results.get_by_role("link", name="Shared Telecom").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared Telecom")
    expect(page.locator("#profile")).to_contain_text("Foreign-invested")

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared Telecom")
    expect(page.locator("#profile")).to_contain_text("外资企业")
    expect(page.get_by_role("navigation", name="主菜单")).to_contain_text("客户")
    snap(page, "account-zh")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{base}/accounts/")
    snap(page, "accounts-zh-phone")
    page.close()
