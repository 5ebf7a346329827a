"""The printable plan: its own document with a print stylesheet for A4, no site navigation,
every section, in the page's language."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for


def test_the_print_page_has_the_print_stylesheet_and_no_navigation(
    planned: Planned, cast: Cast
) -> None:
    response = client_for(cast.alice).get(reverse("plans:print", args=[planned.plan.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<link rel="stylesheet" href="/static/plans/print.css">' in html
    assert "kam/kam.css" not in html  # not the site's layout
    assert "<nav" not in html and "mainnav" not in html and "topbar" not in html
    assert 'class="screen-only toolbar"' in html  # the back link and button hide on paper
    for section in (
        "vision",
        "objectives",
        "targets",
        "swot",
        "competitors",
        "whitespace",
        "actions",
        "reviews",
    ):
        assert f'id="{section}"' in html, section
    assert "Become Alice Steel&#x27;s partner for the digital plant." in html
    assert 'class="ws-cell ws-sold"' in html
    assert "On track." in html  # the last review's notes
    assert "95.0%" in html


def test_the_print_stylesheet_sets_a4_and_keeps_sections_together() -> None:
    found = finders.find("plans/print.css")
    assert found is not None
    css = Path(str(found)).read_text(encoding="utf-8")
    printing = css[css.index("@media print") :]
    assert "@page { size: A4 portrait;" in printing
    assert ".screen-only { display: none !important; }" in printing
    assert "break-inside: avoid" in printing and "break-after: avoid" in printing
    assert "print-color-adjust: exact" in printing  # the grid's colours are information


def test_the_print_page_is_in_the_page_s_language(planned: Planned, cast: Cast) -> None:
    client = client_for(cast.alice)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("plans:print", args=[planned.plan.pk])).content.decode()
    assert '<html lang="zh-hans">' in html
