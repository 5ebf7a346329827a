"""Demo account plans (REL-4): an active plan for every diamond account and the top core
accounts of the demo book, some with last year's plan archived, each with a vision,
objectives, revenue targets measured against the orders, SWOT, competitors, a whitespace
grid, actions (some overdue) and reviews (some overdue).

Call after the demo book is loaded and scored:
    populate(random.Random(seed), Account.objects.all(), users, book.as_of)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from kam.accounts.models import Account, Industry
from kam.core.models import Role, User
from kam.plans.models import (
    AccountPlan,
    ActionStatus,
    CellStatus,
    CompetitorPosition,
    ObjectiveStatus,
    PlanStatus,
    Quadrant,
)
from kam.plans.services import (
    PARTS,
    Grid,
    default_product_lines,
    refresh_next_review,
    revenue_by_year,
    save_part,
    save_plan,
    set_whitespace,
)

MAX_DIAMOND = 30
TOP_CORE = 10
GRID_LINES = 6
SOURCE = "demo"

VISIONS = {
    "default": (
        "Be {name}'s first-choice partner for smart manufacturing: automation, MES and energy "
        "management in every plant by {horizon}, supporting its digital transformation "
        "programme under the 14th Five-Year Plan.",
        "Grow from a component supplier into {name}'s long-term partner for its "
        "'lighthouse factory' ambition, with a joint roadmap reviewed with the general "
        "manager's office every year until {horizon}.",
        "Help {name} reach its carbon-peaking and quality targets with our IoT, energy and "
        "traceability solutions, becoming the standard supplier across the group by {horizon}.",
    ),
    Industry.ENERGY: (
        "Support {name}'s safe, low-carbon operations: the standard platform for equipment "
        "monitoring and energy management in all its stations by {horizon}.",
    ),
    Industry.TELECOM: (
        "Be {name}'s partner for edge computing and equipment rooms: power, monitoring and "
        "remote operations in every provincial branch by {horizon}.",
    ),
    Industry.HEALTHCARE: (
        "Make {name}'s production and cold chain fully traceable with our sensors, vision "
        "and MES, meeting NMPA GMP audits without findings through {horizon}.",
    ),
    Industry.AUTOMOTIVE: (
        "Win {name}'s new-energy-vehicle lines: the automation and vision partner for battery "
        "and e-drive plants by {horizon}.",
    ),
}

OBJECTIVES = (
    ("Sign the frame agreement for the second-phase MES roll-out", "Contract signed", 120),
    (
        "Get listed as a qualified supplier at the group procurement centre",
        "On the approved list",
        150,
    ),
    (
        "Pilot energy monitoring in one plant with a documented 8% saving",
        "Saving confirmed by their energy office",
        200,
    ),
    (
        "Raise share of wallet in automation from 25% to 40%",
        "Share of wallet per our estimate",
        330,
    ),
    (
        "Establish quarterly executive meetings with the deputy general manager",
        "Four meetings held",
        300,
    ),
    (
        "Replace the competitor's PLCs on the Wuxi line at end of life",
        "Purchase order for the retrofit",
        240,
    ),
    (
        "Launch a joint 'smart factory' demonstration project for the provincial subsidy",
        "Project approved by the industry bureau",
        270,
    ),
    (
        "Cut our average on-site response time to under 4 hours",
        "Service report, last 6 months",
        180,
    ),
)

UNITS = {
    "default": (
        "{city} headquarters plant",
        "East China plants",
        "Group procurement centre",
        "R&D institute",
        "Digitalisation office (IT)",
        "Energy & facilities",
        "Overseas plant (Vietnam)",
        "Quality department",
    ),
    Industry.ENERGY: (
        "{city} power station",
        "Grid dispatch centre",
        "New-energy subsidiary",
        "Maintenance company",
        "Procurement centre",
        "Safety & environment office",
    ),
    Industry.TELECOM: (
        "{city} provincial branch",
        "Data centre operations",
        "Network maintenance",
        "Government & enterprise unit",
        "Procurement centre",
        "Energy saving office",
    ),
}

STRENGTHS = (
    "Service engineers within two hours of their main plant",
    "MES reference at a sister company in the same group",
    "Good relationship with the deputy general manager for production",
    "Our PLCs run their most profitable line without unplanned stops for two years",
    "Bilingual project team trusted by the foreign-invested partner",
)
WEAKNESSES = (
    "Price premium of 10–15% over domestic brands",
    "Not yet on the group procurement centre's approved list",
    "Slow delivery of customised HMI panels last year",
    "Little contact with the finance director (economic buyer)",
    "Our cloud platform is not on their approved 'xinchuang' (domestic IT) list",
)
OPPORTUNITIES = (
    "Two new production lines planned for next year",
    "Provincial subsidies for 'smart factory' demonstration projects",
    "Carbon-peaking targets push energy monitoring in every plant",
    "New general manager wants a group-wide MES standard",
    "Expansion into Southeast Asia needs a supplier that can follow them",
)
THREATS = (
    "Centralised group tendering may favour the lowest price",
    "'Domestic substitution' policy favours local automation brands",
    "Export demand is slowing; capex may be cut mid-year",
    "A competitor offers free on-site engineers for a year",
    "Payment terms stretched to 120 days by the new CFO",
)

COMPETITORS = (
    (
        "Siemens",
        "PLCs, drives, MindSphere",
        CompetitorPosition.PREFERRED,
        "Lead with total cost of ownership and local service; "
        "target their end-of-life S7-300 base.",
    ),
    (
        "Inovance (汇川技术)",
        "Servo drives, small PLCs",
        CompetitorPosition.CHALLENGER,
        "Bundle servo with our vision and MES; avoid a pure price fight on drives.",
    ),
    (
        "Schneider Electric",
        "Power distribution, EcoStruxure",
        CompetitorPosition.ESTABLISHED,
        "Position our EMS as vendor-neutral; offer integration of their meters.",
    ),
    (
        "Supcon (中控技术)",
        "DCS, MES for process lines",
        CompetitorPosition.ESTABLISHED,
        "Focus on discrete lines where Supcon is weak; share a joint reference.",
    ),
    (
        "Hikvision Robot",
        "Machine vision cameras",
        CompetitorPosition.CHALLENGER,
        "Show our defect-detection accuracy in a paid pilot on their line.",
    ),
    (
        "Huawei Cloud",
        "Industrial cloud, ModelArts",
        CompetitorPosition.MINOR,
        "Partner rather than compete: run our applications on their cloud if required.",
    ),
)

ACTIONS = (
    "Technical workshop with the production and IT departments",
    "Send the MES second-phase proposal and budget quotation",
    "Invite the deputy general manager to our Suzhou reference plant",
    "Prepare the supplier qualification documents for the procurement centre",
    "Agree the energy-monitoring pilot scope with the energy office",
    "Meet the finance director to discuss payment terms",
    "Run the spring festival greeting visit with our general manager",
    "Register the joint demonstration project with the industry bureau",
)

REVIEW_NOTES = (
    "Pipeline on track; MES phase two waits for the group budget meeting. "
    "Keep pressure on the procurement listing.",
    "Lost the drives tender to Inovance on price; agreed to lead with TCO in the next bid. "
    "Relationship with the DGM is strong.",
    "Energy pilot approved. New CFO stretches payment terms: "
    "involve our finance team before the next quotation.",
    "Quarterly review with the customer's production director: satisfied with service, "
    "asks for faster HMI delivery.",
)


def populate(
    rng: random.Random,
    accounts: Iterable[Account],
    users: Mapping[str, User] | Iterable[User],
    as_of: dt.date,
) -> dict[str, int]:
    """Create the demo plans; the same rng, the same plans. Returns what was made."""
    chosen = key_accounts(list(accounts))
    people = list(users.values()) if isinstance(users, Mapping) else list(users)
    admin = (
        next(
            (u for u in people if u.is_superuser or u.role == Role.ADMINISTRATOR),
            None,
        )
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )
    if admin is None or not chosen:
        return {"account plans": 0}
    counts = {"account plans": 0, "archived plans": 0, "plan actions": 0, "plan reviews": 0}
    with transaction.atomic():
        for account in chosen:
            if rng.random() < 0.35:
                past_plan(rng, account, admin, as_of)
                counts["archived plans"] += 1
            made = current_plan(rng, account, admin, people, as_of)
            counts["account plans"] += 1
            counts["plan actions"] += made["actions"]
            counts["plan reviews"] += made["reviews"]
    return counts


def key_accounts(accounts: list[Account]) -> list[Account]:
    """The diamond accounts (at most MAX_DIAMOND) and the top core ones, by revenue."""
    from kam.insights.services import effective_tiers

    ids = [a.pk for a in accounts]
    by_pk = {a.pk: a for a in accounts}
    tiers = effective_tiers(ids)
    revenue = dict(
        Account.objects.filter(pk__in=ids)
        .annotate(total=Sum("orders__amount"))
        .values_list("pk", "total")
    )

    def ranked(tier: str) -> list[int]:
        found = [pk for pk, t in tiers.items() if t == tier]
        return sorted(found, key=lambda pk: (-(revenue.get(pk) or 0), pk))

    picked = ranked("diamond")[:MAX_DIAMOND] + ranked("core")[:TOP_CORE]
    if not picked:  # not scored: the biggest accounts by revenue
        picked = sorted(ids, key=lambda pk: (-(revenue.get(pk) or 0), pk))[:TOP_CORE]
    return [by_pk[pk] for pk in picked]


def team_of(account: Account, people: list[User]) -> list[User]:
    """Who may own the account's actions: its owner, its account team, its owner's manager."""
    members = [m.user for m in account.team.select_related("user")]
    owner = account.owner
    managers = [
        u
        for u in people
        if u.role == Role.SALES_MANAGER and owner.team_id and u.team_id == owner.team_id
    ]
    return [owner, *members, *managers]


def pick(rng: random.Random, options: tuple[Any, ...], count: int) -> list[Any]:
    return rng.sample(list(options), min(count, len(options)))


def vision_of(rng: random.Random, account: Account, horizon: int) -> str:
    options = VISIONS.get(account.industry, VISIONS["default"])
    return rng.choice(options).format(name=account.name, horizon=horizon)


def started(plan: AccountPlan, day: dt.date) -> None:
    """Date the plan as written on `day` (the demo's plans were made at the start of the year)."""
    moment = dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)
    AccountPlan.objects.filter(pk=plan.pk).update(created_at=moment)
    plan.created_at = moment


