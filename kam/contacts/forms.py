"""Forms of the contact pages: the list filter and the contact editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.contacts.models import BuyingRole, Contact, Stance
from kam.core.models import User
from kam.core.views import RecordForm, choice_input, long_text_input, text_input, user_choices

CONTACT_SORTS = {
    "name": "name",
    "account": "account__name",
    "buying_role": "buying_role",
    "updated": "updated_at",
}


class ContactFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, title, department, email or account")}
        ),
    )
    buying_role = forms.ChoiceField(
        label=_("Buying role"),
        required=False,
        choices=[("", _("All buying roles")), *BuyingRole.choices],
    )
    stance = forms.ChoiceField(
        label=_("Stance"), required=False, choices=[("", _("All stances")), *Stance.choices]
    )
    account = forms.IntegerField(required=False, widget=forms.HiddenInput())
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def filter(self, contacts: QuerySet[Contact]) -> QuerySet[Contact]:
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            text = data["q"]
            contacts = contacts.filter(
                Q(name__icontains=text)
                | Q(title__icontains=text)
                | Q(department__icontains=text)
                | Q(email__icontains=text)
                | Q(account__name__icontains=text)
            )
        for name in ("buying_role", "stance"):
            if data.get(name):
                contacts = contacts.filter(**{name: data[name]})
        if data.get("account"):
            contacts = contacts.filter(account_id=data["account"])
        return contacts


YES_NO = [("true", _("Yes")), ("false", _("No"))]


class ContactForm(RecordForm):
    kind = "contacts"
    sections = [
        (_("Person"), ["name", "title", "department", "email", "phone", "is_active"]),
        (_("Place in the account"), ["account", "external_id", "reports_to", "our_counterpart"]),
        (_("Buying centre"), ["buying_role", "influence", "stance", "familiarity"]),
        (
            _("Relationship notes"),
            ["notes_superiors", "notes_peers", "notes_subordinates", "notes"],
        ),
    ]

    account = text_input(
        Contact, "account", required=True, help_text=_("External id of the account.")
    )
    external_id = text_input(
        Contact, "external_id", help_text=_("Leave empty on a new contact to get one assigned.")
    )
    name = text_input(Contact, "name", required=True)
    title = text_input(Contact, "title")
    department = text_input(Contact, "department")
    email = text_input(Contact, "email", widget=forms.EmailInput())
    phone = text_input(Contact, "phone")
    is_active = choice_input(Contact, "is_active", choices=YES_NO)
    buying_role = choice_input(Contact, "buying_role")
    influence = choice_input(Contact, "influence")
    stance = choice_input(Contact, "stance")
    familiarity = choice_input(Contact, "familiarity")
    our_counterpart = choice_input(Contact, "our_counterpart", choices=[])
    reports_to = text_input(
        Contact, "reports_to", help_text=_("External id of their superior in the same account.")
    )
    notes_superiors = long_text_input(Contact, "notes_superiors")
    notes_peers = long_text_input(Contact, "notes_peers")
    notes_subordinates = long_text_input(Contact, "notes_subordinates")
    notes = long_text_input(Contact, "notes")

    def __init__(
        self,
        *args: Any,
        account: Account | None = None,
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True).order_by("username")
        self.fields["our_counterpart"].widget.choices = user_choices(users)  # type: ignore[attr-defined]
        if account is not None:
            boss = self.fields["reports_to"]
            boss.widget = forms.Select(choices=superior_choices(account, contact))
            boss.help_text = ""


def superior_choices(account: Account, contact: Contact | None) -> list[tuple[str, str]]:
    """Who in the same account this contact may report to (not themselves)."""
    colleagues = Contact.objects.filter(account=account).exclude(external_id=None)
    if contact is not None:
        colleagues = colleagues.exclude(pk=contact.pk)
    options = [
        (c.external_id or "", f"{c.name} · {c.title}" if c.title else c.name) for c in colleagues
    ]
    return [("", "—"), *options]
