"""Forms of the service pages (SVC-1): a tier's policy, the working week and hours, the
holiday file and one day by hand; and durations as people type and read them.

Durations are typed with their unit, like 90m, 4h, 1h30m or 2d, so a number never
means minutes on one page and hours on another. A day (d) is one *working day* of the
business calendar (8 h with the default hours) when the policy's clock counts business
hours, and 24 h when it runs around the clock; the policy stores whole minutes of its
clock.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kam.dataio.records import RecordInvalid
from kam.service.clock import parse_hours
from kam.service.models import ClockKind, DayKind, ServiceModel, ServicePolicy

#: Longest target: a year of minutes (as clean_policy allows).
MAX_MINUTES = 525_600
DAY_MINUTES_ALWAYS = 24 * 60
DURATION = re.compile(
    r"^\s*(?:(?P<d>\d+(?:\.\d+)?)\s*d)?\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h)?"
    r"\s*(?:(?P<m>\d+)\s*m(?:in)?)?\s*$",
    re.IGNORECASE,
)
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DurationInvalid(ValueError):
    """A duration that cannot be read; the message says what was expected."""


def day_minutes(clock: str, working_day_minutes: int) -> int:
    """How many minutes one 'd' stands for under a clock."""
    return DAY_MINUTES_ALWAYS if clock == ClockKind.ALWAYS else working_day_minutes


def parse_duration(text: str, *, minutes_per_day: int) -> int:
    """'90m', '4h', '1h30m', '1.5h', '2d' (days of `minutes_per_day`) → whole minutes."""
    found = DURATION.match(text or "")
    if not (text or "").strip() or found is None or not any(found.groupdict().values()):
        raise DurationInvalid(
            _t("'%(text)s' is not a duration like 90m, 4h, 1h30m or 2d") % {"text": text}
        )
    parts = found.groupdict()
    total = (
        Decimal(parts["d"] or 0) * minutes_per_day
        + Decimal(parts["h"] or 0) * 60
        + Decimal(parts["m"] or 0)
    )
    if total != total.to_integral_value():
        raise DurationInvalid(
            _t("'%(text)s' is not a whole number of minutes (%(minutes)s)")
            % {"text": text, "minutes": f"{total:f}"}
        )
    minutes = int(total)
    if not 1 <= minutes <= MAX_MINUTES:
        raise DurationInvalid(
            _t("'%(text)s' is out of range (expected 1 minute to 365 days of 24 h)")
            % {"text": text}
        )
    return minutes


def format_duration(minutes: int) -> str:
    """Minutes as the form shows them back: 45m, 4h, 1h30m (never days, which depend on
    the clock)."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest}m" if rest else f"{hours}h"