def past_plan(rng: random.Random, account: Account, admin: User, as_of: dt.date) -> None:
    year = as_of.year - 1
    plan = save_plan(
        actor=admin,
        values={
            "account": account,
            "year": year,
            "status": PlanStatus.ARCHIVED,
            "owner": account.owner,
            "vision": vision_of(rng, account, year + 3),
            "review_every_days": 90,
        },
        source=SOURCE,
    )
    started(plan, dt.date(year, 1, 8))
    for text, measure, _days in pick(rng, OBJECTIVES, 3):
        status = rng.choice(
            [ObjectiveStatus.ACHIEVED, ObjectiveStatus.ACHIEVED, ObjectiveStatus.MISSED]
        )
        add(
            plan,
            admin,
            "objectives",
            text=text,
            measure=measure,
            target_date=dt.date(year, 12, 15),
            status=status,
        )
    actual = revenue_by_year(account.pk, [year])[year]
    add(plan, admin, "targets", year=year, amount=money(actual * Decimal(rng.uniform(0.9, 1.2))))
    add(
        plan,
        admin,
        "reviews",
        reviewer=account.owner,
        reviewed_on=dt.date(year, 12, 20),
        notes="Year-end review: plan closed, lessons carried into next year's plan.",
    )
    refresh_next_review(plan)


