"""Anti-bribery compliance: gifts and entertainment count toward a yearly limit per
recipient (KAM_GIFT_LIMIT_PER_PERSON, in the company currency); going above it needs an
acknowledgement, which is recorded; directors see the register by recipient and year."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.core.models import AuditEvent
from kam.relations.models import Activity, ActivityKind, ActivityStatus
from kam.relations.services import (
    GiftLimitExceeded,
    clean_activity,
    save_activity,
    yearly_gift_totals,
)
from tests.conftest import Cast
from tests.relations.conftest import Centre, log
from tests.web.conftest import client_for


def gift(cast: Cast, value: str, recipients: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "kind": ActivityKind.GIFT,
        "subject": "Mid-autumn mooncakes",
        "starts_at": timezone.localtime().replace(month=9, day=20).isoformat(),
        "value": value,
        "recipients": recipients,
        **extra,
    }


def give(cast: Cast, raw: dict[str, Any], acknowledge: bool = False) -> Activity:
    draft = clean_activity(raw, actor=cast.alice, account=cast.alice_steel)
    return save_activity(
        actor=cast.alice, account=cast.alice_steel, draft=draft, acknowledge=acknowledge
    )


def test_a_gift_within_the_limit_is_saved_without_warning(cast: Cast, centre: Centre) -> None:
    saved = give(cast, gift(cast, "1500", ["RC-1"]))
    assert saved.currency == "CNY"
    assert saved.limit_warnings == [] and saved.limit_acknowledged_by is None


def test_it_warns_above_the_yearly_limit_and_saves_nothing(cast: Cast, centre: Centre) -> None:
    give(cast, gift(cast, "1500", ["RC-1"]))
    with pytest.raises(GiftLimitExceeded) as raised:
        give(cast, gift(cast, "800", ["RC-1"], subject="Dinner"))
    warning = raised.value.warnings[0]
    assert (warning["name"], warning["total"], warning["limit"]) == (
        "Wang Wei",
        "2300.00",
        "2000.00",
    )
    assert "Wang Wei would receive 2300.00 CNY" in raised.value.text()
    assert Activity.objects.filter(subject="Dinner").count() == 0


def test_an_acknowledged_gift_is_saved_with_who_and_when(cast: Cast, centre: Centre) -> None:
    give(cast, gift(cast, "1500", ["RC-1"]))
    saved = give(cast, gift(cast, "800", ["RC-1"], subject="Dinner"), acknowledge=True)
    assert saved.limit_acknowledged_by == cast.alice
    assert saved.limit_acknowledged_at is not None
    assert saved.limit_warnings[0]["total"] == "2300.00"
    event = AuditEvent.objects.get(object_type="activity", object_id=saved.pk)
    assert event.changes["limit_acknowledged_by"] == [None, "alice"]
    # Changing its notes later needs no second acknowledgement (the totals are the same).
    draft = clean_activity(
        {"notes": "thanked"}, actor=cast.alice, account=cast.alice_steel, activity=saved
    )
    again = save_activity(actor=cast.alice, account=cast.alice_steel, draft=draft, activity=saved)
    assert again.notes == "thanked"


def test_shared_gifts_count_a_share_per_recipient_and_cancelled_ones_nothing(
    cast: Cast, centre: Centre
) -> None:
    year = timezone.localdate().year
    day = dt.date(year, 3, 1)
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.ENTERTAINMENT,
        day,
        value=Decimal("3000"),
        recipients=(centre.boss, centre.engineer, centre.user),
    )
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.GIFT,
        day,
        value=Decimal("5000"),
        recipients=(centre.boss,),
        status=ActivityStatus.CANCELLED,
    )
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.GIFT,
        dt.date(year - 1, 12, 31),
        value=Decimal("5000"),
        recipients=(centre.boss,),
    )
    totals = yearly_gift_totals([centre.boss.pk, centre.engineer.pk], year)
    assert totals == {centre.boss.pk: Decimal("1000.00"), centre.engineer.pk: Decimal("1000.00")}


def test_the_limit_is_a_setting(cast: Cast, centre: Centre, settings: Any) -> None:
    settings.KAM_GIFT_LIMIT_PER_PERSON = 500
    with pytest.raises(GiftLimitExceeded):
        give(cast, gift(cast, "600", ["RC-2"]))


def test_other_kinds_carry_no_value_and_gifts_default_to_the_contacts(
    cast: Cast, centre: Centre
) -> None:
    call = give(
        cast,
        {
            "kind": "call",
            "subject": "Hello",
            "starts_at": "2026-01-05T10:00",
            "value": "99",
            "recipients": ["RC-1"],
        },
    )
    assert call.value is None and call.currency == "" and list(call.recipients.all()) == []
    box = give(
        cast,
        {
            "kind": "gift",
            "subject": "Tea",
            "starts_at": "2026-01-05T10:00",
            "value": "300",
            "contacts": ["RC-1", "RC-2"],
        },
    )
    assert set(box.recipients.all()) == {centre.boss, centre.engineer}


def test_the_quick_form_asks_for_the_acknowledgement(cast: Cast, centre: Centre) -> None:
    give(cast, gift(cast, "1900", ["RC-1"]))
    client = client_for(cast.alice)
    url = reverse("relations:account_log", args=[cast.alice_steel.pk])
    post = {
        "kind": "gift",
        "status": "done",
        "subject": "Wine",
        "starts_at": timezone.localtime().replace(month=9, day=21).strftime("%Y-%m-%dT%H:%M"),
        "value": "400",
        "recipients": [str(centre.boss.pk)],
    }
    warned = client.post(url, post, HTTP_HX_REQUEST="true").content.decode()
    assert "Over the yearly gift limit per person" in warned
    assert "Wang Wei would receive 2300.00 CNY" in warned
    assert not Activity.objects.filter(subject="Wine").exists()
    done = client.post(url, {**post, "acknowledge_limit": "on"}, HTTP_HX_REQUEST="true")
    assert "Activity “Wine” logged." in done.content.decode()
    wine = Activity.objects.get(subject="Wine")
    assert wine.limit_acknowledged_by == cast.alice


def test_directors_see_the_register_by_recipient_and_year(cast: Cast, centre: Centre) -> None:
    give(cast, gift(cast, "1500", ["RC-1"]))
    give(cast, gift(cast, "800", ["RC-1"], subject="Dinner"), acknowledge=True)
    year = timezone.localdate().year
    client = client_for(cast.dora)
    html = client.get(reverse("relations:gifts"), {"year": year}).content.decode()
    assert "Wang Wei" in html and "2,300.00" in html and "above the limit" in html
    export = client.get(reverse("relations:gifts_export"), {"year": year, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["recipient"], r["share"], r["over_limit"]) for r in rows] == [
        ("Wang Wei", "1500.00", "yes"),
        ("Wang Wei", "800.00", "yes"),
    ]
    assert rows[1]["acknowledged_by"] == "alice"


def test_account_managers_and_analysts_do_not_see_the_register(cast: Cast, centre: Centre) -> None:
    for person in (cast.alice, cast.mary, cast.ann):
        assert client_for(person).get(reverse("relations:gifts")).status_code == 403
        assert client_for(person).get(reverse("relations:gifts_export")).status_code == 403
