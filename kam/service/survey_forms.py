"""Forms of the satisfaction pages (SVC-3). They only collect what was typed;
kam.service.surveys checks it, so a page shows the messages the API gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import User
from kam.insights.models import Tier
from kam.service.models import RequestStatus, SurveyKind
from kam.service.survey_results import SatisfactionFilters, default_period
from kam.service.ticket_forms import ShowsProblems, blank, person

CSAT_CHOICES = [
    ("1", _("1 – very dissatisfied")),
    ("2", _("2 – dissatisfied")),
    ("3", _("3 – neutral")),
    ("4", _("4 – satisfied")),
    ("5", _("5 – very satisfied")),
]
NPS_CHOICES = [(str(n), str(n)) for n in range(11)]


class ScoreFields(forms.Form):
    csat = forms.ChoiceField(
        label=_("How satisfied are you with our service?"),
        choices=CSAT_CHOICES,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "score-choices"}),
    )
    nps = forms.ChoiceField(
        label=_("How likely are you to recommend us to a colleague or business partner?"),
        help_text=_("0 = not at all likely, 10 = extremely likely"),
        choices=NPS_CHOICES,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "score-choices nps-choices"}),
    )
    comment = forms.CharField(
        label=_("What should we keep doing, or do better?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AnswerForm(ShowsProblems, ScoreFields):
    """The customer's answer through the link."""

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "csat": data.get("csat") or None,
            "nps": data.get("nps") or None,
            "comment": data.get("comment") or "",
        }


def contact_options(account: Account) -> list[tuple[str, str]]:
    contacts = Contact.objects.filter(account=account).order_by("-is_active", "name", "pk")
    return [
        *blank(_("— nobody named —")),
        *(
            (str(c.pk), c.name + (f" ({c.title})" if c.title else ""))
            for c in contacts
            if c.is_active
        ),
    ]


class RecordForm(ShowsProblems, ScoreFields):
    """A colleague records the customer's answer (taken by phone or on a visit)."""

    contact = forms.CharField(label=_("Who answered"), required=False, widget=forms.Select())
    responded_on = forms.DateField(
        label=_("Answered on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: today."),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["csat"].label = _("Satisfaction (CSAT 1–5)")
        self.fields["nps"].label = _("Likelihood to recommend (NPS 0–10)")
        self.fields["comment"].label = _("The customer's comment")
        self.fields["contact"].widget.choices = contact_options(account)  # type: ignore[attr-defined]
        self.fields["responded_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.order_fields(["contact", "responded_on", "csat", "nps", "comment"])

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        day: dt.date | None = data.get("responded_on")
        return {
            "csat": data.get("csat") or None,
            "nps": data.get("nps") or None,
            "comment": data.get("comment") or "",
            "contact": data.get("contact") or None,
            "responded_on": day,
        }


class AskForm(ShowsProblems, forms.Form):
    """Ask a contact for a relationship survey now."""

    contact = forms.CharField(label=_("Whom to ask"), required=False, widget=forms.Select())
    send = forms.BooleanField(
        label=_("Email the link when the contact has an email address"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].widget.choices = contact_options(account)  # type: ignore[attr-defined]

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [("", list(self))]


class SatisfactionFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=_("Survey"), required=False, choices=[*blank(_("Both")), *SurveyKind.choices]
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[*blank(_("Any")), *Tier.choices]
    )
    owner = forms.CharField(label=_("Account owner"), required=False, widget=forms.Select())
    q = forms.CharField(
        label=_("Account"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Part of the name")}),
    )

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start, end = default_period()
        self.fields["start"].widget.attrs["placeholder"] = start.isoformat()
        self.fields["end"].widget.attrs["placeholder"] = end.isoformat()
        self.fields["owner"].widget.choices = [  # type: ignore[attr-defined]
            *blank(_("Anyone")),
            *((u.username, person(u)) for u in owners),
        ]

    def filters(self) -> SatisfactionFilters:
        """The filters given (the last twelve months by default); a value that is not
        one of the choices is left out, an end before the start is swapped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start, end = default_period()
        start = data.get("start") or start
        end = data.get("end") or end
        if end < start:
            start, end = end, start
        return SatisfactionFilters(
            start=start,
            end=end,
            kind=data.get("kind") or "",
            tier=data.get("tier") or "",
            owner=data.get("owner") or "",
            q=(data.get("q") or "").strip(),
        )


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[*blank(_("Any")), *RequestStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("Survey"), required=False, choices=[*blank(_("Both")), *SurveyKind.choices]
    )
    owner = forms.CharField(label=_("Account owner"), required=False, widget=forms.Select())
    q = forms.CharField(
        label=_("Account"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Part of the name")}),
    )

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget.choices = [  # type: ignore[attr-defined]
            *blank(_("Anyone")),
            *((u.username, person(u)) for u in owners),
        ]

    def values(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: str(data.get(name) or "").strip() for name in ("status", "kind", "owner", "q")
        }
