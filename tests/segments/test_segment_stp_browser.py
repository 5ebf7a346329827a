"""A real browser (Debian's chromium) walks the STP workflow: a goal, a new segment, its
evaluation, the target, a strategy, and the strategy on a member account's page."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from kam.segments.models import Segment, StpPlan
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


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def test_it_walks_goal_segment_evaluation_target_strategy_to_the_account(
    transactional_db: None, live_server: object, cast: Cast, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    base = str(live_server)
    page.goto(f"{base}/segments/stp/")
    page.fill("#id_username", "dora")
    page.fill("#id_password", "pw-dora")
    page.get_by_role("button", name="Log in").click()

    # 1. The goal.
    page.fill("#id_goal", "Grow with manufacturers")
    page.get_by_role("button", name="Start the plan").click()
    expect(page.get_by_role("heading", name="Targeting plan")).to_be_visible()
    plan_url = page.url

    # 2.-3. Criteria and a new segment.
    page.locator("#criteria").get_by_role("link", name="New segment").click()
    page.fill("#id_name", "Steel buyers")
    page.check("#id_c0-values_0")  # industry: manufacturing
    page.locator(".form-buttons button[value=save]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Steel buyers")
    segment = Segment.objects.get(name="Steel buyers")

    page.goto(plan_url)
    page.locator("#segments").get_by_label("Steel buyers").check()
    page.locator("#segments").get_by_role("button", name="Save the segments").click()

    # 4. Its evaluation: one account (Alice Steel) on the matrix.
    row = page.locator(f"#evaluation-{segment.pk}")
    expect(row).to_contain_text("Steel buyers")
    expect(row.locator("td").first).to_have_text("1")
    expect(page.locator("#evaluation svg circle.bubble")).to_have_count(1)

    # 5. The target.
    page.locator("#targets").get_by_label("Steel buyers").check()
    page.locator("#targets").get_by_role("button", name="Save the targets").click()
    assert list(StpPlan.objects.get().targets.all()) == [segment]

    # 6. Its strategy.
    page.locator("#strategies").get_by_role("link", name="Add strategy").click()
    page.fill("#id_name", "Alloy partnership")
    page.fill("#id_product", "Alloy bundles")
    page.select_option("#id_status", "active")
    page.get_by_role("button", name="Save").last.click()
    page.goto(plan_url)
    expect(page.locator("#strategies")).to_contain_text("Alloy partnership")

    # The member account's page loads the segment strategies with htmx.
    page.goto(f"{base}{cast.alice_steel.get_absolute_url()}")
    expect(page.locator("#segments")).to_contain_text("Steel buyers")
    expect(page.locator("#segments")).to_contain_text("Alloy partnership")
