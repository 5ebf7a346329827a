"""Forms of the club pages. They only collect what was typed: kam.club.services checks it,
so a page shows the messages the API and the command line give for the same mistake."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.club.models import Benefit, Level
from kam.dataio.records import RecordInvalid


class ProblemsMixin:
    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            if name in self.fields:  # type: ignore[attr-defined]
                self.add_error(name, message)  # type: ignore[attr-defined]
            else:
                self.add_error(None, message)  # type: ignore[attr-defined]


class JoinForm(forms.Form):
    joined_on = forms.DateField(
        label=_("Joined"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Default: today. Directors may enter an earlier date."),
    )


class BenefitChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _("%(name)s (%(cost)s points)") % {"name": obj.name, "cost": obj.points_cost}


class RedeemForm(forms.Form):
    benefit = BenefitChoice(
        label=_("Benefit"), queryset=Benefit.objects.filter(active=True), empty_label=None
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"), help_text=_("Positive adds points, negative takes them away.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ReferralForm(forms.Form):
    referred_account = forms.CharField(
        label=_("Referred account (external id)"),
        max_length=64,
        help_text=_("The new customer this member brought in."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MemberFilterForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *Level.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Members")), ("left", _("Left the club")), ("all", _("All"))],
    )


class BenefitForm(ProblemsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=1000)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    points_cost = forms.CharField(label=_("Points"), required=False)
    stock = forms.CharField(
        label=_("Stock"), required=False, help_text=_("Leave empty for no limit.")
    )
    active = forms.BooleanField(label=_("Available"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["required"] = "required"
        self.fields["points_cost"].widget.attrs["required"] = "required"

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(_("Benefit"), [self[name] for name in self.fields])]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return dict(self.cleaned_data)


class EventForm(ProblemsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=1000)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=1000)
    capacity = forms.CharField(label=_("Capacity"), required=False)
    points = forms.CharField(
        label=_("Points for attending"),
        required=False,
        help_text=_("Leave empty for the points of the rules."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "starts_at", "capacity"):
            self.fields[name].widget.attrs["required"] = "required"

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(_("Event"), [self[name] for name in self.fields])]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        values = dict(self.cleaned_data)
        if "starts_at" in self.errors:
            values["starts_at"] = None
        return values


class RulesForm(ProblemsMixin, forms.Form):
    purchase_points = forms.CharField(label=_("Points per purchase unit"))
    purchase_unit = forms.CharField(label=_("Purchase unit (amount)"))
    referral_points = forms.CharField(label=_("Points per referral"))
    event_points = forms.CharField(label=_("Points per event attended"))
    multiplier_diamond = forms.CharField(label=_("Diamond multiplier (%)"))
    multiplier_core = forms.CharField(label=_("Core multiplier (%)"))
    multiplier_potential = forms.CharField(label=_("Potential multiplier (%)"))
    multiplier_basic = forms.CharField(label=_("Basic multiplier (%)"))

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        earning = ["purchase_points", "purchase_unit", "referral_points", "event_points"]
        multipliers = [name for name in self.fields if name.startswith("multiplier_")]
        return [
            (_("Earning"), [self[name] for name in earning]),
            (_("Tier multipliers (on purchase points)"), [self[name] for name in multipliers]),
        ]

    def values(self) -> dict[str, Any]:
        return {name: self.data.get(name, "") for name in self.fields}
