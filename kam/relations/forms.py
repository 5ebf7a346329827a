"""Forms of relationship management: logging and editing an activity (the quick form on
the account and contact pages is the same form, fewer fields), and the list filters.

The activity form only collects what was typed; kam.relations.services.clean_activity
checks it with the same fields as the API, so the messages are the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import Team, User
from kam.dataio.records import RecordInvalid
from kam.insights.models import Tier
from kam.relations.models import GIFT_KINDS, Activity, ActivityKind, ActivityStatus, Sentiment

MULTI_FIELDS = ("participants", "contacts", "recipients")
QUICK_FIELDS = (
    "kind",
    "status",
    "starts_at",
    "duration_minutes",
    "subject",
    "contacts",
    "sentiment",
    "outcome",
    "value",
    "currency",
    "recipients",
)


def blank_first(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


def local_input(value: dt.datetime | None) -> str:
    """A datetime as a datetime-local input shows it, in local time."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


class ActivityForm(forms.Form):
    kind = forms.CharField(
        label=_("Kind"), required=False, widget=forms.Select(choices=ActivityKind.choices)
    )
    status = forms.CharField(
        label=_("Status"), required=False, widget=forms.Select(choices=ActivityStatus.choices)
    )
    starts_at = forms.CharField(
        label=_("Start"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    duration_minutes = forms.CharField(
        label=_("Duration (minutes)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": 5}),
    )
    subject = forms.CharField(label=_("Subject"), required=False)
    owner = forms.CharField(label=_("Owner"), required=False, widget=forms.Select())
    participants = forms.MultipleChoiceField(
        label=_("Our participants"), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    contacts = forms.MultipleChoiceField(
        label=_("Contacts"), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    sentiment = forms.CharField(
        label=_("Sentiment"),
        required=False,
        widget=forms.Select(choices=blank_first(_("Not recorded"), Sentiment.choices)),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    value = forms.CharField(
        label=_("Value (gifts and entertainment)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    recipients = forms.MultipleChoiceField(
        label=_("Recipients (gifts and entertainment)"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("Empty: the contacts above."),
    )
    acknowledge_limit = forms.BooleanField(
        label=_("I have checked this gift against the anti-bribery rules and log it anyway."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        account: Account,
        users: QuerySet[User],
        quick: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        people = [(c.pk, c.name + ("" if c.is_active else " †")) for c in account.contacts.all()]
        self.fields["contacts"].choices = people  # type: ignore[attr-defined]
        self.fields["recipients"].choices = people  # type: ignore[attr-defined]
        usernames = [(u.username, str(u)) for u in users]
        self.fields["participants"].choices = usernames  # type: ignore[attr-defined]
        self.fields["owner"].widget.choices = usernames  # type: ignore[attr-defined]
        self.quick = quick
        if quick:
            for name in list(self.fields):
                if name not in QUICK_FIELDS and name != "acknowledge_limit":
                    del self.fields[name]
        self.limit_lines: list[str] = []

    def raw(self) -> dict[str, Any]:
        """What was sent, as clean_activity reads it (contacts by id)."""
        data: dict[str, Any] = {}
        for name in self.fields:
            if name == "acknowledge_limit":
                continue
            key = self.add_prefix(name)
            if name in MULTI_FIELDS:
                data[name] = self.data.getlist(key)  # type: ignore[attr-defined]
            elif key in self.data:
                data[name] = self.data.get(key, "").strip()
        return data

    @property
    def acknowledged(self) -> bool:
        return self.data.get(self.add_prefix("acknowledge_limit")) in {"on", "true", "1"}

    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            if name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, f"{name}: {message}" if name else message)

    def show_limit(self, lines: list[str]) -> None:
        self.limit_lines = lines

    def fields_for(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    def main_fields(self) -> list[forms.BoundField]:
        gift = {"value", "currency", "recipients", "acknowledge_limit"}
        return [self[name] for name in self.fields if name not in gift]

    def gift_fields(self) -> list[forms.BoundField]:
        return self.fields_for(("value", "currency", "recipients"))


def initial_for(
    activity: Activity | None, *, actor: User, contact: Contact | None = None
) -> dict[str, Any]:
    if activity is None:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return {
            "kind": ActivityKind.VISIT,
            "status": ActivityStatus.DONE,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "owner": actor.username,
            "contacts": [str(contact.pk)] if contact is not None else [],
        }
    return {
        "kind": activity.kind,
        "status": activity.status,
        "starts_at": local_input(activity.starts_at),
        "duration_minutes": activity.duration_minutes
        if activity.duration_minutes is not None
        else "",
        "subject": activity.subject,
        "owner": activity.owner.username,
        "participants": [u.username for u in activity.participants.all()],
        "contacts": [str(c.pk) for c in activity.contacts.all()],
        "sentiment": activity.sentiment,
        "notes": activity.notes,
        "outcome": activity.outcome,
        "value": "" if activity.value is None else activity.value,
        "currency": activity.currency,
        "recipients": [str(c.pk) for c in activity.recipients.all()],
    }


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=blank_first(_("Not recorded"), Sentiment.choices),
    )


# --- filters ---------------------------------------------------------------------------------

ACTIVITY_SORTS = {"starts_at": "starts_at", "account": "account__name", "kind": "kind"}


class ActivityFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Subject or account")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=blank_first(_("All kinds"), ActivityKind.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=blank_first(_("All statuses"), ActivityStatus.choices),
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=blank_first(_("Any sentiment"), Sentiment.choices),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("All owners"),
        to_field_name="username",
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    gifts = forms.BooleanField(label=_("Gifts and entertainment only"), required=False)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput(), min_value=1)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput(), min_value=1)
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def filter(self, rows: QuerySet[Activity]) -> QuerySet[Activity]:
        """The rows that match the valid filters (an invalid one is left out)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("q"):
            text = data["q"]
            rows = rows.filter(Q(subject__icontains=text) | Q(account__name__icontains=text))
        for name in ("kind", "status", "sentiment"):
            if data.get(name):
                rows = rows.filter(**{name: data[name]})
        if data.get("owner") is not None:
            rows = rows.filter(owner=data["owner"])
        if data.get("since"):
            rows = rows.filter(starts_at__gte=day_start(data["since"]))
        if data.get("until"):
            rows = rows.filter(starts_at__lt=day_start(data["until"] + dt.timedelta(days=1)))
        if data.get("gifts"):
            rows = rows.filter(kind__in=GIFT_KINDS)
        if data.get("account"):
            rows = rows.filter(account_id=data["account"])
        if data.get("contact"):
            contact = data["contact"]
            rows = rows.filter(Q(contacts__pk=contact) | Q(recipients__pk=contact)).distinct()
        return rows

    @property
    def sort_key(self) -> str:
        return str(getattr(self, "cleaned_data", {}).get("sort") or "")


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


CADENCE_SHOW = [
    ("attention", _("Overdue, never visited or due soon")),
    ("overdue", _("Overdue or never visited")),
    ("due_soon", _("Due soon")),
    ("all", _("All accounts")),
]


class CadenceFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), required=False, choices=CADENCE_SHOW)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("All teams")
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=blank_first(_("All tiers"), Tier.choices)
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("All owners"),
        to_field_name="username",
    )

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def criteria(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        owner = data.get("owner")
        team = data.get("team")
        return {
            "show": data.get("show") or "attention",
            "team": team.pk if team is not None else None,
            "tier": data.get("tier") or "",
            "owner": owner.username if owner is not None else "",
        }
