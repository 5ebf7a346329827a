"""The filter form of the service KPI page (SVC-4). It only collects what was typed;
kam.service.kpis checks the period and the filters, so the page shows the messages the
API and the command line give."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.models import Department
from kam.dataio.records import Problem, RecordInvalid
from kam.insights.models import Tier
from kam.service.kpis import (
    NO_DEPARTMENT,
    KpiFilters,
    Period,
    check_filters,
    check_period,
    department_label,
)
from kam.service.models import TicketKind, TicketPriority


def any_of(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class KpiFilterForm(forms.Form):
    # "from" and "to" are Python words: the fields are added in __init__ under those names.
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=any_of(TicketKind.choices))
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=any_of(TicketPriority.choices)
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=any_of(Tier.choices))
    department = forms.ChoiceField(label=_("Department"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(
        self,
        *args: Any,
        departments: list[Department],
        everyone: bool,
        period: Period,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        dates = {
            "from": forms.DateField(
                label=_("From"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                initial=period.first,
            ),
            "to": forms.DateField(
                label=_("To"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                initial=period.last,
            ),
        }
        self.fields = {**dates, **self.fields}
        choices: list[tuple[str, Any]] = [("", _("All"))]
        choices += [(d.code, department_label(d)) for d in departments]
        if everyone:
            choices.append((NO_DEPARTMENT, department_label(None)))
        self.fields["department"].choices = choices  # type: ignore[attr-defined]

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        data = self.cleaned_data
        return data.get("from"), data.get("to")

    def choice(self) -> tuple[Period, KpiFilters, str]:
        """The period, the filters and the sort asked for; RecordInvalid names each bad
        field (a date that is not a date, a period that ends before it begins)."""
        if not self.is_valid():
            problems = [
                Problem(None, name, " ".join(str(message) for message in messages))
                for name, messages in self.errors.items()
            ]
            raise RecordInvalid(problems)
        first, last = self.dates()
        period = check_period(first, last)
        data = self.cleaned_data
        filters = check_filters(
            kind=data.get("kind") or "",
            priority=data.get("priority") or "",
            tier=data.get("tier") or "",
            department=data.get("department") or "",
        )
        return period, filters, data.get("sort") or ""
