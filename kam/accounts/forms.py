"""Forms of the account pages: the list filter and the account editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account, AccountStatus, Industry, OwnershipType, TeamRole
from kam.core.access import may_assign_owner
from kam.core.models import Region, User
from kam.core.views import (
    RecordForm,
    choice_input,
    long_text_input,
    region_label,
    text_input,
    user_choices,
)
from kam.insights.models import Lifecycle, Tier
from kam.insights.services import rfm_segment_codes, segment_name, with_value_results

#: The filters on the results of the latest scoring run (kam.insights).
VALUE_FILTERS = ("tier", "rfm_segment", "r_score", "f_score", "m_score", "lifecycle")
ACCOUNT_SORTS = {
    "name": "name",
    "industry": "industry",
    "province": "province",
    "owner": "owner__username",
    "updated": "updated_at",
}


class RegionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return region_label(obj)


def any_of(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


def segment_choices() -> list[tuple[str, Any]]:
    """The RFM segments, named in the language of the page (so built when shown)."""
    return any_of(_("All segments"), [(code, segment_name(code)) for code in rfm_segment_codes()])


def score_field(label: Any) -> forms.TypedChoiceField:
    """An R, F or M score of the latest scoring run, 1 to 5."""
    return forms.TypedChoiceField(
        label=label,
        required=False,
        choices=any_of(_("Any"), [(str(n), str(n)) for n in range(1, 6)]),
        coerce=int,
        empty_value=None,
    )


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, external id or city")}
        ),
    )
    industry = forms.ChoiceField(
        label=_("Industry"), required=False, choices=any_of(_("All industries"), Industry.choices)
    )
    region = RegionChoiceField(
        label=_("Region"),
        required=False,
        queryset=Region.objects.all(),
        empty_label=_("All regions"),
        to_field_name="code",
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("All owners"),
        to_field_name="username",
    )
    ownership_type = forms.ChoiceField(
        label=_("Ownership type"),
        required=False,
        choices=any_of(_("All ownership types"), OwnershipType.choices),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=any_of(_("All statuses"), AccountStatus.choices)
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=any_of(_("All tiers"), Tier.choices)
    )
    rfm_segment = forms.ChoiceField(label=_("RFM segment"), required=False, choices=segment_choices)
    r_score = score_field(_("R score"))
    f_score = score_field(_("F score"))
    m_score = score_field(_("M score"))
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=any_of(_("All stages"), Lifecycle.choices),
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def filter(self, accounts: QuerySet[Account]) -> QuerySet[Account]:
        """The accounts that match every filter that was given and is valid."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            accounts = accounts.filter(search_filter(data["q"]))
        for name in ("industry", "ownership_type", "status"):
            if data.get(name):
                accounts = accounts.filter(**{name: data[name]})
        if data.get("region"):
            accounts = accounts.filter(region=data["region"])
        if data.get("owner"):
            accounts = accounts.filter(owner=data["owner"])
        return with_value_results(accounts, **self.value_criteria())

    def value_criteria(self) -> dict[str, Any]:
        """The valid criteria on the results of the latest scoring run that were given."""
        data = self.cleaned_data
        return {name: data[name] for name in VALUE_FILTERS if data.get(name) not in (None, "")}

    def uses_value_filters(self) -> bool:
        """Whether any criterion on the scoring results was given (valid or not)."""
        return any(self.data.get(name) for name in VALUE_FILTERS)


def search_filter(text: str) -> Q:
    return Q(name__icontains=text) | Q(external_id__icontains=text) | Q(city__icontains=text)


class AccountForm(RecordForm):
    kind = "accounts"
    sections = [
        (_("Company"), ["name", "external_id", "industry", "ownership_type", "status", "website"]),
        (_("Group"), ["hierarchy_level", "parent"]),
        (_("Responsibility"), ["owner", "region"]),
        (_("Location"), ["country", "province", "city"]),
        (_("Size and credit"), ["employees", "annual_revenue", "credit_rating", "credit_limit"]),
        (
            _("Notes"),
            ["tags", "business_situation", "decision_process", "latent_needs", "notes"],
        ),
    ]

    external_id = text_input(
        Account, "external_id", help_text=_("Leave empty on a new account to get one assigned.")
    )
    name = text_input(Account, "name", required=True)
    industry = choice_input(Account, "industry")
    ownership_type = choice_input(Account, "ownership_type")
    status = choice_input(Account, "status")
    hierarchy_level = choice_input(Account, "hierarchy_level")
    parent = text_input(
        Account, "parent", help_text=_("External id of the group company or parent account.")
    )
    owner = choice_input(Account, "owner", choices=[])
    region = choice_input(Account, "region", choices=[])
    country = text_input(Account, "country")
    province = text_input(Account, "province")
    city = text_input(Account, "city")
    employees = text_input(Account, "employees")
    annual_revenue = text_input(Account, "annual_revenue")
    credit_rating = choice_input(Account, "credit_rating")
    credit_limit = text_input(Account, "credit_limit")
    tags = text_input(Account, "tags", help_text=_("Separate tags with semicolons."))
    website = text_input(Account, "website")
    business_situation = long_text_input(Account, "business_situation")
    decision_process = long_text_input(Account, "decision_process")
    latent_needs = long_text_input(Account, "latent_needs")
    notes = long_text_input(Account, "notes")

    def __init__(
        self, *args: Any, actor: User, current_owner: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        owners = assignable_owners(actor)
        if current_owner is not None and current_owner not in owners:
            owners.insert(0, current_owner)  # never change an owner by merely saving
        self.fields["owner"].widget.choices = user_choices(owners, blank=False)  # type: ignore[attr-defined]
        self.fields["region"].widget.choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((r.code, region_label(r)) for r in Region.objects.all()),
        ]


def assignable_owners(actor: User) -> list[User]:
    """The people `actor` may make the owner of an account (may_assign_owner)."""
    users = User.objects.filter(is_active=True).order_by("username")
    return [u for u in users if may_assign_owner(actor, u)]


class TeamMemberForm(forms.Form):
    """Put a colleague on the account team, in a role."""

    user = forms.ModelChoiceField(label=_("Colleague"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(is_active=True)
            .exclude(pk=account.owner_id)
            .order_by("last_name", "first_name", "username")
        )
