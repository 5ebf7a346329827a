"""Forms of the value pages: tier override, ratings, scoring settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.insights.models import (
    RATING_FIELDS,
    Criterion,
    RankingMeasure,
    ScoringSettings,
    Tier,
    TimeUnit,
)

RATING_CHOICES = [("", "—"), *[(str(n), str(n)) for n in range(1, 6)]]


class OverrideForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class RatingForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Criterion.choices)
        for criterion, name in RATING_FIELDS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=labels[criterion],
                choices=RATING_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
            )

    def values(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) for name in RATING_FIELDS.values()}


class SettingsForm(forms.Form):
    """Weights per criterion, tier shares in percent, and the model's time settings."""

    ranking_measure = forms.ChoiceField(label=_("Rank accounts by"), choices=RankingMeasure.choices)
    time_unit = forms.ChoiceField(label=_("Time unit"), choices=TimeUnit.choices)
    horizon = forms.IntegerField(label=_("Horizon (time units)"), min_value=1, max_value=10000)
    discount_rate = forms.FloatField(
        label=_("Annual discount rate"), min_value=0, max_value=0.99, help_text=_("0.1 is 10%.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Criterion.choices:
            self.fields[f"weight_{value}"] = forms.FloatField(
                label=label, min_value=0, max_value=100
            )
        for value, label in Tier.choices:
            self.fields[f"share_{value}"] = forms.FloatField(
                label=label, min_value=0, max_value=100, help_text=_("Percent of accounts")
            )

    @staticmethod
    def initial_from(settings: ScoringSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "ranking_measure": settings.ranking_measure,
            "time_unit": settings.time_unit,
            "horizon": settings.horizon,
            "discount_rate": settings.discount_rate,
        }
        for value in Criterion.values:
            initial[f"weight_{value}"] = settings.weights.get(value, 0.0)
        for value in Tier.values:
            initial[f"share_{value}"] = round(settings.tier_shares.get(value, 0.0) * 100, 4)
        return initial

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{v}"] for v in Criterion.values]

    def share_fields(self) -> list[forms.BoundField]:
        return [self[f"share_{v}"] for v in Tier.values]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("ranking_measure", "time_unit", "horizon", "discount_rate")]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "weights": {v: data[f"weight_{v}"] for v in Criterion.values},
            "tier_shares": {v: data[f"share_{v}"] / 100 for v in Tier.values},
            "ranking_measure": data["ranking_measure"],
            "time_unit": data["time_unit"],
            "horizon": data["horizon"],
            "discount_rate": data["discount_rate"],
        }
