"""Schemathesis over GET /api/service/kpis, with every check: any schema-valid query is
answered 200 with the documented body, anything else with a documented error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import tests.service.kpi_schemathesis_hooks  # noqa: F401 - orders from and to
from config.wsgi import application
from kam.core.models import Role, User
from kam.core.tokens import issue_token
from tests.service.kpi_schemathesis_hooks import PATH, sensible_period

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex=f"^{PATH}$"
)


@pytest.fixture
def director_headers(db: None) -> dict[str, str]:
    director = User.objects.create_user(username="st-kpi-director", role=Role.DIRECTOR)
    return {"Authorization": f"Bearer {issue_token(user=director, name='schemathesis')}"}


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_kpi_operation_passes_every_check(
    case: schemathesis.Case, director_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers=director_headers)


def test_the_hook_keeps_a_period_sensible() -> None:
    assert sensible_period({"from": "2026-05-01", "to": "2026-04-01"}) == {
        "from": "2026-04-01",
        "to": "2026-05-01",
    }
    long = sensible_period({"from": "1900-01-01", "to": "2100-01-01"})
    assert long == {"from": "2096-12-30", "to": "2100-01-01"}
    assert sensible_period({"kind": "request"}) == {"kind": "request"}
