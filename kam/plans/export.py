"""An account plan as a document: Markdown for people, JSON (the API's shape) for programs.
Used by `kam plans export` and `kam plans show`."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kam.plans.models import AccountPlan, CellStatus
from kam.plans.services import grid_of, swot_quadrants, target_rows


def plan_json(plan: AccountPlan) -> str:
    """The plan with all its parts, as GET /api/plans/{id} answers."""
    from ninja.responses import NinjaJSONEncoder

    from kam.plans.api import PlanDetailOut

    data = PlanDetailOut.from_orm(plan).model_dump()
    return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False, indent=2) + "\n"


def cell(text: Any) -> str:
    """Text fit for one cell of a Markdown table."""
    return str(text if text not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def money(value: Any) -> str:
    return f"{value:,.0f}"


def plan_markdown(plan: AccountPlan) -> str:
    """The plan as a Markdown document, in the active language."""
    today = timezone.localdate()
    lines = [
        f"# {_('Account plan')} {plan.year}: {plan.account.name}",
        "",
        f"- {_('Status')}: {plan.get_status_display()}",
        f"- {_('Owner')}: {plan.owner}",
        f"- {_('Review cadence')}: {plan.review_every_days}",
        f"- {_('Next review due')}: {plan.next_review_due or '—'}"
        + (f" ({_('overdue')})" if plan.review_overdue(today) else ""),
        "",
        f"## {_('Shared vision')}",
        "",
        plan.vision or "—",
        "",
        f"## {_('Objectives')}",
        "",
    ]
    objectives = list(plan.objectives.all())
    lines += table(
        [_("Objective"), _("Measure"), _("Target date"), _("Status")],
        [[o.text, o.measure, o.target_date, o.get_status_display()] for o in objectives],
    )
    lines += [f"## {_('Revenue targets')}", ""]
    lines += table(
        [_("Year"), _("Target"), _("Actual"), _("Attainment")],
        [
            [
                row.year,
                money(row.amount),
                money(row.actual),
                f"{row.attainment}%" if row.attainment is not None else "—",
            ]
            for row in target_rows(plan)
        ],
    )
    lines += [f"## {_('SWOT')}", ""]
    for _code, label, items in swot_quadrants(plan.swot.all()):
        lines.append(f"### {label}")
        lines.append("")
        lines += [f"- {item.text}" for item in items] or ["- —"]
        lines.append("")
    lines += [f"## {_('Competitors present')}", ""]
    lines += table(
        [
            _("Competitor"),
            _("Their products"),
            _("Share of wallet"),
            _("Position"),
            _("Our counter-strategy"),
        ],
        [
            [
                c.name,
                c.products,
                f"{c.share_of_wallet.normalize():f}%" if c.share_of_wallet is not None else "—",
                c.get_position_display(),
                c.counter_strategy,
            ]
            for c in plan.competitors.all()
        ],
    )
    lines += [f"## {_('Whitespace')}", ""]
    grid = grid_of(plan)
    labels = dict(CellStatus.choices)
    if grid.product_lines and grid.business_units:
        lines += table(
            [f"{_('Product line')} \\ {_('Business unit')}", *grid.business_units],
            [
                [line, *(str(labels[s]) if s else "—" for _unit, s in cells)]
                for line, cells in grid.rows()
            ],
        )
    else:
        lines += ["—", ""]
    lines += [f"## {_('Actions')}", ""]
    lines += table(
        [_("Action"), _("Owner"), _("Due date"), _("Status")],
        [
            [
                a.text,
                a.owner.username,
                f"{a.due_date} ({_('overdue')})" if a.is_overdue(today) else a.due_date,
                a.get_status_display(),
            ]
            for a in plan.actions.select_related("owner")
        ],
    )
    lines += [f"## {_('Reviews')}", ""]
    reviews = list(plan.reviews.select_related("reviewer"))
    for review in reviews:
        lines += [
            f"### {review.reviewed_on} · {review.reviewer.username}",
            "",
            review.notes or "—",
            "",
        ]
    if not reviews:
        lines += [_("Not reviewed yet."), ""]
    return "\n".join(lines).rstrip() + "\n"
