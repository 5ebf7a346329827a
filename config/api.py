"""The REST API (PLAT-3): one NinjaAPI under /api/, its routers and its error format.

Every error is JSON: {"code": ..., "message": ..., "errors": [{"field", "message"}]},
with `errors` only for invalid input. The OpenAPI document is /api/openapi.json; a copy
is committed as docs/openapi.json and a test fails when the two drift apart.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from kam.accounts.api import router as accounts_router
from kam.accounts.services import AccountInUse
from kam.contacts.api import router as contacts_router
from kam.core.api import router as core_router
from kam.core.tokens import SessionAuth, TokenAuth
from kam.dataio.records import ExternalIdTaken, RecordInvalid
from kam.insights.api import router as insights_router
from kam.notifications.api import router as notifications_router
from kam.relations.api import router as relations_router
from kam.risk.api import router as risk_router
from kam.segments.api import router as segments_router
from kam.segments.api import strategies_router
from kam.segments.api_analysis import router as segment_analysis_router
from kam.service.api import router as service_router
from kam.transactions.api import orders_router, payments_router

DESCRIPTION = """\
The customer archive of KAM: accounts, contacts, orders and payments.

**Authentication.** Send `Authorization: Bearer <token>` with a token from
`kam user token <username>`, or call from a logged-in browser session (unsafe methods
then need the `X-CSRFToken` header). You see and change exactly what you see in the web
pages: an account manager their accounts, a sales manager the team's, a director all;
analysts read everything and change nothing (403). Records you cannot see answer 404.

**Input** is checked like an import row and gets the same messages. References use
natural keys, as in the import files: an account by its `external_id`, a user by
`username`, a region by its code. A new record without `external_id` gets one; an
`external_id` another record has is a conflict (409).
"""

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
}


class StrictJSONParser(Parser):
    """Standard JSON only: no NaN or Infinity, no unpaired surrogates (they cannot be stored)."""

    def parse_body(self, request: HttpRequest) -> Any:
        body = json.loads(request.body, parse_constant=reject_constant)
        # Text with an unpaired surrogate (legal in JSON's \u escapes) is not Unicode.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
        return body


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class KamAPI(NinjaAPI):
    """Ninja's API, answering unknown paths and methods in its JSON error format too."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        known = [with_json_405(p) if isinstance(p, URLPattern) else p for p in patterns]
        return [*known, re_path(r"^.*$", self.unknown_path)], app_name, namespace

    def unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return error(request, 404, "No such API path")


def with_json_405(pattern: URLPattern) -> URLPattern:
    view = pattern.callback

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        refused = error(request, 405, f"{request.method} is not allowed here")
        refused["Allow"] = response["Allow"]
        return refused

    return URLPattern(pattern.pattern, answer, pattern.default_args, pattern.name)


api = KamAPI(
    title="KAM API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    parser=StrictJSONParser(),
)


def error(
    request: HttpRequest,
    status: int,
    message: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": STATUS_CODES.get(status, "error"), "message": message}
    if errors is not None:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_of(loc: tuple[Any, ...]) -> str:
    # ("body", "payload", "tags", 2) -> "tags.2"; ("body", "payload") -> "body";
    # ("query", "limit") -> "limit"
    parts = loc[2:] if loc[:1] == ("body",) else loc[1:]
    return ".".join(str(part) for part in parts) or str(loc[0])


def message_of(problem: dict[str, Any]) -> str:
    kind = problem.get("type")
    body_itself = tuple(problem.get("loc", ())) == ("body", "payload")
    if kind == "kam_invalid":  # the import's own message (see kam.core.schemas)
        return str(problem["msg"])
    if kind == "missing":
        if body_itself:
            return "missing request body (expected a JSON object)"
        return "missing value (got '', expected a value)"
    if kind == "extra_forbidden":
        return "unknown field (expected only the fields this operation documents)"
    if body_itself:
        return "not a JSON object (expected an object with the record's fields)"
    return str(problem.get("msg", "invalid value"))


@api.exception_handler(ValidationError)
def on_invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": field_of(tuple(problem.get("loc", ()))), "message": message_of(problem)}
        for problem in exc.errors
    ]
    return error(request, 422, "The request has invalid values.", errors=errors)


@api.exception_handler(RecordInvalid)
def on_invalid_record(request: HttpRequest, exc: RecordInvalid) -> HttpResponse:
    errors = [{"field": p.column or "", "message": p.message} for p in exc.problems]
    if isinstance(exc, ExternalIdTaken):
        return error(request, 409, "Another record has this external_id.", errors=errors)
    return error(request, 422, "The record has invalid values.", errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(
        request,
        401,
        "Authentication required: send 'Authorization: Bearer <token>' with a valid token.",
        headers={"WWW-Authenticate": 'Bearer realm="kam"'},
    )


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or "not allowed"
    return error(request, 403, f"You may not do this ({detail}).")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, str(exc) or "Not found")


@api.exception_handler(AccountInUse)
def on_in_use(request: HttpRequest, exc: AccountInUse) -> HttpResponse:
    return error(request, 409, f"{exc}.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja could not read the body
        return error(request, 400, "The request body is not valid JSON in UTF-8.")
    return error(request, exc.status_code, exc.message)


api.add_router("", core_router)
api.add_router("/accounts", accounts_router)
api.add_router("/contacts", contacts_router)
api.add_router("/orders", orders_router)
api.add_router("/payments", payments_router)
api.add_router("", insights_router)
api.add_router("", risk_router)
api.add_router("", notifications_router)
api.add_router("", relations_router)
api.add_router("", service_router)  # /service/… and /accounts/{id}/service-policy
api.add_router("/tickets", "kam.service.ticket_api.router")
api.add_router("", "kam.service.kpi_api.router")  # /service/kpis (SVC-4)
api.add_router("/surveys", "kam.service.survey_api.router")  # SVC-3 satisfaction surveys
api.add_router("", "kam.club.api.router")  # /club/… and /accounts/{id}/club…
api.add_router("", segment_analysis_router)  # before /segments/{id}: /segments/rules
api.add_router("/segments", segments_router)
api.add_router("/strategies", strategies_router)
api.add_router("/plans", "kam.plans.api.router")


def openapi_document() -> str:
    """The OpenAPI document as committed in docs/openapi.json."""
    return json.dumps(api.get_openapi_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
