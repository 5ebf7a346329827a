"""The main navigation: five groups whose menus reach every section, the current group and
page marked, each link a page the user may open."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.web.conftest import client_for

GROUPS = {
    "Customers": ["accounts:list", "contacts:list", "segments:list", "risk:watch_list"],
    "Relationships": [
        "relations:activities",
        "relations:cadence",
        "relations:calendar",
        "plans:list",
        "club:overview",
    ],
    "Service": [
        "tickets:list",
        "service:satisfaction",
        "service:kpis",
        "service:policies",
        "service:calendar",
    ],
    "Data": [
        "transactions:orders",
        "transactions:payments",
        "dataio:import",
        "dataio:export",
    ],
}


def groups_of(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for label, menu in re.findall(
        r'<button type="button" class="navgroup-label"[^>]*>([^<]+)</button>\s*'
        r'<div class="navmenu">(.*?)</div>',
        html,
        re.S,
    ):
        found[label] = re.findall(r'<a href="([^"]+)"', menu)
    return found


def test_every_section_is_in_its_group_and_opens(cast: Cast) -> None:
    client = client_for(cast.dora)
    html = client.get(reverse("insights:dashboard")).content.decode()

    menus = groups_of(html)

    assert menus == {label: [reverse(n) for n in names] for label, names in GROUPS.items()}
    for links in menus.values():
        for link in links:
            assert client.get(link).status_code == 200, link


@pytest.mark.parametrize(
    "url_name, group, label",
    [
        ("tickets:list", "Service", "Tickets"),
        ("service:kpis", "Service", "Service KPIs"),
        ("relations:cadence", "Relationships", "Visit cadence"),
        ("risk:watch_list", "Customers", "Watch list"),
        ("dataio:import", "Data", "Import"),
    ],
)
def test_the_current_group_and_page_are_marked(
    cast: Cast, url_name: str, group: str, label: str
) -> None:
    html = client_for(cast.dora).get(reverse(url_name)).content.decode()

    current = re.findall(r'<div class="navgroup current">\s*<button[^>]*>([^<]+)</button>', html)
    assert current == [group]
    marked = re.findall(r'<a href="[^"]+" aria-current="page">([^<]+)</a>', html)
    assert marked == [label]


def test_the_menus_are_in_chinese_for_chinese_readers(cast: Cast) -> None:
    client = client_for(cast.dora)
    client.cookies["django_language"] = "zh-hans"

    html = client.get(reverse("insights:dashboard")).content.decode()

    assert set(groups_of(html)) == {"客户", "关系", "服务", "数据"}
