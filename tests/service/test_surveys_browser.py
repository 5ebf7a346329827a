"""A real browser (Debian's chromium) on the customer's survey page: opened from the
emailed link in a Chinese browser, switched to English, answered once (CSRF and all),
and the second visit says thank you."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from kam.service.models import Survey, SurveyRequest
from kam.service.surveys import issue_relationship_surveys
from tests.service import surveys_helpers as helpers
from tests.service import test_tickets_browser as ticket_browser
from tests.service.surveys_helpers import SITE, People

pytestmark = pytest.mark.browser
# The fixtures the survey stories share, and the ticket story's browser.
people = helpers.people
browser = ticket_browser.browser


def test_the_customer_answers_the_emailed_link(
    transactional_db: None, live_server: Any, people: People, browser: Browser, settings: Any
) -> None:
    settings.KAM_SURVEY_EMAILS = True
    settings.KAM_SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    issue_relationship_surveys()
    message = next(m for m in mail.outbox if m.to == ["wang.wei@alice-steel.example.cn"])
    link = next(line for line in message.body.splitlines() if line.startswith(SITE))
    url = link.replace(SITE, str(live_server))

    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Dear Wang Wei, how did we do?")
    page.get_by_label("4 – satisfied").check()
    page.locator('#question-nps input[value="9"]').check()
    page.fill("#id_comment", "工程师很专业。")
    ticket_browser.snap(page, "survey-public")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.locator("#survey-state")).to_have_attribute("data-state", "answered")
    expect(page.locator("h1")).to_have_text("Thank you!")
    page.goto(url)  # the second visit
    expect(page.locator("h1")).to_have_text("Thank you!")
    context.close()

    survey = Survey.objects.get()
    assert (survey.csat, survey.nps, survey.comment, survey.contact) == (
        4,
        9,
        "工程师很专业。",
        people.wang,
    )
    assert SurveyRequest.objects.get(contact=people.wang).survey == survey
