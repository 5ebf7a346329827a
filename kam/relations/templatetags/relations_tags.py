"""Template helpers of relationship management: the health trend as a small inline SVG
chart, and the words of the health bands and visit statuses."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kam.relations.scoring import TrendPoint

register = template.Library()

WIDTH, HEIGHT, PAD = 240, 64, 6


@register.simple_tag
def trend_svg(points: Sequence[TrendPoint]) -> SafeString:
    """A line of the scores (0 at the bottom, 100 at the top), oldest left, each point
    with its date and score as a tooltip."""
    if not points:
        return format_html("")
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def xy(index: int, score: int) -> tuple[float, float]:
        return PAD + index * step, PAD + (HEIGHT - 2 * PAD) * (100 - score) / 100

    coords = [xy(i, p.score) for i, p in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3"><title>{}: {}</title></circle>',
        (
            (f"{x:.1f}", f"{y:.1f}", p.day.isoformat(), p.score)
            for (x, y), p in zip(coords, points, strict=True)
        ),
    )
    label = _("Relationship health at the last month-ends and today")
    return format_html(
        '<svg class="trend" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}"><line x1="{}" y1="{}" x2="{}" y2="{}" class="trend-mid"/>'
        '<polyline points="{}" fill="none"/>{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        f"{label}: " + ", ".join(f"{p.day.isoformat()} {p.score}" for p in points),
        PAD,
        HEIGHT / 2,
        WIDTH - PAD,
        HEIGHT / 2,
        line,
        dots,
    )


@register.filter
def health_band(band: str) -> str:
    return {"good": _("good"), "fair": _("fair"), "poor": _("poor")}.get(band, band)


@register.filter
def visit_status(status: str) -> str:
    return {
        "overdue": _("Overdue"),
        "never": _("Never visited"),
        "due_soon": _("Due soon"),
        "ok": _("On schedule"),
        "none": _("No regular visits"),
    }.get(status, status)


@register.filter
def tier_label(code: str) -> str:
    from kam.insights.models import Tier

    return str(dict(Tier.choices).get(code, code))
