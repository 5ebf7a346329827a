"""Contacts: visibility follows the account; the writes that matter."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from kam.contacts.io import CONTACT_AUDIT_FIELDS
from kam.contacts.models import Contact
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.models import AuditAction, User


def visible_contacts(user: User) -> QuerySet[Contact]:
    scope = account_scope(user, prefix="account__")
    contacts = Contact.objects.all()
    return contacts if scope is None else contacts.filter(scope)


def get_contact_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Contact:
    try:
        contact = (
            visible_contacts(user)
            .select_related("account", "reports_to", "our_counterpart")
            .get(pk=pk)
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact") from None
    if for_write:
        require_writer(user)
    return contact


def contact_snapshot(contact: Contact) -> dict[str, Any]:
    values = audit.snapshot(
        contact,
        [n for n in CONTACT_AUDIT_FIELDS if n not in {"account", "reports_to", "our_counterpart"}],
    )
    values["account"] = contact.account.external_id if contact.account_id else None
    values["reports_to"] = contact.reports_to.external_id if contact.reports_to else None
    counterpart = contact.our_counterpart
    values["our_counterpart"] = counterpart.username if counterpart else None
    return values


@transaction.atomic
def save_contact(
    *, actor: User, values: dict[str, Any], contact: Contact | None = None, source: str = "web"
) -> Contact:
    require_writer(actor)
    creating = contact is None
    target = contact or Contact()
    before = {} if creating else contact_snapshot(target)
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    if creating and not target.external_id:
        target.external_id = f"KAM-C{target.pk:06d}"
        target.save(update_fields=["external_id"])
    after = contact_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=target.account_id,
        source=source,
    )
    return target


@transaction.atomic
def delete_contact(*, actor: User, contact: Contact, source: str = "web") -> None:
    require_writer(actor)
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=contact,
        changes=audit.deleted(contact_snapshot(contact)),
        account_id=contact.account_id,
        source=source,
    )
    contact.delete()
    entry.save()


def org_chart(contacts: list[Contact]) -> list[tuple[Contact, list[Any]]]:
    """Contacts as a forest by reports_to: [(contact, children)], roots first."""
    ids = {c.pk for c in contacts}
    children: dict[int | None, list[Contact]] = {}
    for contact in contacts:
        boss = contact.reports_to_id if contact.reports_to_id in ids else None
        children.setdefault(boss, []).append(contact)

    def grow(contact: Contact, path: frozenset[int]) -> tuple[Contact, list[Any]]:
        kids = [k for k in children.get(contact.pk, []) if k.pk not in path]
        return contact, [grow(k, path | {contact.pk}) for k in kids]

    return [grow(root, frozenset()) for root in children.get(None, [])]
