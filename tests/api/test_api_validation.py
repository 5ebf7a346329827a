"""Bad input gets the import's message for the same value, field by field (DATA-5, PLAT-3),
and the API is strict about JSON types: `false` is not a number, "12" is not a number."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kam.accounts.io import ACCOUNT_FIELDS
from kam.accounts.models import Account
from kam.contacts.io import CONTACT_FIELDS
from kam.core.fields import Field, FieldError
from kam.core.models import User
from kam.transactions.io import ORDER_FIELDS, PAYMENT_FIELDS
from tests.api.conftest import ApiClient
from tests.conftest import Cast
from tests.dataio.helpers import problem_lines, run_import, write_csv

ApiAs = Callable[[User], ApiClient]
ORDER = {"account": "A-1", "order_date": "2024-05-01", "amount": 100}


def import_message(fields: list[Field], name: str, value: object) -> str:
    """What the import says about `value` in column `name`."""
    field = next(f for f in fields if f.name == name)
    with pytest.raises(FieldError) as caught:
        field.parse(value)
    return caught.value.message


def errors_of(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("path", "fields", "body", "field", "value"),
    [
        ("/api/orders", ORDER_FIELDS, ORDER, "order_date", "2024-02-30"),
        ("/api/orders", ORDER_FIELDS, ORDER, "order_date", "1899-12-31"),
        ("/api/orders", ORDER_FIELDS, ORDER, "amount", 12.345),
        ("/api/orders", ORDER_FIELDS, ORDER, "discount_rate", 1.5),
        ("/api/orders", ORDER_FIELDS, ORDER, "amount", False),
        ("/api/accounts", ACCOUNT_FIELDS, {"name": "X"}, "industry", "steelmaking"),
        ("/api/accounts", ACCOUNT_FIELDS, {"name": "X"}, "employees", -3),
        ("/api/accounts", ACCOUNT_FIELDS, {"name": "X"}, "credit_limit", -1),
        ("/api/accounts", ACCOUNT_FIELDS, {"name": "X"}, "country", "Atlantis"),
        ("/api/accounts", ACCOUNT_FIELDS, {"name": "X"}, "name", "x" * 201),
        ("/api/accounts", ACCOUNT_FIELDS, {"name": "X"}, "name", "   "),
        ("/api/contacts", CONTACT_FIELDS, {"account": "A-1", "name": "Li"}, "email", "li@"),
        ("/api/contacts", CONTACT_FIELDS, {"account": "A-1", "name": "Li"}, "buying_role", "boss"),
        ("/api/contacts", CONTACT_FIELDS, {"account": "A-1", "name": "Li"}, "familiarity", 9),
        (
            "/api/payments",
            PAYMENT_FIELDS,
            {"account": "A-1", "amount": 5},
            "due_date",
            "31/12/2024",
        ),
    ],
)
def test_it_rejects_a_bad_value_with_the_imports_message(
    cast: Cast,
    api_as: ApiAs,
    path: str,
    fields: list[Field],
    body: dict[str, Any],
    field: str,
    value: object,
) -> None:
    response = api_as(cast.alice).post(path, {**body, field: value})
    assert errors_of(response) == {field: import_message(fields, field, value)}


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", False), ("amount", True), ("amount", "100"), ("quantity", False)],
)
def test_it_takes_no_boolean_or_text_for_a_number(
    cast: Cast, api_as: ApiAs, field: str, value: object
) -> None:
    response = api_as(cast.alice).post("/api/orders", {**ORDER, field: value})
    assert set(errors_of(response)) == {field}
    assert "not a number" in errors_of(response)[field]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("employees", False, "not a whole number"),
        ("employees", "250", "not a whole number"),
        ("name", 42, "not text"),
        ("industry", "Manufacturing", "unknown value"),  # the import also reads labels
        ("country", "cn", "unknown country"),  # ... and lower case
        ("tags", "a; b", "not a list of tags"),
    ],
)
def test_it_takes_only_what_the_schema_documents(
    cast: Cast, api_as: ApiAs, field: str, value: object, problem: str
) -> None:
    response = api_as(cast.alice).post("/api/accounts", {"name": "Strict Co", field: value})
    assert errors_of(response)[field].startswith(f"{problem} (got ")


def test_it_reports_an_unknown_reference_as_the_import_does(
    cast: Cast, api_as: ApiAs, tmp_path: Path
) -> None:
    response = api_as(cast.alice).post("/api/orders", {**ORDER, "account": "B-1"})
    csv = write_csv(
        tmp_path, "orders.csv", "external_id,account,order_date,amount\nO-9,B-1,2024-05-01,100\n"
    )
    report = run_import("transactions", csv, cast.alice)
    assert problem_lines(report) == [f"row 2, column account: {errors_of(response)['account']}"]


def test_it_names_every_bad_field_at_once(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.alice).post(
        "/api/orders", {"order_date": "soon", "amount": "lots", "colour": "red"}
    )
    assert set(errors_of(response)) == {"account", "order_date", "amount", "colour"}
    assert errors_of(response)["account"] == "missing value (got '', expected a value)"


def test_it_says_400_for_a_body_that_is_not_json(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.alice).post("/api/orders", "{'account': 'A-1'")
    assert response.status_code == 400
    assert response.json() == {
        "code": "bad_request",
        "message": "The request body is not valid JSON in UTF-8.",
    }


@pytest.mark.parametrize("body", ["[1, 2]", '"an order"', "null"])
def test_it_wants_a_json_object(cast: Cast, api_as: ApiAs, body: str) -> None:
    response = api_as(cast.alice).post("/api/orders", body)
    assert response.status_code == 422


def test_it_refuses_an_external_id_in_use_with_409(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.alice).post("/api/accounts", {"name": "Copy", "external_id": "B-1"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["errors"][0]["field"] == "external_id"


def test_it_keeps_a_changed_record_as_it_was_when_the_change_is_bad(
    cast: Cast, api_as: ApiAs
) -> None:
    account = cast.alice_steel
    response = api_as(cast.alice).patch(
        f"/api/accounts/{account.pk}", {"name": "Renamed", "parent": "NOWHERE"}
    )
    assert response.status_code == 422
    assert Account.objects.get(pk=account.pk).name == account.name


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"industry": "MANUFACTURING"}, "industry"),
        ({"since": "1700000000"}, "since"),
        ({"account": "B-1"}, "account"),
    ],
)
def test_it_checks_list_parameters(
    cast: Cast, api_as: ApiAs, query: dict[str, Any], field: str
) -> None:
    path = "/api/accounts" if "industry" in query else "/api/orders"
    assert set(errors_of(api_as(cast.alice).get(path, **query))) == {field}


def test_it_answers_unknown_paths_and_methods_in_its_json_format(cast: Cast, api_as: ApiAs) -> None:
    alice = api_as(cast.alice)
    unknown = alice.get("/api/accounts/1/owner")
    refused = alice.client.put("/api/accounts", headers=alice.headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (refused.status_code, refused.json()["code"]) == (405, "method_not_allowed")
    assert set(refused["Allow"].split(", ")) == {"GET", "POST"}
