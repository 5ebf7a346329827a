"""Forms of the ticket pages. They only collect what was typed; kam.service.tickets
checks it, so a page shows the messages the API and the command line give."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import User
from kam.dataio.records import RecordInvalid
from kam.insights.models import Tier
from kam.service.models import (
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from kam.service.tickets import DEFAULT_SORT, SLA_FILTERS, TicketFilters

SLA_LABELS = {
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "breached": _("Breached"),
    "met": _("Met (closed)"),
    "missed": _("Missed (closed)"),
}


def blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def person(user: User) -> str:
    name = user.get_full_name() or user.username
    return name if user.is_active else f"{name} ({_('deactivated')})"


class ShowsProblems:
    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            if name in self.fields:  # type: ignore[attr-defined]
                self.add_error(name, message)  # type: ignore[attr-defined]
            else:
                self.add_error(None, f"{name}: {message}" if name else message)  # type: ignore[attr-defined]


class TicketFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, subject or account")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*blank(_("Any")), ("open", _("Open (not resolved)")), *TicketStatus.choices],
    )
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[*blank(_("Any")), *[(code, SLA_LABELS[code]) for code in SLA_FILTERS]],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[*blank(_("Any")), *TicketKind.choices]
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[*blank(_("Any")), *TicketPriority.choices]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[*blank(_("Any")), *TicketCategory.choices]
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[*blank(_("Any")), *Tier.choices]
    )
    owner = forms.CharField(label=_("Owner"), required=False, widget=forms.Select())
    account = forms.CharField(label=_("Account"), required=False, widget=forms.Select())
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    orphaned = forms.BooleanField(label=_("Owner deactivated"), required=False)
    resolved_from = forms.DateField(
        label=_("Resolved from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    resolved_to = forms.DateField(
        label=_("Resolved until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(
        self, *args: Any, owners: QuerySet[User], accounts: QuerySet[Account], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget.choices = [  # type: ignore[attr-defined]
            *blank(_("Anyone")),
            *((u.username, person(u)) for u in owners),
        ]
        self.fields["account"].widget.choices = [  # type: ignore[attr-defined]
            *blank(_("Any")),
            *((str(a.pk), a.name) for a in accounts),
        ]

    def filters(self) -> TicketFilters:
        """The filters given; a value that is not one of the choices is left out."""
        self.is_valid()
        data = self.cleaned_data
        account = data.get("account") or ""
        return TicketFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            priority=data.get("priority") or "",
            category=data.get("category") or "",
            sla=data.get("sla") or "",
            owner=data.get("owner") or "",
            account=int(account) if account.isdigit() else None,
            mine=bool(data.get("mine")),
            orphaned=bool(data.get("orphaned")),
            sort=data.get("sort") or DEFAULT_SORT,
            tier=data.get("tier") or "",
            resolved_from=data.get("resolved_from"),
            resolved_to=data.get("resolved_to"),
        )


class TicketForm(ShowsProblems, forms.Form):
    """A new ticket, or a change to what it is about (without the account and file)."""

    account = forms.CharField(label=_("Account"), required=False, widget=forms.Select())
    contact = forms.CharField(label=_("Customer contact"), required=False, widget=forms.Select())
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=TicketKind.choices,
        initial=TicketKind.REQUEST,
        widget=forms.RadioSelect(),
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=TicketCategory.choices, initial=TicketCategory.OTHER
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=TicketChannel.choices, initial=TicketChannel.PHONE
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=1000)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the customer reported, in their words where it matters."),
    )
    file = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("Optional: a photo, a PDF, an office document, text, CSV or a ZIP file."),
    )

    def __init__(
        self,
        *args: Any,
        accounts: QuerySet[Account] | None = None,
        account: Account | None = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].widget.attrs["required"] = "required"
        if editing:
            del self.fields["account"]
            del self.fields["file"]
        else:
            field = self.fields["account"]
            options = accounts if accounts is not None else Account.objects.none()
            field.widget.choices = [*blank("—"), *((str(a.pk), a.name) for a in options)]  # type: ignore[attr-defined]
            field.widget.attrs.update(
                {
                    "required": "required",
                    "hx-get": reverse("tickets:contact_options"),
                    "hx-target": "#id_contact",
                    "hx-trigger": "change",
                    "hx-swap": "innerHTML",
                }
            )
            if account is not None:
                self.initial.setdefault("account", str(account.pk))
        self.fields["contact"].widget.choices = contact_choices(account)  # type: ignore[attr-defined]

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        first = ["account", "contact", "kind", "category", "priority", "channel"]
        second = ["subject", "description", "file"]
        return [
            (_("Who and what"), [self[n] for n in first if n in self.fields]),
            (_("The request"), [self[n] for n in second if n in self.fields]),
        ]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        data = self.cleaned_data
        return {
            name: data.get(name) or ""
            for name in (
                "contact",
                "kind",
                "category",
                "priority",
                "channel",
                "subject",
                "description",
            )
        }


def contact_choices(account: Account | None) -> list[tuple[str, Any]]:
    if account is None:
        return [("", _("Choose the account first"))]
    contacts = Contact.objects.filter(account=account).order_by("name", "pk")
    return [
        ("", "—"),
        *((str(c.pk), f"{c.name} · {c.title}" if c.title else c.name) for c in contacts),
    ]


class ActionForm(ShowsProblems, forms.Form):
    """One workflow step with its note (and, to resolve, the resolution)."""

    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolution = forms.CharField(
        label=_("How it was resolved"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action = action
        if action != "resolve":
            del self.fields["resolution"]
        else:
            self.fields["resolution"].widget.attrs["required"] = "required"
        if action == "reopen":
            self.fields["note"].label = _("Why it is reopened")
            self.fields["note"].widget.attrs["required"] = "required"
        elif action == "wait":
            self.fields["note"].label = _("What we wait for")


class HandoverForm(ShowsProblems, forms.Form):
    owner = forms.CharField(label=_("Hand over to"), required=False, widget=forms.Select())
    note = forms.CharField(
        label=_("Note for the new owner"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "handover")
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        field.widget.choices = [*blank("—"), *((u.username, person(u)) for u in candidates)]  # type: ignore[attr-defined]
        field.widget.attrs["required"] = "required"
        self.fields["note"].widget.attrs["required"] = "required"

    def chosen(self) -> User | None:
        """The colleague named (whoever it is: the service says why one cannot take it)."""
        self.is_valid()
        username = self.cleaned_data.get("owner") or ""
        return User.objects.filter(username=username).first() if username else None


class CommentForm(ShowsProblems, forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "comment")
        super().__init__(*args, **kwargs)


class AttachmentForm(ShowsProblems, forms.Form):
    file = forms.FileField(label=_("File"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "attach")
        super().__init__(*args, **kwargs)
