"""The built-in starting points: one segment per industry and per region present in the
book, three size bands, three kinds of buyer. Seeding again changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kam.core.models import AuditEvent, Region
from kam.segments.models import Segment
from kam.segments.services import seed_builtin_segments, segment_members
from tests.segments.conftest import Book, names

BUILTINS = {
    "industry:manufacturing": "Industry: Manufacturing",
    "industry:energy": "Industry: Energy and utilities",
    "industry:telecom": "Industry: Telecommunications",
    "industry:chemicals": "Industry: Chemicals and materials",
    "industry:food": "Industry: Food and beverage",
    "industry:it": "Industry: IT and software",
    "size:small": "Size: small (fewer than 100 employees)",
    "size:medium": "Size: medium (100 to 999 employees)",
    "size:large": "Size: large (1,000 employees or more)",
    "region:east": "Region: East China",
    "region:north": "Region: North China",
    "behaviour:frequent": "Frequent buyers",
    "behaviour:price_sensitive": "Price-sensitive buyers",
    "behaviour:lapsed": "Lapsed buyers",
}
MEMBERS = {
    "industry:food": {"Mid Foods"},
    "size:small": {"Tiny Tech"},
    "size:medium": {"Mid Foods"},
    "size:large": {"Big Chem"},
    "region:east": {"Alice Steel Co., Ltd.", "Mid Foods"},
    "behaviour:frequent": {"Alice Steel Co., Ltd."},
    "behaviour:price_sensitive": {"Big Chem"},
    "behaviour:lapsed": {"Shared Telecom", "Mid Foods"},
}


def builtins() -> dict[str, str]:
    return dict(Segment.objects.exclude(builtin_key=None).values_list("builtin_key", "name"))


def test_it_creates_the_builtins_of_the_book(book: Book) -> None:
    Region.objects.create(code="south", name="South China")  # no account there: no segment
    report = seed_builtin_segments(actor=book.cast.dora)
    assert builtins() == BUILTINS
    assert len(report.created) == len(BUILTINS)
    assert AuditEvent.objects.filter(object_type="segment", source="seed").count() == 14
    for key, expected in MEMBERS.items():
        segment = Segment.objects.get(builtin_key=key)
        assert names(segment_members(segment, book.cast.dora)) == expected, key


def test_it_is_idempotent(book: Book) -> None:
    seed_builtin_segments(actor=book.cast.dora)
    first = list(Segment.objects.order_by("pk").values("pk", "name", "definition"))
    events = AuditEvent.objects.count()
    report = seed_builtin_segments(actor=book.cast.dora)
    assert (report.created, len(report.existing)) == ([], len(BUILTINS))
    assert list(Segment.objects.order_by("pk").values("pk", "name", "definition")) == first
    assert AuditEvent.objects.count() == events


def test_it_keeps_what_people_changed_and_adds_what_is_new(book: Book) -> None:
    seed_builtin_segments(actor=book.cast.dora)
    Segment.objects.filter(builtin_key="size:small").update(name="Small firms")
    Segment.objects.filter(builtin_key="behaviour:lapsed").delete()
    book.tiny_tech.industry = "retail"
    book.tiny_tech.save()
    report = seed_builtin_segments(actor=book.cast.dora)
    assert sorted(s.name for s in report.created) == [
        "Industry: Retail and consumer goods",
        "Lapsed buyers",
    ]
    assert Segment.objects.get(builtin_key="size:small").name == "Small firms"


def test_it_leaves_a_name_in_use_alone(book: Book) -> None:
    Segment.objects.create(name="Frequent buyers", owner=book.cast.mary, definition={})
    report = seed_builtin_segments(actor=book.cast.dora)
    assert report.name_taken == ["Frequent buyers"]
    assert "behaviour:frequent" not in builtins()


@pytest.mark.parametrize("who", ["ann", "alice"])
def test_it_lets_only_writers_seed(book: Book, who: str) -> None:
    with pytest.raises(PermissionDenied):
        seed_builtin_segments(actor=getattr(book.cast, who))
    assert not Segment.objects.exists()
