"""Contacts in the REST API: the people inside an account (DATA-3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kam.contacts.io import CONTACT_FIELDS
from kam.contacts.models import BuyingRole, Contact, Familiarity, Influence, Stance
from kam.contacts.services import (
    delete_contact,
    get_contact_for_user,
    save_contact,
    visible_contacts,
)
from kam.core.access import require_writer
from kam.core.api import actor
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    MAX_ID,
    InputSchema,
    Page,
    PageParams,
    RecordId,
    bool_field,
    choice_field,
    email_field,
    paginate,
    text_field,
)
from kam.dataio.records import current_values, validate_one

router = Router(tags=["contacts"])

KIND = "contacts"
F = CONTACT_FIELDS


class ContactOut(Schema):
    id: int
    external_id: str | None
    account_id: int
    account: str | None = Field(description="The account's external_id.")
    name: str
    title: str
    department: str
    email: str
    phone: str
    buying_role: BuyingRole
    influence: Influence
    stance: Stance
    familiarity: Familiarity
    our_counterpart_id: int | None
    our_counterpart: str | None = Field(description="Our counterpart's username.")
    reports_to_id: int | None
    reports_to: str | None = Field(description="The boss's external_id (a contact).")
    is_active: bool
    notes_superiors: str
    notes_peers: str
    notes_subordinates: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account(contact: Contact) -> str | None:
        return contact.account.external_id

    @staticmethod
    def resolve_our_counterpart(contact: Contact) -> str | None:
        return contact.our_counterpart.username if contact.our_counterpart else None

    @staticmethod
    def resolve_reports_to(contact: Contact) -> str | None:
        return contact.reports_to.external_id if contact.reports_to else None


AccountKey = Annotated[str | None, text_field(F, "account", 64, blank=False)]
Name = Annotated[str | None, text_field(F, "name", 120, blank=False)]


class ContactFields(InputSchema):
    title: Annotated[str | None, text_field(F, "title", 120)] = None
    department: Annotated[str | None, text_field(F, "department", 120)] = None
    email: Annotated[str | None, email_field(F, "email")] = None
    phone: Annotated[str | None, text_field(F, "phone", 40)] = None
    buying_role: Annotated[str | None, choice_field(F, "buying_role", BuyingRole)] = Field(
        None, description="The place in the buying centre; default: none."
    )
    influence: Annotated[str | None, choice_field(F, "influence", Influence)] = Field(
        None, description="Default: medium."
    )
    stance: Annotated[str | None, choice_field(F, "stance", Stance)] = Field(
        None, description="Default: unknown."
    )
    familiarity: Annotated[int | None, choice_field(F, "familiarity", Familiarity)] = Field(
        None, description="How well we know them, 0 (not met) to 5 (trusted); default: 0."
    )
    our_counterpart: Annotated[str | None, text_field(F, "our_counterpart", 150)] = Field(
        None, description="The username of our counterpart for this person."
    )
    reports_to: Annotated[str | None, text_field(F, "reports_to", 64)] = Field(
        None, description="The external_id of the contact this person reports to (same account)."
    )
    is_active: Annotated[bool | None, bool_field(F, "is_active")] = Field(
        None, description="Still works there; default: true."
    )
    notes_superiors: Annotated[str | None, text_field(F, "notes_superiors", 5000)] = None
    notes_peers: Annotated[str | None, text_field(F, "notes_peers", 5000)] = None
    notes_subordinates: Annotated[str | None, text_field(F, "notes_subordinates", 5000)] = None
    notes: Annotated[str | None, text_field(F, "notes", 5000)] = None


class ContactCreate(ContactFields):
    external_id: Annotated[str | None, text_field(F, "external_id", 64)] = Field(
        None, description="Your key for the contact; assigned (KAM-C…) when left out."
    )
    account: AccountKey = Field(description="The external_id of the contact's account.")
    name: Name


class ContactPatch(ContactFields):
    """Only the fields sent change; null empties a field."""

    external_id: Annotated[str | None, text_field(F, "external_id", 64, blank=False)] = Field(
        None, description="Change the external id (it stays unique)."
    )
    account: AccountKey = Field(None, description="The external_id of the contact's account.")
    name: Name = None


class ContactFilters(PageParams):
    account: int | None = Field(None, ge=1, le=MAX_ID, description="An account's id.")
    buying_role: BuyingRole | None = None


def filter_contacts(rows: QuerySet[Contact], filters: ContactFilters) -> QuerySet[Contact]:
    if filters.account is not None:
        rows = rows.filter(account_id=filters.account)
    if filters.buying_role is not None:
        rows = rows.filter(buying_role=filters.buying_role)
    return rows


def with_references(rows: QuerySet[Contact]) -> QuerySet[Contact]:
    return rows.select_related("account", "our_counterpart", "reports_to")


@router.get("", response={200: Page[ContactOut], **ERRORS_READ}, summary="Contacts you can see")
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]) -> dict[str, Any]:
    rows = filter_contacts(visible_contacts(actor(request)), filters)
    return paginate(with_references(rows), filters)


@router.get("/{contact_id}", response={200: ContactOut, **ERRORS_ONE}, summary="One contact")
def read_contact(request: HttpRequest, contact_id: RecordId) -> Contact:
    return get_contact_for_user(actor(request), contact_id)


@router.post("", response={201: ContactOut, **ERRORS_CREATE}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactCreate) -> Status[Contact]:
    user = actor(request)
    require_writer(user)
    with transaction.atomic():
        values = validate_one(KIND, payload.import_row(), actor=user)
        contact = save_contact(actor=user, values=values, source="api")
    return Status(201, contact)


@router.patch(
    "/{contact_id}", response={200: ContactOut, **ERRORS_CHANGE}, summary="Change a contact"
)
def change_contact(request: HttpRequest, contact_id: RecordId, payload: ContactPatch) -> Contact:
    user = actor(request)
    contact = get_contact_for_user(user, contact_id, for_write=True)
    with transaction.atomic():
        row = {**current_values(KIND, contact), **payload.import_row()}
        values = validate_one(KIND, row, actor=user, instance=contact)
        return save_contact(actor=user, values=values, contact=contact, source="api")


@router.delete("/{contact_id}", response={204: None, **ERRORS_DELETE}, summary="Delete a contact")
def remove_contact(request: HttpRequest, contact_id: RecordId) -> Status[None]:
    user = actor(request)
    contact = get_contact_for_user(user, contact_id, for_write=True)
    delete_contact(actor=user, contact=contact, source="api")
    return Status(204, None)
