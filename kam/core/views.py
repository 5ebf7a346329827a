"""The web shell (PLAT-1): login, the home page, and the few helpers every list and form
page of the other apps shares (paging, sorting, export downloads, record forms).

Views only parse input, check access and call services; row visibility comes from the
visible_* helpers of each app, never from a filter written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required as django_login_required
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django_htmx.middleware import HtmxDetails

from kam.core.access import require_writer
from kam.core.models import AuditEvent, Region, User
from kam.dataio.export import export_bytes
from kam.dataio.records import RecordInvalid, validate_one

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LOGIN_URL = "core:login"
HOME_URL = "core:home"
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

View = TypeVar("View", bound=Callable[..., HttpResponse])


class AuthedRequest(HttpRequest):
    """A request behind login_required, as the HtmxMiddleware leaves it."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def login_required(view: View) -> View:
    """Every page needs a signed-in user; send others to our login page."""
    return django_login_required(view, login_url=LOGIN_URL)


def form_data(request: HttpRequest) -> QueryDict | None:
    """The posted fields, or None for a GET: binds a form only when it was sent."""
    return request.POST if request.method == "POST" else None


def require_write(request: AuthedRequest) -> None:
    """Analysts read; any write view (GET of its form included) answers them 403."""
    require_writer(request.user)


# --- login, logout, home --------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True
    next_page = HOME_URL


class LogoutView(auth_views.LogoutView):
    next_page = LOGIN_URL


RECENT_CHANGES = 10


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    from kam.accounts.services import visible_accounts
    from kam.contacts.services import visible_contacts
    from kam.transactions.services import visible_payments

    user = request.user
    accounts = visible_accounts(user)
    context = {
        "account_count": accounts.count(),
        "own_count": accounts.filter(owner=user).count(),
        "contact_count": visible_contacts(user).count(),
        "overdue_count": overdue(visible_payments(user)).count(),
        "recent_changes": account_changes(user, accounts)[:RECENT_CHANGES],
        "my_changes": AuditEvent.objects.filter(actor=user).select_related("actor")[
            :RECENT_CHANGES
        ],
    }
    return render(request, "core/home.html", context)


def account_changes(user: User, accounts: QuerySet[Any]) -> QuerySet[AuditEvent]:
    """Audit events of the accounts the user sees (and of what hangs off them)."""
    events = AuditEvent.objects.filter(account_id__isnull=False).select_related("actor")
    if user.sees_all_accounts:
        return events
    return events.filter(account_id__in=accounts.values("pk"))


def overdue(payments: QuerySet[Any], as_of: dt.date | None = None) -> QuerySet[Any]:
    """Unpaid payments past their due date (the queryset form of Payment.is_overdue)."""
    return payments.filter(paid_date__isnull=True, due_date__lt=as_of or timezone.localdate())


# --- lists: paging, sorting, exporting ---------------------------------------------------


def paginate(request: HttpRequest, rows: QuerySet[Any]) -> Page[Any]:
    paginator = Paginator(rows, settings.KAM_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def sort_rows(
    rows: QuerySet[Any], requested: str, columns: Mapping[str, str], default: str
) -> tuple[QuerySet[Any], str]:
    """Order by one of `columns` (name → field path), '-name' descending; pk breaks ties."""
    key = requested if requested.lstrip("-") in columns else default
    path = columns[key.lstrip("-")]
    descending = key.startswith("-")
    return rows.order_by(f"-{path}" if descending else path, "-pk" if descending else "pk"), key


def export_response(kind: str, rows: QuerySet[Any], fmt: str, stem: str) -> HttpResponse:
    """The rows as a CSV or XLSX download, with the columns the import reads."""
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(export_bytes(kind, rows, fmt), content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{fmt}"'
    return response


def list_template(request: AuthedRequest, page: str, results: str) -> str:
    """htmx filter requests get only the results part; everything else the full page."""
    if request.htmx and not request.htmx.boosted:
        return results
    return page


# --- record forms: the fields of an import kind, validated like an import --------------


def text_input(
    model: type[models.Model],
    name: str,
    *,
    widget: forms.Widget | None = None,
    required: bool = False,
    label: StrOrPromise | None = None,
    help_text: StrOrPromise = "",
) -> forms.CharField:
    """A plain text field: validation is validate_one's job, so it never refuses input."""
    field = forms.CharField(
        label=label or _lazy_label(model, name),
        required=False,
        strip=True,
        widget=widget or forms.TextInput(),
        help_text=help_text,
    )
    if required:
        field.widget.attrs["required"] = "required"
    return field


def long_text_input(model: type[models.Model], name: str) -> forms.CharField:
    return text_input(model, name, widget=forms.Textarea(attrs={"rows": 3}))


def date_input(model: type[models.Model], name: str, *, required: bool = False) -> forms.CharField:
    return text_input(
        model, name, widget=forms.DateInput(attrs={"type": "date"}), required=required
    )


def choice_input(
    model: type[models.Model], name: str, *, choices: Iterable[tuple[Any, Any]] | None = None
) -> forms.CharField:
    """A select whose posted code goes through the same choice converter as an import."""
    if choices is None:
        choices = getattr(model._meta.get_field(name), "choices", None) or []
    return text_input(model, name, widget=forms.Select(choices=list(choices)))


def _lazy_label(model: type[models.Model], name: str) -> StrOrPromise:
    """The model field's translated name, capitalised when it is shown (so still lazy)."""
    return capfirst(getattr(model._meta.get_field(name), "verbose_name", name))


class RecordForm(forms.Form):
    """A form over the fields of an import kind (kam.dataio.kinds).

    It only collects what was typed; kam.dataio.records.validate_one checks it, so the
    web shows the very messages an import file would get, next to each field.
    """

    kind: ClassVar[str]
    # (title, field names): how the page groups the fields; empty for one plain group
    sections: ClassVar[list[tuple[Any, list[str]]]] = []

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        if not self.sections:
            return [("", list(self))]
        return [(title, [self[name] for name in names]) for title, names in self.sections]

    def posted(self) -> dict[str, str]:
        """The fields that were sent; the others keep their current (or default) value."""
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

    def validated(
        self,
        *,
        actor: User,
        instance: models.Model | None = None,
        base: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Model values ready for a save_* service, or None with errors on the form.

        `base` (current_values of the instance) fills the fields the form does not show,
        so an edit changes only what the person could see.
        """
        if not self.is_valid():
            return None
        data = {**(base or {}), **self.posted()}
        try:
            return validate_one(self.kind, data, actor=actor, instance=instance)
        except RecordInvalid as problem:
            self.show_problems(problem)
            return None


def default_values(kind_name: str) -> dict[str, Any]:
    """What an import would assume for each empty column: the initial values of a new record."""
    from kam.dataio.kinds import get_kind

    return {f.name: f.default for f in get_kind(kind_name).fields if f.default not in (None, [])}


def region_label(region: Region) -> str:
    """A region by its Chinese name when the page is in Chinese (and one is stored)."""
    if region.name_zh and (get_language() or "").startswith("zh"):
        return region.name_zh
    return region.name


def user_choices(users: Iterable[User], *, blank: bool = True) -> list[tuple[str, str]]:
    options = [(u.username, str(u)) for u in users]
    return [("", "—"), *options] if blank else options
