"""Forms of the segment pages: the segment with its condition editor, and the strategy.

The forms only collect what was typed. kam.segments.services checks it (clean_segment,
clean_strategy, and check_definition for the conditions), so a page shows the messages
the API and the command line give for the same mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kam.accounts.forms import assignable_owners
from kam.core.fields import FieldError, decimal, integer
from kam.core.models import Region, User
from kam.core.views import region_label, user_choices
from kam.dataio.records import RecordInvalid
from kam.segments.conditions import FIELDS, GROUP_LABELS, FieldSpec, Group, Kind, Op
from kam.segments.models import Match, StrategyStatus

OP_LABELS = {
    Op.IN: _("is one of"),
    Op.NOT_IN: _("is none of"),
    Op.BETWEEN: _("between"),
}
SEPARATORS = re.compile(r"[;,，；|\n]")
ROW = re.compile(r"^c(\d+)-field$")
MAX_ROWS = 20


def field_choices() -> list[tuple[Any, Any]]:
    """The condition fields, grouped: account, value, purchasing."""
    return [
        (GROUP_LABELS[group], [(s.name, s.label) for s in FIELDS.values() if s.group == group])
        for group in Group
    ]


class ErrorsMixin:
    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            if name in self.fields:  # type: ignore[attr-defined]
                self.add_error(name, message)  # type: ignore[attr-defined]
            else:
                self.add_error(None, message)  # type: ignore[attr-defined]


class SegmentForm(ErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=1000)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.CharField(label=_("Owner"), required=False, widget=forms.Select())
    match = forms.ChoiceField(
        label=_("Accounts belong when they meet"),
        choices=Match.choices,
        initial=Match.ALL,
        widget=forms.RadioSelect(),
    )

    def __init__(self, *args: Any, actor: User, current_owner: User | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["name"].widget.attrs["required"] = "required"
        owners = assignable_owners(actor)
        if current_owner is not None and current_owner not in owners:
            owners.insert(0, current_owner)  # never change an owner by merely saving
        self.fields["owner"].widget.choices = user_choices(owners, blank=False)  # type: ignore[attr-defined]

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields core/_record_form.html shows (the match goes with the conditions)."""
        return [(_("Segment"), [self[name] for name in ("name", "description", "owner")])]

    def values(self) -> dict[str, Any]:
        """What was typed, for clean_segment (which checks it)."""
        self.is_valid()
        data = self.cleaned_data
        return {name: data.get(name, "") for name in ("name", "description", "owner")}


class ConditionForm(forms.Form):
    """One condition: a field, an operator, and its values or its bounds."""

    def __init__(self, *args: Any, index: int, spec: FieldSpec, refresh_url: str = "", **kw: Any):
        kw["prefix"] = f"c{index}"
        super().__init__(*args, **kw)
        self.index = index
        self.spec = spec
        self.fields["field"] = forms.ChoiceField(
            label=_("Field"), choices=field_choices(), initial=spec.name
        )
        if refresh_url:
            self.fields["field"].widget.attrs.update(
                {
                    "hx-post": refresh_url,
                    "hx-trigger": "change",
                    "hx-target": "#condition-editor",
                    "hx-swap": "outerHTML",
                    "hx-vals": '{"action": "refresh"}',
                }
            )
        self.fields["op"] = forms.ChoiceField(
            label=_("Operator"), choices=[(op.value, OP_LABELS[op]) for op in spec.ops]
        )
        if spec.kind == Kind.RANGE:
            for bound, label in (("min", _("At least")), ("max", _("At most"))):
                self.fields[bound] = forms.CharField(label=label, required=False, max_length=40)
        elif spec.kind in (Kind.CHOICE, Kind.REGION):
            self.fields["values"] = forms.MultipleChoiceField(
                label=_("Values"),
                required=False,
                choices=self.value_choices(),
                widget=forms.CheckboxSelectMultiple(),
            )
        else:
            self.fields["values"] = forms.CharField(
                label=_("Values"),
                required=False,
                max_length=5000,
                help_text=spec.help or _("Separate values with semicolons."),
            )
        if spec.help and spec.kind != Kind.TEXT:
            self.fields["op"].help_text = spec.help

    def value_choices(self) -> list[tuple[str, str]]:
        if self.spec.kind == Kind.REGION:
            return [(r.code, region_label(r)) for r in Region.objects.all()]
        return self.spec.choices() if self.spec.choices else []

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def is_range(self) -> bool:
        return self.spec.kind == Kind.RANGE

    def condition(self) -> dict[str, Any]:
        """The condition as the definition holds it. A bound that is no number is left out
        and its message put on the row (`has_bad_bound`)."""
        self.is_valid()
        data = self.cleaned_data
        condition: dict[str, Any] = {"field": self.spec.name, "op": data.get("op") or ""}
        if not self.is_range:
            values = data.get("values") or []
            if isinstance(values, str):
                values = [v.strip() for v in SEPARATORS.split(values) if v.strip()]
            condition["values"] = list(values)
            return condition
        convert = integer() if self.spec.bound and self.spec.bound.whole else decimal(places=6)
        for bound in ("min", "max"):
            text = (self.data.get(self.add_prefix(bound)) or "").strip()
            if not text:
                continue
            try:
                number = convert(text)
            except FieldError as problem:
                self.add_error(bound, problem.message)
                self.has_bad_bound = True
                continue
            condition[bound] = int(number) if number == int(number) else float(number)
        return condition

    has_bad_bound = False