def current_plan(
    rng: random.Random, account: Account, admin: User, people: list[User], as_of: dt.date
) -> dict[str, int]:
    year = as_of.year
    team = team_of(account, people)
    plan = save_plan(
        actor=admin,
        values={
            "account": account,
            "year": year,
            "status": PlanStatus.ACTIVE,
            "owner": account.owner,
            "vision": vision_of(rng, account, year + 3),
            "review_every_days": rng.choice([90, 90, 90, 60, 120]),
        },
        source=SOURCE,
    )
    start = dt.date(year, 1, rng.randint(5, 25))
    started(plan, start)
    for text, measure, days in pick(rng, OBJECTIVES, rng.randint(3, 4)):
        status = rng.choice(
            [
                ObjectiveStatus.ON_TRACK,
                ObjectiveStatus.ON_TRACK,
                ObjectiveStatus.AT_RISK,
                ObjectiveStatus.OPEN,
                ObjectiveStatus.ACHIEVED,
            ]
        )
        add(
            plan,
            admin,
            "objectives",
            text=text,
            measure=measure,
            target_date=start + dt.timedelta(days=days),
            status=status,
        )
    add_targets(rng, plan, admin, account, year)
    for quadrant, texts in (
        (Quadrant.STRENGTH, STRENGTHS),
        (Quadrant.WEAKNESS, WEAKNESSES),
        (Quadrant.OPPORTUNITY, OPPORTUNITIES),
        (Quadrant.THREAT, THREATS),
    ):
        for text in pick(rng, texts, rng.randint(2, 3)):
            add(plan, admin, "swot", quadrant=quadrant, text=text)
    for name, products, position, counter in pick(rng, COMPETITORS, rng.randint(2, 3)):
        share = Decimal(rng.randint(5, 45)) if rng.random() < 0.8 else None
        add(
            plan,
            admin,
            "competitors",
            name=name,
            products=products,
            share_of_wallet=share,
            position=position,
            counter_strategy=counter,
        )
    whitespace(rng, plan, admin, account)
    actions = add_actions(rng, plan, admin, team, as_of)
    reviews = add_reviews(rng, plan, admin, team, start, as_of)
    return {"actions": actions, "reviews": reviews}


