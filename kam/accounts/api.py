"""Accounts in the REST API: list, read, create, change and delete (DATA-1, DATA-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from kam.accounts.io import ACCOUNT_FIELDS, MONEY_MAX
from kam.accounts.models import (
    Account,
    AccountStatus,
    CreditRating,
    HierarchyLevel,
    Industry,
    OwnershipType,
)
from kam.accounts.services import (
    delete_account,
    get_account_for_user,
    save_account,
    visible_accounts,
)
from kam.core.access import require_writer
from kam.core.api import actor
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    NO_NUL,
    ErrorOut,
    InputSchema,
    NumberOut,
    Page,
    PageParams,
    RecordId,
    TagText,
    choice_field,
    country_field,
    number_field,
    paginate,
    tags_field,
    text_field,
    whole_field,
)
from kam.core.text import normalise_company_name
from kam.dataio.records import current_values, validate_one
from kam.insights.models import Lifecycle, Tier
from kam.insights.services import rfm_segment_codes, with_value_results

router = Router(tags=["accounts"])

KIND = "accounts"
F = ACCOUNT_FIELDS


class AccountOut(Schema):
    id: int
    external_id: str | None
    name: str
    industry: Industry
    employees: int | None
    annual_revenue: NumberOut | None
    country: str
    province: str
    city: str
    region_id: int | None
    region: str | None = Field(description="The sales region's code.")
    ownership_type: OwnershipType
    credit_rating: CreditRating
    credit_limit: NumberOut | None
    status: AccountStatus
    tags: list[str]
    parent_id: int | None
    parent: str | None = Field(description="The parent account's external_id.")
    hierarchy_level: HierarchyLevel
    owner_id: int
    owner: str = Field(description="The owner's username.")
    website: str
    business_situation: str
    decision_process: str
    latent_needs: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_region(account: Account) -> str | None:
        return account.region.code if account.region else None

    @staticmethod
    def resolve_tags(account: Account) -> list[str]:
        return sorted(tag.name for tag in account.tags.all())

    @staticmethod
    def resolve_parent(account: Account) -> str | None:
        return account.parent.external_id if account.parent else None

    @staticmethod
    def resolve_owner(account: Account) -> str:
        return account.owner.username


class AccountFields(InputSchema):
    industry: Annotated[str | None, choice_field(F, "industry", Industry)] = Field(
        None, description="Default: other."
    )
    employees: Annotated[int | None, whole_field(F, "employees", 0, 10_000_000)] = None
    annual_revenue: Annotated[
        float | None,
        number_field(F, "annual_revenue", places=2, minimum=Decimal(0), maximum=MONEY_MAX),
    ] = None
    country: Annotated[str | None, country_field(F, "country")] = Field(
        None, description="Two-letter ISO code; default: CN."
    )
    province: Annotated[str | None, text_field(F, "province", 60)] = None
    city: Annotated[str | None, text_field(F, "city", 60)] = None
    region: Annotated[str | None, text_field(F, "region", 100)] = Field(
        None, description="A sales region's code (or name)."
    )
    ownership_type: Annotated[str | None, choice_field(F, "ownership_type", OwnershipType)] = Field(
        None, description="Default: private."
    )
    credit_rating: Annotated[str | None, choice_field(F, "credit_rating", CreditRating)] = Field(
        None, description="Default: unrated."
    )
    credit_limit: Annotated[
        float | None,
        number_field(F, "credit_limit", places=2, minimum=Decimal(0), maximum=MONEY_MAX),
    ] = None
    status: Annotated[str | None, choice_field(F, "status", AccountStatus)] = Field(
        None, description="Default: active."
    )
    tags: Annotated[list[TagText] | None, tags_field(F, "tags")] = Field(
        None, description="Labels; the list replaces the stored one."
    )
    parent: Annotated[str | None, text_field(F, "parent", 64)] = Field(
        None, description="The external_id of the parent account (group or head office)."
    )
    hierarchy_level: Annotated[str | None, choice_field(F, "hierarchy_level", HierarchyLevel)] = (
        Field(None, description="Default: standalone.")
    )
    owner: Annotated[str | None, text_field(F, "owner", 150)] = Field(
        None, description="The owner's username; default: you."
    )
    website: Annotated[str | None, text_field(F, "website", 200)] = None
    business_situation: Annotated[str | None, text_field(F, "business_situation", 5000)] = None
    decision_process: Annotated[str | None, text_field(F, "decision_process", 5000)] = None
    latent_needs: Annotated[str | None, text_field(F, "latent_needs", 5000)] = None
    notes: Annotated[str | None, text_field(F, "notes", 5000)] = None


Name = Annotated[str | None, text_field(F, "name", 200, blank=False)]


class AccountCreate(AccountFields):
    external_id: Annotated[str | None, text_field(F, "external_id", 64)] = Field(
        None, description="Your ERP's key for the account; assigned (KAM-A…) when left out."
    )
    name: Name


class AccountPatch(AccountFields):
    """Only the fields sent change; null empties a field."""

    external_id: Annotated[str | None, text_field(F, "external_id", 64, blank=False)] = Field(
        None, description="Change the external id (it stays unique)."
    )
    name: Name = None


def segment_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = rfm_segment_codes()


class AccountFilters(PageParams):
    q: str | None = Field(
        None, max_length=200, pattern=NO_NUL, description="Part of the name, or the external_id."
    )
    industry: Industry | None = None
    region: str | None = Field(None, max_length=40, pattern=NO_NUL, description="Region code.")
    owner: str | None = Field(None, max_length=150, pattern=NO_NUL, description="Username.")
    ownership_type: OwnershipType | None = None
    status: AccountStatus | None = None
    tier: Tier | None = Field(
        None, description="Effective tier now: a tier set by hand, else the latest run's."
    )
    rfm_segment: str | None = Field(
        None,
        description="RFM segment in the latest successful scoring run.",
        json_schema_extra=segment_enum,
    )
    r_score: int | None = Field(
        None, ge=1, le=5, description="R score (1-5) in the latest successful scoring run."
    )
    f_score: int | None = Field(
        None, ge=1, le=5, description="F score (1-5) in the latest successful scoring run."
    )
    m_score: int | None = Field(
        None, ge=1, le=5, description="M score (1-5) in the latest successful scoring run."
    )
    lifecycle: Lifecycle | None = Field(
        None, description="Lifecycle stage in the latest successful scoring run."
    )

    @field_validator("rfm_segment")
    @classmethod
    def known_segment(cls, value: str | None) -> str | None:
        codes = rfm_segment_codes()
        if value is not None and value not in codes:
            raise ValueError(f"{value!r} is no RFM segment; expected one of {', '.join(codes)}")
        return value


def filter_accounts(rows: QuerySet[Account], filters: AccountFilters) -> QuerySet[Account]:
    if filters.q:
        rows = rows.filter(search(filters.q))
    exact: dict[str, Any] = {
        "industry": filters.industry,
        "region__code": filters.region,
        "owner__username": filters.owner,
        "ownership_type": filters.ownership_type,
        "status": filters.status,
    }
    rows = rows.filter(**{name: value for name, value in exact.items() if value is not None})
    return with_value_results(rows, **value_criteria(filters))


def value_criteria(filters: AccountFilters) -> dict[str, Any]:
    """The criteria on the latest scoring run's results that were given."""
    names = ("tier", "rfm_segment", "r_score", "f_score", "m_score", "lifecycle")
    given = {name: getattr(filters, name) for name in names}
    return {name: value for name, value in given.items() if value is not None}


