"""The watch list's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.models import User
from kam.insights.models import Tier
from kam.risk.models import RiskLevel, RiskType


def any_of(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class WatchListFilterForm(forms.Form):
    risk_type = forms.ChoiceField(
        label=_("Risk"), required=False, choices=any_of(_("Any risk"), RiskType.choices)
    )
    level = forms.ChoiceField(
        label=_("Risk level"),
        required=False,
        choices=any_of(
            _("All levels"), [(c, label) for c, label in RiskLevel.choices if c != RiskLevel.NONE]
        ),
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=any_of(_("All tiers"), Tier.choices)
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("All owners"),
        to_field_name="username",
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def criteria(self) -> dict[str, str]:
        """The valid filters that were given (an invalid one is left out), and the sort."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        owner = data.get("owner")
        return {
            "risk_type": data.get("risk_type") or "",
            "level": data.get("level") or "",
            "tier": data.get("tier") or "",
            "owner": owner.username if owner is not None else "",
            "sort": data.get("sort") or "",
        }
