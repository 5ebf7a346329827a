"""What each kind of file means: its fields, how its references resolve, how it writes.

References are resolved in bulk (one query per few thousand keys), never per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q

from kam.accounts.io import ACCOUNT_FIELDS, ACCOUNT_PLAIN_FIELDS
from kam.accounts.models import Account, Tag
from kam.contacts.io import CONTACT_FIELDS, CONTACT_PLAIN_FIELDS
from kam.contacts.models import Contact
from kam.core import audit
from kam.core.access import account_scope, may_assign_owner
from kam.core.fields import Field, shown
from kam.core.models import AuditAction, AuditEvent, Region, User
from kam.dataio.engine import ImportReport, Progress, Record
from kam.transactions.io import (
    ORDER_FIELDS,
    ORDER_PLAIN_FIELDS,
    PAYMENT_FIELDS,
    PAYMENT_PLAIN_FIELDS,
)
from kam.transactions.models import Order, Payment

CHUNK = 2000


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def natural_keys(
    model: type[models.Model], key: str, values: set[str], scope: Q | None
) -> dict[str, Any]:
    """{key value: pk} for the rows of `model` whose `key` is in `values`, within `scope`."""
    found: dict[str, Any] = {}
    rows = model._default_manager.all()
    if scope is not None:
        rows = rows.filter(scope)
    for part in chunks(sorted(values)):
        found.update(rows.filter(**{f"{key}__in": part}).values_list(key, "pk"))
    return found


class Kind:
    """One kind of import file. Subclasses say how references resolve and how to write."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    fields: ClassVar[list[Field]]
    plain_fields: ClassVar[list[str]]
    # reference field -> the lookup path of its natural key, for comparing with stored rows
    ref_paths: ClassVar[dict[str, str]] = {}
    # references to rows of the same kind, set once every row of the file exists
    deferred_refs: ClassVar[set[str]] = set()
    checks_existing = True
    _attnames: set[str] | None = None
    file_ids: set[str] = set()  # every external id of the file, bad rows included

    # --- resolving -----------------------------------------------------------------

    def resolve(self, records: list[Record], actor: User, report: ImportReport) -> None:
        self.check_existing(records, actor, report)

    def check_existing(self, records: list[Record], actor: User, report: ImportReport) -> None:
        """An external id that belongs to a row the actor cannot change is a problem."""
        scope = self.scope(actor)
        if scope is None or not self.checks_existing:
            return
        ids = {r.external_id for r in records}
        everywhere = natural_keys(self.model, "external_id", ids, None)
        mine = natural_keys(self.model, "external_id", set(everywhere), scope)
        for record in records:
            if record.external_id in everywhere and record.external_id not in mine:
                report.problems.append(
                    record.problem(
                        "external_id",
                        f"belongs to a record you cannot change (got {shown(record.external_id)}, "
                        "expected a new external_id or one of your records)",
                    )
                )

    def scope(self, actor: User) -> Q | None:
        return account_scope(actor, prefix="account__")

    def resolve_accounts(self, records: list[Record], actor: User, report: ImportReport) -> None:
        keys = {r.values["account"] for r in records if r.values.get("account")}
        found = natural_keys(Account, "external_id", keys, account_scope(actor))
        for record in records:
            key = record.values.pop("account", None)
            if key is None:
                continue
            if key not in found:
                report.problems.append(
                    record.problem(
                        "account",
                        f"unknown account (got {shown(key)}, expected the external_id of an "
                        "account you can see)",
                    )
                )
                continue
            record.values["account_id"] = found[key]
            record.keys["account"] = key

    def resolve_users(
        self, records: list[Record], name: str, report: ImportReport
    ) -> dict[str, User]:
        keys = {r.values[name] for r in records if r.values.get(name)}
        users = {
            u.username.casefold(): u
            for part in chunks(sorted(keys))
            for u in User.objects.filter(username__in=part, is_active=True)
        }
        if len(users) < len(keys):  # usernames typed in another case
            for u in User.objects.filter(is_active=True).only("id", "username", "team_id", "role"):
                users.setdefault(u.username.casefold(), u)
        resolved: dict[str, User] = {}
        for record in records:
            key = record.values.pop(name, None)
            if key is None:
                continue
            user = users.get(str(key).casefold())
            if user is None:
                report.problems.append(
                    record.problem(
                        name,
                        f"unknown user (got {shown(key)}, expected the username of an active user)",
                    )
                )
                continue
            record.values[f"{name}_id"] = user.pk
            record.keys[name] = user.username
            resolved[record.external_id] = user
        return resolved

    # --- writing -------------------------------------------------------------------

    def stored(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """What is stored now for these external ids, in the form of `after`."""
        paths = {name: path for name, path in self.ref_paths.items()}
        snapshots: dict[str, dict[str, Any]] = {}
        for part in chunks(ids):
            rows = self.model._default_manager.filter(external_id__in=part).values(
                "pk", *self.plain_fields, *paths.values()
            )
            for row in rows:
                snap = {name: audit.plain(row[name]) for name in self.plain_fields}
                for name, path in paths.items():
                    snap[name] = row[path]
                snap["pk"] = row["pk"]
                snapshots[row["external_id"]] = snap
        return snapshots

    def after(self, record: Record) -> dict[str, Any]:
        snap = {name: audit.plain(record.values.get(name)) for name in self.plain_fields}
        for name in self.ref_paths:
            snap[name] = record.keys.get(name)
        return snap

    def instance(self, record: Record, pk: int | None = None) -> models.Model:
        attnames = self.model_attnames()
        values = {k: v for k, v in record.values.items() if k in attnames}
        return self.model(pk=pk, **values)

    def model_attnames(self) -> set[str]:
        if self._attnames is None:
            self._attnames = {f.attname for f in self.model._meta.concrete_fields}
        return self._attnames

    def write(
        self, records: list[Record], actor: User, report: ImportReport, *, progress: Progress | None
    ) -> None:
        stored = self.stored([r.external_id for r in records])
        creates: list[tuple[Record, dict[str, Any]]] = []
        updates: list[tuple[Record, dict[str, Any], dict[str, list[Any]]]] = []
        for record in records:
            after = self.after(record)
            before = stored.get(record.external_id)
            if before is None:
                creates.append((record, after))
                continue
            # A column the file does not have keeps what is stored.
            given = {k: v for k, v in after.items() if k in record.columns}
            changes = audit.diff(before, given)
            if changes:
                updates.append((record, before, changes))
            else:
                report.unchanged += 1
        events: list[AuditEvent] = []
        source = f"import:{report.file}"
        created = self.create([record for record, _ in creates])
        for (record, after), obj in zip(creates, created, strict=True):
            record.values["pk"] = obj.pk
            events.append(self.event(actor, AuditAction.CREATE, obj, audit.created(after), source))
        updated = self.update([(record, before["pk"]) for record, before, _ in updates])
        for (record, before, changes), obj in zip(updates, updated, strict=True):
            record.values["pk"] = before["pk"]
            events.append(self.event(actor, AuditAction.UPDATE, obj, changes, source))
        self.after_write(records, stored)
        audit.record_many(events)
        report.created += len(creates)
        report.updated += len(updates)
        if progress is not None:
            progress(len(records), len(records))

    def event(
        self,
        actor: User,
        action: str,
        obj: models.Model,
        changes: dict[str, list[Any]],
        source: str,
    ) -> AuditEvent:
        return audit.event(
            actor=actor,
            action=action,
            instance=obj,
            changes=changes,
            account_id=self.account_of(obj),
            source=source,
        )

    def account_of(self, obj: models.Model) -> int | None:
        return getattr(obj, "account_id", None)

    def create(self, records: list[Record]) -> list[models.Model]:
        objs = [self.instance(record) for record in records]
        return self.model._default_manager.bulk_create(objs, batch_size=CHUNK)

    def update(self, pairs: list[tuple[Record, int]]) -> list[models.Model]:
        objs = [self.instance(record, pk) for record, pk in pairs]
        if pairs:
            present = set(pairs[0][0].columns)  # every row of a file has the same columns
            names = [n for n in self.update_names() if n.removesuffix("_id") in present]
            names = [*names, *self.derived_names(present)]
            self.model._default_manager.bulk_update(objs, names, batch_size=CHUNK)
        return objs

    def derived_names(self, present: set[str]) -> list[str]:
        return []

    def update_names(self) -> list[str]:
        refs = [f"{name}_id" for name in self.ref_paths if name not in self.deferred_refs]
        return [*self.plain_fields, *refs]

    def after_write(self, records: list[Record], stored: dict[str, dict[str, Any]]) -> None:
        """Second pass for what needs every row to exist first (parents, tags)."""


class AccountKind(Kind):
    name = "accounts"
    model = Account
    fields = ACCOUNT_FIELDS
    plain_fields = ACCOUNT_PLAIN_FIELDS
    ref_paths = {
        "owner": "owner__username",
        "region": "region__code",
        "parent": "parent__external_id",
    }
    deferred_refs = {"parent"}

    def scope(self, actor: User) -> Q | None:
        return account_scope(actor)

    def resolve(self, records: list[Record], actor: User, report: ImportReport) -> None:
        super().resolve(records, actor, report)
        current = self.default_owners(records, actor)
        owners = self.resolve_users(records, "owner", report)
        for record in records:
            owner = owners.get(record.external_id)
            if owner is None or current.get(record.external_id) == owner.username:
                continue  # no owner resolved, or the owner stays
            if not may_assign_owner(actor, owner):
                report.problems.append(
                    record.problem(
                        "owner",
                        f"not allowed (got {shown(owner.username)}, expected yourself or, "
                        "for a sales manager, a member of your team)",
                    )
                )
        self.resolve_regions(records, report)
        self.resolve_parents(records, actor, report)
        self.warn_duplicates(records, report)

    def default_owners(self, records: list[Record], actor: User) -> dict[str, str]:
        """No owner given: a new account is the importer's, a stored one keeps its owner.

        Returns the stored owners, so that only a change of owner is checked.
        """
        current: dict[str, str] = {}
        for part in chunks([r.external_id for r in records if r.pk is None]):
            rows = Account.objects.filter(external_id__in=part)
            current.update(
                (ext or "", name)
                for ext, name in rows.values_list("external_id", "owner__username")
            )
        # A record validated against a stored row may be changing its external id.
        for record in records:
            if record.pk is not None:
                stored = Account.objects.filter(pk=record.pk).values_list("owner__username")
                current[record.external_id] = stored.get()[0]
        for record in records:
            if not record.values.get("owner"):
                record.values["owner"] = current.get(record.external_id, actor.username)
                record.columns.setdefault("owner", "owner")
        return current

    def resolve_regions(self, records: list[Record], report: ImportReport) -> None:
        regions: dict[str, Region] = {}
        region: Region | None
        for region in Region.objects.all():
            for key in (region.code, region.name, region.name_zh):
                if key:
                    regions[key.casefold()] = region
        for record in records:
            key = record.values.pop("region", None)
            if key is None:
                record.values["region_id"] = None
                continue
            region = regions.get(key.casefold())
            if region is None:
                known = ", ".join(sorted({r.code for r in regions.values()})) or "none defined yet"
                report.problems.append(
                    record.problem(
                        "region", f"unknown region (got {shown(key)}, expected one of: {known})"
                    )
                )
                continue
            record.values["region_id"] = region.pk
            record.keys["region"] = region.code

    def resolve_parents(self, records: list[Record], actor: User, report: ImportReport) -> None:
        in_file = self.file_ids | {r.external_id for r in records}
        wanted = {r.values["parent"] for r in records if r.values.get("parent")}
        stored = natural_keys(Account, "external_id", wanted - set(in_file), account_scope(actor))
        parent_of: dict[str, str | None] = {}
        for record in records:
            key = record.values.get("parent")
            if key and key not in in_file and key not in stored:
                report.problems.append(
                    record.problem(
                        "parent",
                        f"unknown parent account (got {shown(key)}, expected the external_id of "
                        "an account in this file or one you can see)",
                    )
                )
                continue
            if key == record.external_id:
                report.problems.append(
                    record.problem(
                        "parent",
                        f"an account cannot be its own parent (got {shown(key)}, "
                        "expected another account)",
                    )
                )
                continue
            record.keys["parent"] = key
            parent_of[record.external_id] = key
        self.check_cycles(records, parent_of, report)

    def check_cycles(
        self, records: list[Record], parent_of: dict[str, str | None], report: ImportReport
    ) -> None:
        # Parents of stored accounts not in the file may close a loop too.
        missing = {p for p in parent_of.values() if p and p not in parent_of}
        while missing:
            rows = Account.objects.filter(external_id__in=list(missing)).values_list(
                "external_id", "parent__external_id"
            )
            found = {ext or "": parent for ext, parent in rows}
            parent_of.update(found)
            missing = {p for p in found.values() if p and p not in parent_of}
        for record in records:
            seen = {record.external_id}
            node = parent_of.get(record.external_id)
            while node:
                if node in seen:
                    report.problems.append(
                        record.problem(
                            "parent",
                            "makes a loop in the hierarchy "
                            f"(got {shown(record.values.get('parent'))}, "
                            "expected a parent that is not below this account)",
                        )
                    )
                    break
                seen.add(node)
                node = parent_of.get(node)

    def warn_duplicates(self, records: list[Record], report: ImportReport) -> None:
        from kam.core.text import normalise_company_name

        first: dict[str, Record] = {}
        for record in records:
            key = normalise_company_name(record.values.get("name") or "")
            record.values["name_key"] = key
            if key in first and first[key].external_id != record.external_id:
                report.warnings.append(
                    f"row {record.row}: likely duplicate of row {first[key].row} "
                    f"({record.values['name']!r} ~ {first[key].values['name']!r})"
                )
            first.setdefault(key, record)
        stored = Account.objects.filter(name_key__in=list(first)).values_list(
            "name_key", "external_id", "name"
        )
        for key, external_id, name in stored:
            record = first[key]
            if external_id != record.external_id:
                report.warnings.append(
                    f"row {record.row}: likely duplicate of stored account {external_id} "
                    f"({record.values['name']!r} ~ {name!r})"
                )

    def after(self, record: Record) -> dict[str, Any]:
        snap = super().after(record)
        snap["tags"] = audit.plain(record.values.get("tags") or [])
        return snap

    def stored(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        snapshots = super().stored(ids)
        by_pk = {snap["pk"]: snap for snap in snapshots.values()}
        tags: dict[int, list[str]] = {pk: [] for pk in by_pk}
        through = Account.tags.through
        for part in chunks(list(by_pk)):
            for account_id, name in through.objects.filter(account_id__in=part).values_list(
                "account_id", "tag__name"
            ):
                tags[account_id].append(name)
        for pk, names in tags.items():
            by_pk[pk]["tags"] = audit.plain(names)
        return snapshots

    def after_write(self, records: list[Record], stored: dict[str, dict[str, Any]]) -> None:
        pk_of = dict(natural_keys(Account, "external_id", {r.external_id for r in records}, None))
        wanted = {str(r.keys["parent"]) for r in records if r.keys.get("parent")}
        pk_of.update(natural_keys(Account, "external_id", wanted - set(pk_of), None))
        parents = [
            Account(pk=pk_of[r.external_id], parent_id=pk_of.get(r.keys.get("parent") or ""))
            for r in records
            if "parent" in r.columns
        ]
        Account.objects.bulk_update(parents, ["parent_id"], batch_size=CHUNK)
        self.write_tags(records, stored, pk_of)

    def write_tags(
        self, records: list[Record], stored: dict[str, dict[str, Any]], pk_of: dict[str, int]
    ) -> None:
        changed = [
            r
            for r in records
            if "tags" in r.columns
            and audit.plain(r.values.get("tags") or [])
            != (stored.get(r.external_id) or {}).get("tags", "")
        ]
        if not changed:
            return
        names = {name for r in changed for name in r.values.get("tags") or []}
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_pk = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through = Account.tags.through
        account_pks = [pk_of[r.external_id] for r in changed]
        for part in chunks(account_pks):
            through.objects.filter(account_id__in=part).delete()
        through.objects.bulk_create(
            [
                through(account_id=pk_of[r.external_id], tag_id=tag_pk[name])
                for r in changed
                for name in r.values.get("tags") or []
            ],
            batch_size=CHUNK,
        )

    def account_of(self, obj: models.Model) -> int | None:
        return obj.pk

    def derived_names(self, present: set[str]) -> list[str]:
        return ["name_key"] if "name" in present else []


class ContactKind(Kind):
    name = "contacts"
    model = Contact
    fields = CONTACT_FIELDS
    plain_fields = CONTACT_PLAIN_FIELDS
    ref_paths = {
        "account": "account__external_id",
        "our_counterpart": "our_counterpart__username",
        "reports_to": "reports_to__external_id",
    }
    deferred_refs = {"reports_to"}

    def resolve(self, records: list[Record], actor: User, report: ImportReport) -> None:
        super().resolve(records, actor, report)
        self.resolve_accounts(records, actor, report)
        self.resolve_users(records, "our_counterpart", report)
        self.resolve_bosses(records, actor, report)

    def resolve_bosses(self, records: list[Record], actor: User, report: ImportReport) -> None:
        in_file: dict[str, Record | None] = {r.external_id: r for r in records}
        in_file.update(dict.fromkeys(self.file_ids - set(in_file)))
        wanted = {r.values["reports_to"] for r in records if r.values.get("reports_to")}
        rows = Contact.objects.filter(external_id__in=list(wanted - set(in_file)))
        scope = account_scope(actor, prefix="account__")
        if scope is not None:
            rows = rows.filter(scope)
        stored = {
            ext: account_id for ext, account_id in rows.values_list("external_id", "account_id")
        }
        for record in records:
            key = record.values.pop("reports_to", None)
            if not key:
                continue
            if key in in_file:
                boss = in_file[key]
                boss_account = (
                    boss.values.get("account_id") if boss else record.values.get("account_id")
                )
            elif key in stored:
                boss_account = stored[key]
            else:
                report.problems.append(
                    record.problem(
                        "reports_to",
                        f"unknown contact (got {shown(key)}, expected the external_id of a contact "
                        "in this file or one you can see)",
                    )
                )
                continue
            if key == record.external_id:
                report.problems.append(
                    record.problem(
                        "reports_to",
                        f"a contact cannot report to themselves (got {shown(key)}, "
                        "expected another contact)",
                    )
                )
            elif boss_account != record.values.get("account_id"):
                report.problems.append(
                    record.problem(
                        "reports_to",
                        f"works for another account (got {shown(key)}, expected a contact of the "
                        "same account)",
                    )
                )
            else:
                record.keys["reports_to"] = key

    def after_write(self, records: list[Record], stored: dict[str, dict[str, Any]]) -> None:
        wanted = {r.external_id for r in records} | {
            r.keys["reports_to"] for r in records if r.keys.get("reports_to")
        }
        pk_of = natural_keys(Contact, "external_id", wanted, None)
        bosses = [
            Contact(
                pk=pk_of[r.external_id], reports_to_id=pk_of.get(r.keys.get("reports_to") or "")
            )
            for r in records
            if "reports_to" in r.columns
        ]
        Contact.objects.bulk_update(bosses, ["reports_to_id"], batch_size=CHUNK)


class OrderKind(Kind):
    name = "transactions"
    model = Order
    fields = ORDER_FIELDS
    plain_fields = ORDER_PLAIN_FIELDS
    ref_paths = {"account": "account__external_id"}

    def resolve(self, records: list[Record], actor: User, report: ImportReport) -> None:
        super().resolve(records, actor, report)
        self.resolve_accounts(records, actor, report)


class PaymentKind(Kind):
    name = "payments"
    model = Payment
    fields = PAYMENT_FIELDS
    plain_fields = PAYMENT_PLAIN_FIELDS
    ref_paths = {"account": "account__external_id", "order": "order__external_id"}

    def resolve(self, records: list[Record], actor: User, report: ImportReport) -> None:
        super().resolve(records, actor, report)
        self.resolve_accounts(records, actor, report)
        self.resolve_orders(records, report)

    def resolve_orders(self, records: list[Record], report: ImportReport) -> None:
        wanted = {r.values["order"] for r in records if r.values.get("order")}
        found: dict[str, tuple[int, int]] = {}
        for part in chunks(sorted(wanted)):
            for ext, pk, account_id in Order.objects.filter(external_id__in=part).values_list(
                "external_id", "pk", "account_id"
            ):
                found[ext or ""] = (pk, account_id)
        for record in records:
            key = record.values.pop("order", None)
            if not key:
                record.values["order_id"] = None
                continue
            hit = found.get(key)
            if hit is None or hit[1] != record.values.get("account_id"):
                report.problems.append(
                    record.problem(
                        "order",
                        f"unknown order (got {shown(key)}, expected the external_id of an order "
                        "of the same account, imported before)",
                    )
                )
                continue
            record.values["order_id"] = hit[0]
            record.keys["order"] = key


KINDS: dict[str, type[Kind]] = {
    "accounts": AccountKind,
    "contacts": ContactKind,
    "transactions": OrderKind,
    "orders": OrderKind,
    "payments": PaymentKind,
}


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]()
    except KeyError:
        raise ValueError(
            f"unknown kind {name!r} (expected one of: accounts, contacts, transactions, payments)"
        ) from None
