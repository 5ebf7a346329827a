"""Schemathesis over the survey operations (/api/surveys…), with every check, on an
account that exists (as tests/service/test_tickets_schemathesis.py does for tickets)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import tests.service.survey_schemathesis_hooks  # noqa: F401 - at least one score, no ticket
from config.wsgi import application
from kam.accounts.models import Account
from kam.core.models import Role, User
from kam.core.tokens import issue_token
from kam.service.surveys import record_answer
from tests.conftest import Cast

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SURVEYS = "/api/surveys"
ACCOUNT = "ST-ACCOUNT"
DIRECTOR = "st-director"

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex=f"^{SURVEYS}"
)


@schema.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and isinstance(case.body, dict) and "account" in case.body:
        case.body = {**case.body, "account": ACCOUNT}
    return case


def point_at_the_reference_survey(case: schemathesis.Case) -> None:
    """A valid request for one answer reads one that exists."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.path_parameters and "survey_id" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "survey_id": reference_survey()}


def reference_survey() -> int:
    director = User.objects.get(username=DIRECTOR)
    account = Account.objects.get_or_create(
        external_id=ACCOUNT, defaults={"name": "Schemathesis Reference", "owner": director}
    )[0]
    found = account.surveys.order_by("pk").first()
    if found is None:
        found = record_answer(
            actor=director, account=account, kind="relationship", values={"csat": 4}
        )
    return found.pk


@pytest.fixture
def director_headers(cast: Cast) -> dict[str, str]:
    director = User.objects.create_user(username=DIRECTOR, role=Role.DIRECTOR)
    reference_survey()
    return {"Authorization": f"Bearer {issue_token(user=director, name='schemathesis')}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_survey_operation_passes_every_check(
    case: schemathesis.Case, director_headers: dict[str, str]
) -> None:
    point_at_the_reference_survey(case)
    case.call_and_validate(headers=director_headers)