def search(q: str) -> Q:
    found = Q(name__icontains=q) | Q(external_id=q)
    key = normalise_company_name(q)
    if key:
        found |= Q(name_key__contains=key)
    return found


def with_references(rows: QuerySet[Account]) -> QuerySet[Account]:
    return rows.select_related("owner", "region", "parent").prefetch_related("tags")


@router.get("", response={200: Page[AccountOut], **ERRORS_READ}, summary="Accounts you can see")
def list_accounts(request: HttpRequest, filters: Query[AccountFilters]) -> dict[str, Any]:
    rows = filter_accounts(visible_accounts(actor(request)), filters)
    return paginate(with_references(rows), filters)


@router.get("/{account_id}", response={200: AccountOut, **ERRORS_ONE}, summary="One account")
def read_account(request: HttpRequest, account_id: RecordId) -> Account:
    return get_account_for_user(actor(request), account_id)


@router.post("", response={201: AccountOut, **ERRORS_CREATE}, summary="Create an account")
def create_account(request: HttpRequest, payload: AccountCreate) -> Status[Account]:
    user = actor(request)
    require_writer(user)
    with transaction.atomic():
        values = validate_one(KIND, payload.import_row(), actor=user)
        account = save_account(actor=user, values=values, source="api")
    return Status(201, account)


@router.patch(
    "/{account_id}", response={200: AccountOut, **ERRORS_CHANGE}, summary="Change an account"
)
def change_account(request: HttpRequest, account_id: RecordId, payload: AccountPatch) -> Account:
    user = actor(request)
    account = get_account_for_user(user, account_id, for_write=True)
    with transaction.atomic():
        row = {**current_values(KIND, account), **payload.import_row()}
        values = validate_one(KIND, row, actor=user, instance=account)
        return save_account(actor=user, values=values, account=account, source="api")


@router.delete(
    "/{account_id}",
    response={204: None, 409: ErrorOut, **ERRORS_DELETE},
    summary="Delete an account with its contacts, orders and payments",
)
def remove_account(request: HttpRequest, account_id: RecordId) -> Status[None]:
    user = actor(request)
    account = get_account_for_user(user, account_id, for_write=True)
    delete_account(actor=user, account=account, source="api")
    return Status(204, None)
