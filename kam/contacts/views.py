"""Contact pages (DATA-3): the list with filters and export, the contact page with the
reporting line, and the editor."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.contacts.forms import CONTACT_SORTS, ContactFilterForm, ContactForm
from kam.contacts.models import Contact
from kam.contacts.services import (
    delete_contact,
    get_contact_for_user,
    save_contact,
    visible_contacts,
)
from kam.core.models import AuditEvent, User
from kam.core.views import (
    AuthedRequest,
    default_values,
    export_response,
    form_data,
    list_template,
    login_required,
    paginate,
    require_write,
    sort_rows,
)
from kam.dataio.records import current_values

CHAIN_LIMIT = 30  # a reporting line longer than this is a data error, not an org chart


def filtered_account(user: User, pk: str | int | None) -> Account | None:
    """The account a list is narrowed to, if the user may see it."""
    if not pk:
        return None
    return visible_accounts(user).filter(pk=pk).first()


@login_required
def contact_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ContactFilterForm(request.GET)
    rows = form.filter(visible_contacts(user)).select_related("account", "our_counterpart")
    rows, sort = sort_rows(rows, form.cleaned_data.get("sort") or "", CONTACT_SORTS, "name")
    context = {
        "form": form,
        "page": paginate(request, rows),
        "sort": sort,
        "account": filtered_account(user, form.cleaned_data.get("account")),
        "can_write": not user.is_read_only,
    }
    template = list_template(request, "contacts/list.html", "contacts/_results.html")
    return render(request, template, context)


@login_required
def contact_export(request: AuthedRequest) -> HttpResponse:
    rows = ContactFilterForm(request.GET).filter(visible_contacts(request.user))
    return export_response("contacts", rows, request.GET.get("format", "csv"), "contacts")


@login_required
def contact_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = get_contact_for_user(user, pk)
    context = {
        "contact": contact,
        "chain": reporting_chain(user, contact),
        "reports": visible_contacts(user).filter(reports_to=contact).order_by("name"),
        "history": AuditEvent.objects.filter(
            object_type="contact", object_id=contact.pk
        ).select_related("actor")[:100],
        "can_write": not user.is_read_only,
    }
    return render(request, "contacts/detail.html", context)


def reporting_chain(user: User, contact: Contact) -> list[Contact]:
    """Their superior, the superior's superior, … up to the top (top first)."""
    chain: list[Contact] = []
    seen = {contact.pk}
    boss_id = contact.reports_to_id
    visible = visible_contacts(user)
    while boss_id is not None and boss_id not in seen and len(chain) < CHAIN_LIMIT:
        boss = visible.filter(pk=boss_id).first()
        if boss is None:
            break
        chain.append(boss)
        seen.add(boss.pk)
        boss_id = boss.reports_to_id
    return chain[::-1]


@login_required
def contact_create(request: AuthedRequest) -> HttpResponse:
    require_write(request)
    user = request.user
    account = filtered_account(user, request.GET.get("account"))
    initial = default_values("contacts")
    if account is not None:
        initial["account"] = account.external_id
    form = ContactForm(form_data(request), initial=initial, account=account)
    if form.is_bound:
        values = form.validated(actor=user)
        if values is not None:
            contact = save_contact(actor=user, values=values)
            messages.success(request, _("Contact “%(name)s” created.") % {"name": contact.name})
            return redirect(contact)
    return render(
        request, "contacts/form.html", {"form": form, "contact": None, "account": account}
    )


@login_required
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = get_contact_for_user(user, pk, for_write=True)
    base = current_values("contacts", contact)
    form = ContactForm(form_data(request), initial=base, account=contact.account, contact=contact)
    if form.is_bound:
        values = form.validated(actor=user, instance=contact, base=base)
        if values is not None:
            save_contact(actor=user, values=values, contact=contact)
            messages.success(request, _("Contact “%(name)s” saved.") % {"name": contact.name})
            return redirect(contact)
    context = {"form": form, "contact": contact, "account": contact.account}
    return render(request, "contacts/form.html", context)


@login_required
def contact_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = get_contact_for_user(user, pk, for_write=True)
    if request.method == "POST":
        account = contact.account
        name = contact.name
        delete_contact(actor=user, contact=contact)
        messages.success(request, _("Contact “%(name)s” deleted.") % {"name": name})
        return redirect(account)
    return render(request, "contacts/delete.html", {"contact": contact})
