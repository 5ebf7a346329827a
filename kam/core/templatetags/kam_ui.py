"""Template helpers of the web shell: sortable column headers and readable audit rows."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.context import Context
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext

from kam.core.models import AuditEvent, Region
from kam.core.views import region_label

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_link(context: Context, column: str, label: str) -> SafeString:
    """A column header that sorts by `column`, and reverses the order when clicked again."""
    current = str(context.get("sort") or "")
    arrow = ""
    target = column
    if current == column:
        arrow, target = " ▲", f"-{column}"
    elif current == f"-{column}":
        arrow = " ▼"
    params = context["request"].GET.copy()
    params["sort"] = target
    params.pop("page", None)
    href = "?" + params.urlencode()
    return format_html(
        '<a href="{}" hx-get="{}" hx-target="#results" hx-push-url="true">{}{}</a>',
        href,
        href,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def page_url(context: Context, number: int) -> str:
    params = context["request"].GET.copy()
    params["page"] = str(number)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def export_url(context: Context, url: str, fmt: str) -> str:
    """The export of the list as it is filtered now: same query, no page, a format."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    params["format"] = fmt
    return f"{url}?{params.urlencode()}"


@register.filter
def audit_rows(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field label, old, new) with the model's translated labels for fields and choices."""
    model = model_of(event.object_type)
    return [
        (field_label(model, name), shown(model, name, old), shown(model, name, new))
        for name, old, new in event.change_rows()
    ]


@cache
def model_of(object_type: str) -> type[models.Model] | None:
    for model in apps.get_models():
        if model._meta.model_name == object_type and model.__module__.startswith("kam."):
            return model
    return None


def model_field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(model: type[models.Model] | None, name: str) -> str:
    field = model_field(model, name)
    verbose = getattr(field, "verbose_name", None)
    # Changes that are not one field (e.g. "account team") are recorded by their English
    # name, which is also a message of the catalogue.
    return str(capfirst(verbose or gettext(name)))


@register.filter
def region_name(region: Region | None) -> str:
    return region_label(region) if region is not None else "—"


@register.filter
def object_label(object_type: str) -> str:
    """The translated name of the kind of record an audit event is about."""
    model = model_of(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def shown(model: type[models.Model] | None, name: str, value: Any) -> Any:
    field = model_field(model, name)
    if value is None or value == "":
        return "—"
    for code, label in getattr(field, "choices", None) or []:
        if str(code) == str(value):
            return label
    return value