def add(
    plan: AccountPlan, admin: User, kind: str, *, reviewer: User | None = None, **values: Any
) -> Any:
    return save_part(
        PARTS[kind], actor=admin, plan=plan, values=values, reviewer=reviewer, source=SOURCE
    )


def money(value: Decimal) -> Decimal:
    """Rounded to thousands, as people set targets."""
    return max(Decimal(0), (value / 1000).quantize(Decimal(1)) * 1000)


def add_targets(
    rng: random.Random, plan: AccountPlan, admin: User, account: Account, year: int
) -> None:
    actual = revenue_by_year(account.pk, [year - 2, year - 1])
    base = actual[year - 1] or actual[year - 2] or Decimal(500_000)
    add(plan, admin, "targets", year=year - 1, amount=money(base * Decimal(rng.uniform(0.9, 1.15))))
    add(plan, admin, "targets", year=year, amount=money(base * Decimal(rng.uniform(1.1, 1.3))))
    add(plan, admin, "targets", year=year + 1, amount=money(base * Decimal(rng.uniform(1.3, 1.6))))


def whitespace(rng: random.Random, plan: AccountPlan, admin: User, account: Account) -> None:
    lines = default_product_lines(account)[:GRID_LINES]
    options = UNITS.get(account.industry, UNITS["default"])
    units = [
        u.format(city=account.city or account.province or "Main")
        for u in pick(rng, options, rng.randint(3, 5))
    ]
    grid = Grid(product_lines=lines, business_units=units)
    statuses = [
        CellStatus.SOLD,
        CellStatus.SOLD,
        CellStatus.IN_PROGRESS,
        CellStatus.OPEN,
        CellStatus.OPEN,
        CellStatus.NOT_RELEVANT,
    ]
    for line_index, line in enumerate(lines):
        for unit_index, unit in enumerate(units):
            if unit_index == 0 and line_index < 3:
                grid.cells[(line, unit)] = CellStatus.SOLD  # where the account buys today
            elif rng.random() < 0.9:
                grid.cells[(line, unit)] = rng.choice(statuses)
    set_whitespace(actor=admin, plan=plan, grid=grid, source=SOURCE)


def add_actions(
    rng: random.Random, plan: AccountPlan, admin: User, team: list[User], as_of: dt.date
) -> int:
    chosen = pick(rng, ACTIONS, rng.randint(4, 6))
    for index, text in enumerate(chosen):
        if index == 0 and rng.random() < 0.7:  # most plans have an overdue action to chase
            due, status = as_of - dt.timedelta(days=rng.randint(5, 40)), ActionStatus.OPEN
        elif index == 1:
            due, status = as_of - dt.timedelta(days=rng.randint(40, 120)), ActionStatus.DONE
        else:
            due = as_of + dt.timedelta(days=rng.randint(-20, 90))
            status = rng.choice(
                [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.IN_PROGRESS]
            )
            if due < as_of and rng.random() < 0.5:
                status = rng.choice([ActionStatus.DONE, ActionStatus.DROPPED])
        add(plan, admin, "actions", text=text, owner=rng.choice(team), due_date=due, status=status)
    return len(chosen)


def add_reviews(
    rng: random.Random,
    plan: AccountPlan,
    admin: User,
    team: list[User],
    start: dt.date,
    as_of: dt.date,
) -> int:
    # The last review 15 to 120 days before the book's date: some reviews are overdue.
    last = as_of - dt.timedelta(days=rng.randint(15, 120))
    days = [last]
    earlier = last - dt.timedelta(days=plan.review_every_days)
    if earlier > start:
        days.insert(0, earlier)
    for day in days:
        add(
            plan,
            admin,
            "reviews",
            reviewer=rng.choice(team),
            reviewed_on=day,
            notes=rng.choice(REVIEW_NOTES),
        )
    refresh_next_review(plan)
    return len(days)
