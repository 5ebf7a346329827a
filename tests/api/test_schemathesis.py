"""Schemathesis over the whole OpenAPI document, in-process through WSGI, with every check.

Two runs. Each operation on its own (the examples, coverage and fuzzing phases): status
codes, content types and response schemas conform; valid data is accepted and invalid
data rejected; requests without (or with made-up) credentials are refused; undeclared
methods get 405. Then a stateful run that chains operations through the links
schemathesis infers (create → read → change → delete), where use_after_free and
ensure_resource_availability apply. All checks run in both.

What a schema cannot say — that a reference names a record that exists, that an
external_id is still free — this test supplies for generated *valid* requests: it keeps
reference records (see `reference_ids`) and points valid requests at them. Invalid
requests are sent as generated.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

# What the schema cannot say about activities, segments, policies and calendars:
import tests.relations.schemathesis_hooks
import tests.segments.schemathesis_hooks
import tests.service.kpi_schemathesis_hooks  # SVC-4: from ≤ to, a period of at most MAX_DAYS
import tests.service.policy_schemathesis_hooks
import tests.service.survey_schemathesis_hooks  # noqa: F401
from config.wsgi import application
from kam.accounts.models import Account
from kam.club.models import Benefit, ClubEvent, Membership, PointsRules
from kam.contacts.models import Contact
from kam.core.models import Role, User
from kam.core.tokens import issue_token
from kam.insights.models import ScoringRun
from kam.notifications.models import Notification
from kam.plans.models import AccountPlan
from kam.relations.models import Activity
from kam.risk.models import RiskRun
from kam.segments.models import ClusteringRun, Segment, StpPlan
from kam.service.models import (
    BusinessCalendar,
    CalendarDay,
    ServicePolicy,
    Survey,
    SurveyRequest,
    Ticket,
)
from kam.service.policies import ensure_policies
from kam.transactions.models import Order, Payment
from tests.conftest import Cast

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

EXAMPLES_PER_OPERATION = 30
SCENARIOS = 40
STEPS_PER_SCENARIO = 10
SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the reference records are meant to be shared
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
EVERY_CHECK = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "unsupported_method",
    "missing_required_header",
]

DIRECTOR = "st-director"
REGION = "east"
ACCOUNT, CONTACT, ORDER, PAYMENT = "ST-ACCOUNT", "ST-CONTACT", "ST-ORDER", "ST-PAYMENT"
# The value a valid request gets for each natural key in a body.
REFERENCES: dict[str, Any] = {
    "account": ACCOUNT,
    "owner": DIRECTOR,
    "our_counterpart": DIRECTOR,
    "region": REGION,
    "contact": CONTACT,  # a ticket's contact: the reference account's
    # These must also belong to the same account (or not loop); valid requests leave them empty.
    "parent": None,
    "reports_to": None,
    "order": None,
}
# A record moved to another account loses its links inside the old one.
LINKS_INSIDE_ACCOUNT = {"/api/contacts": "reports_to", "/api/payments": "order"}


@schema.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    if is_valid_request(case) and isinstance(case.body, dict):
        case.body = with_existing_references(case.body)
        link = LINKS_INSIDE_ACCOUNT.get(collection_of(case))
        if link and "account" in case.body:
            case.body[link] = None
    return case


def is_valid_request(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def collection_of(case: schemathesis.Case) -> str:
    return case.operation.path.split("/{")[0]


def with_existing_references(body: dict[str, Any]) -> dict[str, Any]:
    body = {**body}
    for name, value in REFERENCES.items():
        if name in body:
            body[name] = value
    if body.get("external_id"):
        body["external_id"] = f"ST-{uuid.uuid4().hex[:12]}"
    return body


def reference_ids() -> dict[str, int]:
    """The reference records valid requests use, made again after a generated DELETE."""
    director = User.objects.get(username=DIRECTOR)
    account = Account.objects.filter(external_id=ACCOUNT).first() or Account.objects.create(
        external_id=ACCOUNT, name="Schemathesis Reference", owner=director
    )
    contact = Contact.objects.get_or_create(
        external_id=CONTACT, defaults={"account": account, "name": "Reference Contact"}
    )[0]
    if contact.account_id != account.pk:  # the account it was made with got another external id
        Contact.objects.filter(pk=contact.pk).update(account=account, reports_to=None)
    order = Order.objects.get_or_create(
        external_id=ORDER, defaults={"account": account, "order_date": "2024-01-31", "amount": 100}
    )[0]
    payment = Payment.objects.get_or_create(
        external_id=PAYMENT, defaults={"account": account, "due_date": "2024-02-29", "amount": 100}
    )[0]
    return {
        "account_id": account.pk,
        "contact_id": contact.pk,
        "order_id": order.pk,
        "payment_id": payment.pk,
    }


def point_at_reference_records(case: schemathesis.Case) -> None:
    """A valid request for one record reads, changes or deletes a record that exists."""
    if is_valid_request(case) and case.path_parameters:
        ids = reference_ids()
        case.path_parameters = {
            name: ids.get(name, value) for name, value in case.path_parameters.items()
        }


@pytest.fixture
def director_headers(cast: Cast) -> dict[str, str]:
    director = User.objects.create_user(username=DIRECTOR, role=Role.DIRECTOR)
    reference_ids()
    return {"Authorization": f"Bearer {issue_token(user=director, name='schemathesis')}"}


def test_it_enables_every_check() -> None:
    checks = schema.config.checks_config_for()
    assert [name for name in EVERY_CHECK if not checks.get_by_name(name=name).enabled] == []


@schema.parametrize()
@SETTINGS
def test_it_passes_every_check_on_every_operation(
    case: schemathesis.Case, director_headers: dict[str, str]
) -> None:
    point_at_reference_records(case)
    case.call_and_validate(headers=director_headers)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    headers: ClassVar[dict[str, str]] = {}
    # The cast's and the reference accounts; each scenario starts with just these.
    kept_accounts: ClassVar[set[int]] = set()

    def setup(self) -> None:
        made_by_earlier_scenarios = Account.objects.exclude(pk__in=self.kept_accounts)
        made_by_earlier_scenarios.update(parent=None)
        made_by_earlier_scenarios.delete()
        # A run queued by an earlier scenario waits for a worker that never comes, and
        # would answer this scenario's POST /scoring-runs with 409 instead of 202: the
        # scenarios would no longer be independent (Hypothesis calls that flaky).
        ScoringRun.objects.all().delete()
        Segment.objects.all().delete()  # a list or an id would answer differently otherwise
        AccountPlan.objects.all().delete()  # one active plan per account: a 201 becomes a 409
        Ticket.objects.all().delete()  # a list or a ticket number would answer differently
        # Records of the service and relationship apps outlive a scenario on the reference
        # account or company-wide (a second "join the club" is a 409, lists grow).
        for model in (Membership, Benefit, ClubEvent, Activity, CalendarDay, Survey, Notification):
            model.objects.all().delete()
        SurveyRequest.objects.all().delete()  # the surveys asked, like their answers
        # Lists a link can follow must not grow from one scenario to the next, and the
        # company-wide settings start from their defaults each time.
        settings_tables = (ServicePolicy, BusinessCalendar, PointsRules)
        for model in (StpPlan, ClusteringRun, RiskRun, *settings_tables):
            model.objects.all().delete()
        ensure_policies()

    def before_call(self, case: schemathesis.Case) -> None:
        ids = reference_ids()
        # A link through a list can pick an empty reference (a payment's order_id: null)
        # as the next record's id; such a step targets the reference record instead.
        if case.path_parameters:
            case.path_parameters = {
                name: ids.get(name) if value is None else value
                for name, value in case.path_parameters.items()
            }

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": self.headers}

    def validate_response(
        self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
    ) -> None:
        # As call_and_validate does: the checks must know which credentials were sent.
        case.validate_response(
            response, headers=self.headers, transport_kwargs=kwargs, recorder=self.recorder
        )


def test_it_passes_every_check_in_chains_of_operations(director_headers: dict[str, str]) -> None:
    Workflow.headers = director_headers
    Workflow.kept_accounts = set(Account.objects.values_list("pk", flat=True))
    Workflow.run(
        settings=settings(
            # Like schemathesis' own: generate only; replaying a scenario against a changed
            # database to shrink it would not reproduce it.
            phases=[Phase.generate],
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
