"""How the service KPI page shows its figures: working time in words, shares in percent,
scores with their precision."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from kam.service.kpis import hours_text, percent_text

register = template.Library()


@register.filter
def work_time(seconds: float | None) -> str:
    """Working seconds as '3 h 20 min'; '—' when there are none."""
    return hours_text(seconds)


@register.filter
def percent(value: float | None) -> str:
    """A share as '92%'; '—' when there is nothing to count."""
    return percent_text(value)


@register.filter
def score(value: float | None, digits: int = 1) -> str:
    """A CSAT average (1–5) with `digits` decimals; '—' without answers."""
    return "—" if value is None else number_format(value, int(digits))


@register.filter
def nps(value: float | None) -> str:
    """A net promoter score, whole and signed: '+35', '−12', '0'; '—' without answers."""
    if value is None:
        return "—"
    whole = round(value)
    if whole > 0:
        return f"+{whole}"
    return f"−{-whole}" if whole < 0 else "0"
