"""Template helpers of the risk app: the dashboard's risk summary, for the user of the page."""

from __future__ import annotations

from django import template
from django.template.context import Context

from kam.risk.services import RiskSummary, risk_summary

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_risk_summary(context: Context) -> RiskSummary:
    """The risk summary of the accounts the page's user sees (kam.risk.services.risk_summary),
    so that a page includes risk/_dashboard_risk.html without a view of its own."""
    return risk_summary(context["request"].user)
