"""Small helpers of the plan pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

register = template.Library()


@register.filter
def review_overdue(plan: Any, today: dt.date) -> bool:
    return bool(plan.review_overdue(today))


@register.filter
def overdue(action: Any, today: dt.date) -> bool:
    return bool(action.is_overdue(today))


@register.filter
def editing_of(editing: Any, section: str) -> Any:
    """The page's form state if it is this section's, else None."""
    return editing if editing is not None and getattr(editing, "section", "") == section else None


@register.filter
def percent_width(value: Any) -> int:
    """An attainment in percent as a bar width: 0 to 100."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return max(0, min(100, round(number)))