def human_duration(minutes: int, clock: str, working_day_minutes: int) -> str:
    """'1 h', '45 min', '1 h 30 min', '24 h (3 working days)', '48 h (2 days)'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        text = _t("%(minutes)s min") % {"minutes": rest}
    elif rest:
        text = _t("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    else:
        text = _t("%(hours)s h") % {"hours": hours}
    per_day = day_minutes(clock, working_day_minutes)
    if per_day and minutes >= per_day and minutes % per_day == 0:
        days = minutes // per_day
        if clock == ClockKind.ALWAYS:
            text += " " + ngettext("(%(n)s day)", "(%(n)s days)", days) % {"n": days}
        else:
            text += " " + ngettext("(%(n)s working day)", "(%(n)s working days)", days) % {
                "n": days
            }
    return text


def human_visits(days: int | None) -> str:
    if not days:
        return _t("No regular visits")
    return ngettext("Every day", "Every %(n)s days", days) % {"n": days}


def human_surveys(days: int | None) -> str:
    if not days:
        return _t("No periodic survey")
    return ngettext("Every day", "Every %(n)s days", days) % {"n": days}


class PolicyForm(forms.Form):
    """One tier's policy; durations typed with their unit (see the module's doc)."""

    first_response = forms.CharField(
        label=_("First response target"),
        max_length=40,
        help_text=_("With its unit: 90m, 4h, 1h30m or 2d."),
    )
    resolution = forms.CharField(
        label=_("Resolution target"),
        max_length=40,
        help_text=_("Like the first response target; at least as long."),
    )
    clock = forms.ChoiceField(
        label=_("SLA clock"),
        choices=ClockKind.choices,
        help_text=_(
            "Business hours: only the working time of the business calendar counts. "
            "Around the clock: every hour counts."
        ),
    )
    service_model = forms.ChoiceField(
        label=_("Resources (service model)"), choices=ServiceModel.choices
    )
    visit_interval_days = forms.IntegerField(
        label=_("Visit every (days)"),
        required=False,
        min_value=1,
        max_value=3660,
        help_text=_("Empty: no regular visits."),
    )
    survey_interval_days = forms.IntegerField(
        label=_("Relationship survey every (days)"),
        required=False,
        min_value=1,
        max_value=3660,
        help_text=_("The key contacts are asked how the relationship is going. Empty: never."),
    )
    customisation = forms.CharField(
        label=_("Service content and customisation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    discount_ceiling = forms.DecimalField(
        label=_("Discount ceiling (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_("The largest discount the sales process may grant this tier."),
    )

    FIELD_OF = {"first_response_minutes": "first_response", "resolution_minutes": "resolution"}

    def __init__(self, *args: Any, working_day_minutes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.working_day_minutes = working_day_minutes

    @classmethod
    def initial_of(cls, policy: ServicePolicy) -> dict[str, Any]:
        return {
            "first_response": format_duration(policy.first_response_minutes),
            "resolution": format_duration(policy.resolution_minutes),
            "clock": policy.clock,
            "service_model": policy.service_model,
            "visit_interval_days": policy.visit_interval_days,
            "survey_interval_days": policy.survey_interval_days,
            "customisation": policy.customisation,
            "discount_ceiling": policy.discount_ceiling,
        }

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (_("Service levels"), [self["first_response"], self["resolution"], self["clock"]]),
            (
                _("Service"),
                [
                    self["service_model"],
                    self["visit_interval_days"],
                    self["survey_interval_days"],
                    self["discount_ceiling"],
                    self["customisation"],
                ],
            ),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        per_day = day_minutes(data.get("clock") or ClockKind.BUSINESS, self.working_day_minutes)
        for name in ("first_response", "resolution"):
            if data.get(name):
                try:
                    data[f"{name}_minutes"] = parse_duration(data[name], minutes_per_day=per_day)
                except DurationInvalid as exc:
                    self.add_error(name, str(exc))
        first, resolution = data.get("first_response_minutes"), data.get("resolution_minutes")
        if first and resolution and resolution < first:
            self.add_error(
                "resolution", _t("The resolution target must be at least the first response.")
            )
        return data

    def values(self) -> dict[str, Any]:
        """The values for kam.service.policies.save_policy."""
        data = self.cleaned_data
        surveys = (  # a form that does not send the field leaves the interval as it is
            {"survey_interval_days": data.get("survey_interval_days")}
            if self.add_prefix("survey_interval_days") in self.data
            else {}
        )
        return {
            **surveys,
            "first_response_minutes": data["first_response_minutes"],
            "resolution_minutes": data["resolution_minutes"],
            "clock": data["clock"],
            "service_model": data["service_model"],
            "visit_interval_days": data.get("visit_interval_days"),
            "customisation": data.get("customisation") or "",
            "discount_ceiling": data["discount_ceiling"],
        }

    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            field = self.FIELD_OF.get(name, name)
            self.add_error(field if field in self.fields else None, message)


class CalendarForm(forms.Form):
    """The working week and the daily working hours."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one working weekday.")},
    )
    hours = forms.CharField(
        label=_("Working hours"),
        max_length=120,
        help_text=_("Periods like 09:00-12:00, 13:00-18:00 (a lunch break between)."),
    )

    def clean_hours(self) -> str:
        text = str(self.cleaned_data.get("hours") or "")
        try:
            parse_hours(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _t(
                    "Give periods like 09:00-12:00, 13:00-18:00, in order and not "
                    "overlapping (%(problem)s)."
                )
                % {"problem": exc}
            ) from None
        return text

    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            self.add_error(name if name in self.fields else None, message)


class HolidayFileForm(forms.Form):
    file = forms.FileField(
        label=_("Holiday file (CSV)"),
        help_text=_(
            "UTF-8 CSV with the columns date (YYYY-MM-DD), kind (holiday or workday) and "
            "name. Nothing is imported when a row is wrong."
        ),
    )


class DayForm(forms.Form):
    """One holiday or make-up working day by hand."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