def _initial(condition: dict[str, Any]) -> dict[str, Any]:
    """A stored (or posted) condition as the initial values of an unbound row."""
    spec = FIELDS.get(condition.get("field") or "") or FIELDS["industry"]
    op = condition.get("op") if condition.get("op") in spec.ops else spec.ops[0].value
    initial: dict[str, Any] = {"field": spec.name, "op": op}
    if spec.kind == Kind.RANGE:
        for bound in ("min", "max"):
            if condition.get(bound) not in (None, ""):
                initial[bound] = str(condition[bound])
        return initial
    values = condition.get("values") or []
    if spec.kind == Kind.TEXT:
        initial["values"] = values if isinstance(values, str) else "; ".join(map(str, values))
    elif isinstance(values, list):
        initial["values"] = [str(v) for v in values]
    return initial


def _posted(data: QueryDict, index: int) -> dict[str, Any]:
    prefix = f"c{index}-"
    posted: dict[str, Any] = {
        key: data.get(prefix + key, "") for key in ("field", "op", "min", "max")
    }
    spec = FIELDS.get(posted["field"])
    if spec is not None and spec.kind == Kind.TEXT:
        posted["values"] = data.get(prefix + "values", "")
    else:
        posted["values"] = data.getlist(prefix + "values")
    return posted


@dataclass
class ConditionEditor:
    """The rows of the condition editor. Rows are added, removed and switched to another
    field by posting the form (htmx swaps just the editor; without script the page
    reloads), so it needs no script of its own. Only a save binds (and checks) the rows."""

    rows: list[ConditionForm]
    problems: list[str]

    @classmethod
    def from_definition(cls, definition: dict[str, Any], refresh_url: str = "") -> ConditionEditor:
        conditions = definition.get("conditions") or [{}]
        rows = [unbound_row(i, c, refresh_url) for i, c in enumerate(conditions[:MAX_ROWS])]
        return cls(rows, [])

    @classmethod
    def from_post(cls, data: QueryDict, action: str, refresh_url: str = "") -> ConditionEditor:
        """The rows as posted: bound for a save (action ""), else changed by the action."""
        indices = sorted(int(m.group(1)) for key in data if (m := ROW.match(key)))[:MAX_ROWS]
        if not action:
            rows = [
                ConditionForm(
                    data,
                    index=i,
                    spec=FIELDS.get(data.get(f"c{i}-field", "")) or FIELDS["industry"],
                    refresh_url=refresh_url,
                )
                for i in indices
            ]
            return cls(rows, [])
        kept = [i for i in indices if action != f"remove-{i}"]
        rows = [unbound_row(i, _posted(data, i), refresh_url) for i in kept]
        if action == "add" and len(rows) < MAX_ROWS:
            rows.append(unbound_row(max(indices, default=-1) + 1, {}, refresh_url))
        return cls(rows, [])

    def definition(self, match: str) -> dict[str, Any]:
        return {"match": match, "conditions": [row.condition() for row in self.rows]}

    @property
    def complete(self) -> bool:
        """Whether every bound typed was a number (definition() was called)."""
        return not any(row.has_bad_bound for row in self.rows)

    def show_problems(self, problem: RecordInvalid) -> None:
        """Put each problem of the definition on its row; the others above the rows."""
        for p in problem.problems:
            path = (p.column or "").split(".")
            if path[:2] == ["definition", "conditions"] and len(path) > 2 and path[2].isdigit():
                position = int(path[2])
                if position < len(self.rows):
                    row = self.rows[position]
                    if row.has_bad_bound:
                        continue  # its own message says what to fix first
                    key = path[3] if len(path) > 3 and path[3] in row.fields else None
                    row.add_error(key if key not in (None, "field") else None, p.message)
                    continue
            if path[0] == "definition":
                self.problems.append(p.message)


def unbound_row(index: int, condition: dict[str, Any], refresh_url: str = "") -> ConditionForm:
    initial = _initial(condition)
    spec = FIELDS[initial["field"]]
    return ConditionForm(index=index, spec=spec, refresh_url=refresh_url, initial=initial)


class StrategyForm(ErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=1000)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=StrategyStatus.choices,
        help_text=_("One strategy per segment is active; retire the old one first."),
    )
    product = forms.CharField(
        label=_("Product"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What we offer them."),
    )
    price = forms.CharField(
        label=_("Price"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How we price and discount."),
    )
    channel = forms.CharField(
        label=_("Channel"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How we reach and serve them."),
    )
    promotion = forms.CharField(
        label=_("Promotion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How we communicate and promote."),
    )
    target_revenue = forms.CharField(label=_("Target revenue"), required=False, max_length=40)
    owner = forms.CharField(label=_("Owner"), required=False, widget=forms.Select())
    review_date = forms.CharField(
        label=_("Review date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        max_length=40,
    )

    def __init__(
        self,
        *args: Any,
        actor: User,
        currency: str,
        current_owner: User | None = None,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.fields["name"].widget.attrs["required"] = "required"
        self.fields["target_revenue"].label = _("Target revenue (%(currency)s)") % {
            "currency": currency
        }
        owners = assignable_owners(actor)
        if current_owner is not None and current_owner not in owners:
            owners.insert(0, current_owner)
        self.fields["owner"].widget.choices = user_choices(owners, blank=False)  # type: ignore[attr-defined]

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        first = ("name", "status", "owner", "review_date", "target_revenue")
        fours = ("product", "price", "channel", "promotion")
        return [
            (_("Strategy"), [self[name] for name in first]),
            (_("The 4Ps"), [self[name] for name in fours]),
        ]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {name: self.cleaned_data.get(name, "") for name in self.fields}
