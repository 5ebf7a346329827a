"""Schemathesis over the ticket operations, with every check, on a ticket that exists.

What the document cannot say is supplied for schema-valid requests, as
tests/api/test_schemathesis.py does for its references: the account exists, a contact
belongs to it (valid requests leave it empty), a handover names a colleague who exists.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application
from kam.accounts.models import Account
from kam.core.models import Role, User
from kam.core.tokens import issue_token
from kam.service.models import Ticket
from kam.service.tickets import create_ticket
from tests.conftest import Cast

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TICKETS = "/api/tickets"

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex=f"^{TICKETS}"
)
ACCOUNT = "ST-ACCOUNT"  # the reference account of tests/api/test_schemathesis.py
DIRECTOR = "st-director"


@schema.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and isinstance(case.body, dict):
        body = dict(case.body)
        if "account" in body:
            body["account"] = ACCOUNT
        if "owner" in body:
            body["owner"] = "st-colleague"
        if "contact" in body:
            body["contact"] = None
        case.body = body
    return case


def point_at_the_reference_ticket(case: schemathesis.Case) -> None:
    """A valid request for one ticket reads or changes one that exists."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.path_parameters:
        ticket = reference_ticket()
        case.path_parameters = {
            name: ticket.pk if name == "ticket_id" else value
            for name, value in case.path_parameters.items()
        }


def reference_ticket() -> Ticket:
    director = User.objects.get(username=DIRECTOR)
    account = Account.objects.get_or_create(
        external_id=ACCOUNT, defaults={"name": "Schemathesis Reference", "owner": director}
    )[0]
    found = Ticket.objects.filter(account=account).order_by("pk").first()
    return found or create_ticket(actor=director, account=account, values={"subject": "Ref"})


@pytest.fixture
def director_headers(cast: Cast) -> dict[str, str]:
    director = User.objects.create_user(username=DIRECTOR, role=Role.DIRECTOR)
    User.objects.create_user(username="st-colleague", role=Role.SERVICE_AGENT)
    reference_ticket()
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
def test_every_ticket_operation_passes_every_check(
    case: schemathesis.Case, director_headers: dict[str, str]
) -> None:
    point_at_the_reference_ticket(case)
    case.call_and_validate(headers=director_headers)
