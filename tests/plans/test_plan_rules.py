"""One active plan per account and one current plan per account and year: the database
refuses a second one, and the service says why before it gets there."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.plans.models import AccountPlan, PlanStatus
from kam.plans.services import PlanConflict, check_plan_conflicts, clean_plan, save_plan
from tests.conftest import Cast
from tests.plans.conftest import Planned


def test_the_database_refuses_a_second_active_plan_for_an_account(planned: Planned) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountPlan.objects.create(
            account=planned.plan.account,
            year=2027,
            status=PlanStatus.ACTIVE,
            owner=planned.plan.owner,
        )
    # Active plans of other accounts are fine.
    AccountPlan.objects.create(
        account=planned.plan.account, year=2027, status=PlanStatus.DRAFT, owner=planned.plan.owner
    )


def test_the_database_refuses_a_second_current_plan_for_the_same_year(planned: Planned) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountPlan.objects.create(
            account=planned.plan.account,
            year=2026,
            status=PlanStatus.DRAFT,
            owner=planned.plan.owner,
        )
    # An archived plan of the same year is a past plan: kept, and allowed.
    AccountPlan.objects.create(
        account=planned.plan.account,
        year=2026,
        status=PlanStatus.ARCHIVED,
        owner=planned.plan.owner,
    )


def test_the_service_says_which_plan_is_active_and_writes_nothing(
    planned: Planned, cast: Cast
) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(PlanConflict) as refused:
        clean_plan({"year": 2027, "status": "active"}, actor=cast.alice, account=cast.alice_steel)
    [problem] = refused.value.problems
    assert problem.column == "status"
    assert problem.message == (
        "another plan is active (got 'active', expected draft or archived while the plan for "
        "2026 is active: archive it first)"
    )
    with pytest.raises(PlanConflict) as same_year:
        clean_plan({"year": 2026, "status": "draft"}, actor=cast.alice, account=cast.alice_steel)
    assert same_year.value.problems[0].column == "year"
    assert same_year.value.problems[0].message == (
        "another plan of the account is current for this year (got '2026', expected another "
        "year, or archive the active plan first)"
    )
    assert AccountPlan.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_save_that_meets_the_constraint_becomes_a_conflict_not_a_crash(
    planned: Planned, cast: Cast
) -> None:
    """Two people saving at once: the check passed for both, the database refuses one."""
    values = {
        "account": cast.alice_steel,
        "year": 2027,
        "status": PlanStatus.ACTIVE,
        "owner": cast.alice,
        "vision": "",
        "review_every_days": 90,
    }
    events = AuditEvent.objects.count()
    with pytest.raises(PlanConflict) as refused:
        save_plan(actor=cast.alice, values=values)
    assert refused.value.problems[0].column == "status"
    assert "conflicts with a record saved meanwhile" in refused.value.problems[0].message
    assert AccountPlan.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_archiving_the_active_plan_frees_the_account_for_a_new_one(
    planned: Planned, cast: Cast
) -> None:
    plan = planned.plan
    save_plan(
        actor=cast.alice,
        values=clean_plan({"status": "archived"}, actor=cast.alice, plan=plan),
        plan=plan,
    )
    values = clean_plan(
        {"year": 2027, "status": "active"}, actor=cast.alice, account=cast.alice_steel
    )
    new = save_plan(actor=cast.alice, values=values)
    assert new.status == PlanStatus.ACTIVE
    assert list(
        AccountPlan.objects.filter(account=cast.alice_steel).values_list("year", "status")
    ) == [
        (2027, "active"),
        (2026, "archived"),
    ]
    check_plan_conflicts(cast.alice_steel, 2026, PlanStatus.ARCHIVED, None)  # no conflict


def test_bad_fields_are_named_with_what_was_expected(cast: Cast) -> None:
    with pytest.raises(RecordInvalid) as refused:
        clean_plan(
            {"year": "next", "status": "secret", "review_every_days": 0, "owner": "ann"},
            actor=cast.alice,
            account=cast.alice_steel,
        )
    found = refused.value.by_field()
    assert found["year"] == "not a whole number (got 'next', expected a whole number such as 250)"
    assert found["status"].startswith("unknown value (got 'secret', expected one of: draft")
    assert (
        found["review_every_days"] == "too small (got '0', expected a whole number of at least 1)"
    )
    # Ann (an analyst) sees the account but may not own a plan of it.
    assert found["owner"].startswith("read-only user (got 'ann'")


def test_a_plan_is_owned_by_someone_who_sees_the_account(cast: Cast) -> None:
    with pytest.raises(RecordInvalid) as refused:
        clean_plan({"year": 2026, "owner": "bob"}, actor=cast.alice, account=cast.alice_steel)
    assert refused.value.by_field()["owner"] == (
        "unknown user (got 'bob', expected the username of an active user who sees the "
        "account and may change it)"
    )
    values = clean_plan({"year": 2026}, actor=cast.mary, account=cast.alice_steel)
    assert values["owner"] == cast.alice  # the account's owner by default
