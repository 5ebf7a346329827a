"""The forms of the plan pages. They only collect what was typed: the services check it
(kam.plans.services.clean_*), so a form shows the very messages the API gives."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.models import User
from kam.core.views import (
    choice_input,
    date_input,
    long_text_input,
    text_input,
    user_choices,
)
from kam.dataio.records import RecordInvalid
from kam.plans.models import (
    AccountPlan,
    PlanAction,
    PlanCompetitor,
    PlanObjective,
    PlanRevenueTarget,
    PlanReview,
    PlanStatus,
    PlanSwotItem,
)
from kam.plans.services import review_overdue_filter


class PlanPartForm(forms.Form):
    """A form whose fields are named like the service's fields."""

    def posted(self) -> dict[str, str]:
        """The fields that were sent; the others keep their current value."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name) or ""
            for name in self.fields
            if self.add_prefix(name) in self.data
        }

    def show_problems(self, problem: RecordInvalid) -> None:
        for name, message in problem.by_field().items():
            if name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, f"{name}: {message}" if name else message)


def with_people(form: PlanPartForm, people: Iterable[User], name: str = "owner") -> None:
    form.fields[name].widget.choices = user_choices(people, blank=False)


class PlanForm(PlanPartForm):
    year = text_input(AccountPlan, "year", required=True)
    status = choice_input(AccountPlan, "status")
    owner = choice_input(AccountPlan, "owner", choices=[])
    review_every_days = text_input(AccountPlan, "review_every_days")
    vision = long_text_input(AccountPlan, "vision")

    def __init__(self, *args: Any, people: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with_people(self, people)
        self.fields["year"].widget.attrs.update({"inputmode": "numeric", "size": 6})
        self.fields["review_every_days"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["vision"].widget.attrs["rows"] = 5


class ObjectiveForm(PlanPartForm):
    text = text_input(PlanObjective, "text", required=True)
    measure = text_input(PlanObjective, "measure")
    target_date = date_input(PlanObjective, "target_date")
    status = choice_input(PlanObjective, "status")


class TargetForm(PlanPartForm):
    year = text_input(PlanRevenueTarget, "year", required=True)
    amount = text_input(PlanRevenueTarget, "amount", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update({"inputmode": "numeric", "size": 6})
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})


class SwotForm(PlanPartForm):
    quadrant = choice_input(PlanSwotItem, "quadrant")
    text = text_input(PlanSwotItem, "text", required=True)


class CompetitorForm(PlanPartForm):
    name = text_input(PlanCompetitor, "name", required=True)
    products = text_input(PlanCompetitor, "products")
    share_of_wallet = text_input(PlanCompetitor, "share_of_wallet")
    position = choice_input(PlanCompetitor, "position")
    counter_strategy = long_text_input(PlanCompetitor, "counter_strategy")


class ActionForm(PlanPartForm):
    text = text_input(PlanAction, "text", required=True)
    owner = choice_input(PlanAction, "owner", choices=[])
    due_date = date_input(PlanAction, "due_date")
    status = choice_input(PlanAction, "status")

    def __init__(self, *args: Any, people: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with_people(self, people)


class ReviewForm(PlanPartForm):
    reviewed_on = date_input(PlanReview, "reviewed_on", required=True)
    notes = long_text_input(PlanReview, "notes")


PART_FORMS: dict[str, type[PlanPartForm]] = {
    "objectives": ObjectiveForm,
    "targets": TargetForm,
    "swot": SwotForm,
    "competitors": CompetitorForm,
    "actions": ActionForm,
    "reviews": ReviewForm,
}


class AxesForm(forms.Form):
    product_lines = forms.CharField(
        label=_("Product lines (one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    business_units = forms.CharField(
        label=_("Business units of the account (one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class PlanFilterForm(forms.Form):
    q = forms.CharField(label=_("Account"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Draft or active")), ("all", _("All")), *PlanStatus.choices],
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    attention = forms.ChoiceField(
        label=_("Needs attention"),
        required=False,
        choices=[
            ("", "—"),
            ("review", _("PlanReview overdue")),
            ("actions", _("Overdue actions")),
        ],
    )

    def __init__(self, *args: Any, owners: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ChoiceField)
        owner_field.choices = user_choices(owners)
        self.is_valid()

    def filter(self, plans: QuerySet[AccountPlan]) -> QuerySet[AccountPlan]:
        data = self.cleaned_data if self.is_bound else {}
        status = data.get("status") or ""
        if status == "":
            plans = plans.exclude(status=PlanStatus.ARCHIVED)
        elif status != "all":
            plans = plans.filter(status=status)
        if data.get("q"):
            text = data["q"].strip()
            plans = plans.filter(
                Q(account__name__icontains=text) | Q(account__external_id__iexact=text)
            )
        if data.get("owner"):
            plans = plans.filter(owner__username=data["owner"])
        if data.get("year"):
            plans = plans.filter(year=data["year"])
        if data.get("attention") == "review":
            plans = plans.filter(review_overdue_filter())
        elif data.get("attention") == "actions":
            plans = plans.filter(Q(overdue_actions__gt=0))  # annotated by plan_list
        return plans
