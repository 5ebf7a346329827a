"""Service policies per tier (SVC-1): the seeds' defaults, the page that shows them side
by side, and the form only directors and administrators may use, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.insights.models import TierChange, TierOverride
from kam.service.forms import DurationInvalid, format_duration, human_duration, parse_duration
from kam.service.models import ServicePolicy
from kam.service.policies import (
    DEFAULT_POLICIES,
    all_policies,
    clean_policy,
    policy_for_account,
    save_policy,
)
from tests.conftest import Cast
from tests.web.conftest import client_for

SEEDS = {  # tier: first response, resolution (minutes), service model, visits, ceiling
    "diamond": (60, 480, "dedicated_team", 30, Decimal("15")),
    "core": (240, 1440, "dedicated_manager", 90, Decimal("10")),
    "potential": (1440, 4320, "shared_manager", 180, Decimal("5")),
    "basic": (2880, 7200, "service_centre", None, Decimal("0")),
}


def values_of(policy: ServicePolicy) -> dict[str, object]:
    return {
        "first_response_minutes": policy.first_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "clock": policy.clock,
        "service_model": policy.service_model,
        "visit_interval_days": policy.visit_interval_days,
        "customisation": policy.customisation,
        "discount_ceiling": policy.discount_ceiling,
    }


def set_tier(cast: Cast, account: object, tier: str) -> None:
    TierOverride.objects.create(account=account, tier=tier, reason="test", actor=cast.dora)
    TierChange.objects.create(account=account, from_tier="", to_tier=tier, is_override=True)


# --- the defaults ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_writes_the_seeds_policies() -> None:
    policies = all_policies()

    assert [p.tier for p in policies] == ["diamond", "core", "potential", "basic"]
    for policy in policies:
        response, resolution, model, visits, ceiling = SEEDS[policy.tier]
        assert policy.first_response_minutes == response
        assert policy.resolution_minutes == resolution
        assert policy.service_model == model
        assert policy.visit_interval_days == visits
        assert policy.discount_ceiling == ceiling
        assert policy.clock == "business"
        assert DEFAULT_POLICIES[policy.tier]["first_response_minutes"] == response


def test_an_account_without_a_tier_is_served_under_the_basic_policy(cast: Cast) -> None:
    assert policy_for_account(cast.alice_steel).tier == "basic"
    set_tier(cast, cast.alice_steel, "diamond")
    assert policy_for_account(cast.alice_steel).tier == "diamond"


# --- durations as people type and read them ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90m", 90), ("4h", 240), ("1h30m", 90), ("1.5h", 90), ("2d", 960), ("1d 2h", 600)],
)
def test_durations_are_read_with_their_unit(text: str, minutes: int) -> None:
    assert parse_duration(text, minutes_per_day=480) == minutes


def test_a_day_is_24_hours_around_the_clock() -> None:
    assert parse_duration("2d", minutes_per_day=1440) == 2880


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90", "is not a duration like 90m, 4h, 1h30m or 2d"),
        ("4 hours", "is not a duration"),
        ("", "is not a duration"),
        ("0.01h", "is not a whole number of minutes"),
        ("0m", "out of range"),
        ("400d", "out of range"),
    ],
)
def test_a_duration_without_a_unit_or_out_of_range_is_refused(text: str, expected: str) -> None:
    with pytest.raises(DurationInvalid, match=expected):
        parse_duration(text, minutes_per_day=1440)


def test_durations_are_shown_humanly() -> None:
    assert human_duration(60, "business", 480) == "1 h"
    assert human_duration(45, "business", 480) == "45 min"
    assert human_duration(90, "business", 480) == "1 h 30 min"
    assert human_duration(960, "business", 480) == "16 h (2 working days)"
    assert human_duration(2880, "always", 480) == "48 h (2 days)"
    assert format_duration(90) == "1h30m" and format_duration(240) == "4h"


# --- the page --------------------------------------------------------------------------------


def test_everyone_reads_the_policies_side_by_side_with_the_tiers_accounts(cast: Cast) -> None:
    set_tier(cast, cast.bob_mining, "diamond")
    set_tier(cast, cast.shared_telecom, "core")

    response = client_for(cast.ann).get(reverse("service:policies"))

    assert response.status_code == 200
    html = response.content.decode()
    columns = {c.policy.tier: c for c in response.context["columns"]}
    assert list(columns) == ["diamond", "core", "potential", "basic"]
    assert columns["diamond"].accounts == 1 and columns["core"].accounts == 1
    assert columns["basic"].accounts == 0
    assert response.context["untiered"] == 1  # Alice Steel: served as basic
    assert columns["diamond"].first_response == "1 h"
    assert columns["diamond"].resolution == "8 h (1 working day)"
    assert columns["potential"].first_response == "24 h (3 working days)"
    assert columns["core"].visits == "Every 90 days"
    assert columns["basic"].visits == "No regular visits"
    for text in ("Dedicated team", "Service centre", "Fully customised solutions and service"):
        assert text in html
    assert "15%" in html
    assert reverse("service:policy_edit", args=["diamond"]) not in html  # analysts: no edit


def test_the_counts_are_of_the_accounts_the_reader_sees(cast: Cast) -> None:
    set_tier(cast, cast.bob_mining, "diamond")

    alice = client_for(cast.alice).get(reverse("service:policies"))
    dora = client_for(cast.dora).get(reverse("service:policies"))

    assert {c.policy.tier: c.accounts for c in alice.context["columns"]}["diamond"] == 0
    assert {c.policy.tier: c.accounts for c in dora.context["columns"]}["diamond"] == 1
    assert reverse("service:policy_edit", args=["diamond"]) in dora.content.decode()


@pytest.mark.parametrize("who", ["alice", "mary", "ann", "bob"])
def test_only_directors_and_administrators_open_the_form(cast: Cast, who: str) -> None:
    client = client_for(getattr(cast, who))
    url = reverse("service:policy_edit", args=["diamond"])

    assert client.get(url).status_code == 403
    assert client.post(url, {"first_response": "2h"}).status_code == 403
    assert ServicePolicy.objects.get(tier="diamond").first_response_minutes == 60


def test_a_director_changes_a_policy_and_the_change_is_audited(cast: Cast) -> None:
    client = client_for(cast.dora)
    url = reverse("service:policy_edit", args=["core"])
    form = client.get(url).context["form"]
    assert form.initial["first_response"] == "4h" and form.initial["resolution"] == "24h"

    response = client.post(
        url,
        {
            "first_response": "2h",
            "resolution": "2d",
            "clock": "business",
            "service_model": "dedicated_team",
            "visit_interval_days": "60",
            "customisation": "Partly customised",
            "discount_ceiling": "12.5",
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse("service:policies")
    core = ServicePolicy.objects.get(tier="core")
    assert core.first_response_minutes == 120
    assert core.resolution_minutes == 960  # 2 working days of 8 h
    assert (core.service_model, core.visit_interval_days) == ("dedicated_team", 60)
    assert core.discount_ceiling == Decimal("12.50") and core.updated_by == cast.dora
    event = AuditEvent.objects.get(object_type="servicepolicy", object_id=core.pk)
    assert event.actor == cast.dora and event.source == "web"
    assert event.changes["first_response_minutes"] == [240, 120]
    assert event.changes["discount_ceiling"] == ["10", "12.5"]
    assert "clock" not in event.changes  # unchanged fields are not recorded
    page = client.get(reverse("service:policies"))
    assert page.context["history"][0] == event
    assert "Partly customised" in page.content.decode()


def test_around_the_clock_a_day_is_24_hours(cast: Cast) -> None:
    client_for(cast.root).post(
        reverse("service:policy_edit", args=["diamond"]),
        {
            "first_response": "30m",
            "resolution": "1d",
            "clock": "always",
            "service_model": "dedicated_team",
            "visit_interval_days": "",
            "customisation": "",
            "discount_ceiling": "15",
        },
    )
    diamond = ServicePolicy.objects.get(tier="diamond")
    assert (diamond.first_response_minutes, diamond.resolution_minutes) == (30, 1440)
    assert diamond.clock == "always" and diamond.visit_interval_days is None


def test_invalid_input_is_named_field_by_field_and_nothing_changes(cast: Cast) -> None:
    response = client_for(cast.dora).post(
        reverse("service:policy_edit", args=["diamond"]),
        {
            "first_response": "5h",
            "resolution": "2",
            "clock": "sometimes",
            "service_model": "dedicated_team",
            "visit_interval_days": "0",
            "customisation": "",
            "discount_ceiling": "120",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "'2' is not a duration like 90m, 4h, 1h30m or 2d" in errors["resolution"][0]
    assert "clock" in errors and "visit_interval_days" in errors
    assert "discount_ceiling" in errors
    assert "Please correct the problems below." in response.content.decode()
    assert ServicePolicy.objects.get(tier="diamond").first_response_minutes == 60
    assert not AuditEvent.objects.filter(object_type="servicepolicy").exists()


def test_the_resolution_target_is_at_least_the_first_response(cast: Cast) -> None:
    response = client_for(cast.dora).post(
        reverse("service:policy_edit", args=["diamond"]),
        {
            "first_response": "8h",
            "resolution": "4h",
            "clock": "business",
            "service_model": "dedicated_team",
            "discount_ceiling": "15",
        },
    )
    assert response.context["form"].errors["resolution"] == [
        "The resolution target must be at least the first response."
    ]


def test_an_unknown_tier_is_not_found(cast: Cast) -> None:
    url = reverse("service:policy_edit", args=["gold"])
    assert client_for(cast.dora).get(url).status_code == 404


def test_the_service_refuses_analysts_and_bad_values(cast: Cast) -> None:
    from django.core.exceptions import PermissionDenied

    diamond = ServicePolicy.objects.get(tier="diamond")
    with pytest.raises(PermissionDenied):
        save_policy(actor=cast.ann, policy=diamond, values=values_of(diamond))
    with pytest.raises(RecordInvalid) as bad:
        clean_policy({**values_of(diamond), "discount_ceiling": "NaN", "service_model": "x"})
    assert set(bad.value.by_field()) == {"discount_ceiling", "service_model"}
    assert bad.value.by_field()["discount_ceiling"] == "expected a percentage from 0 to 100"
