"""The fields of a plan and of its parts as the forms, the API and the command line see
them: the import's converters (kam.core.fields), so a bad value gets the same message
everywhere."""

from __future__ import annotations

from decimal import Decimal

from kam.accounts.io import MONEY_MAX
from kam.core.fields import Field, choice, date, decimal, integer, text
from kam.plans.models import (
    DEFAULT_REVIEW_DAYS,
    ActionStatus,
    CellStatus,
    CompetitorPosition,
    ObjectiveStatus,
    PlanStatus,
    Quadrant,
)

FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_REVIEW_DAYS = 730
MAX_GRID_NAMES = 40  # product lines, and business units, a grid has
MAX_NAME = 100  # of a product line or a business unit

PLAN_FIELDS: list[Field] = [
    Field("account", text(64), required=True),  # the account's external id
    Field("year", integer(minimum=FIRST_YEAR, maximum=LAST_YEAR), required=True),
    Field("status", choice(PlanStatus), default=PlanStatus.DRAFT),
    Field("owner", text(150)),  # a username; default: the account's owner
    Field("vision", text(5000), default=""),
    Field(
        "review_every_days",
        integer(minimum=1, maximum=MAX_REVIEW_DAYS),
        default=DEFAULT_REVIEW_DAYS,
    ),
]

OBJECTIVE_FIELDS: list[Field] = [
    Field("text", text(500), required=True),
    Field("measure", text(300), default=""),
    Field("target_date", date),
    Field("status", choice(ObjectiveStatus), default=ObjectiveStatus.OPEN),
]

TARGET_FIELDS: list[Field] = [
    Field("year", integer(minimum=FIRST_YEAR, maximum=LAST_YEAR), required=True),
    Field("amount", decimal(minimum=Decimal(0), maximum=MONEY_MAX), required=True),
]

SWOT_FIELDS: list[Field] = [
    Field("quadrant", choice(Quadrant), required=True),
    Field("text", text(500), required=True),
]

COMPETITOR_FIELDS: list[Field] = [
    Field("name", text(200), required=True),
    Field("products", text(500), default=""),
    Field("share_of_wallet", decimal(minimum=Decimal(0), maximum=Decimal(100))),
    Field("position", choice(CompetitorPosition), default=CompetitorPosition.ESTABLISHED),
    Field("counter_strategy", text(5000), default=""),
]

ACTION_FIELDS: list[Field] = [
    Field("text", text(500), required=True),
    Field("owner", text(150)),  # a username; default: whoever adds it
    Field("due_date", date),
    Field("status", choice(ActionStatus), default=ActionStatus.OPEN),
]

REVIEW_FIELDS: list[Field] = [
    Field("reviewed_on", date, required=True),
    Field("notes", text(5000), default=""),
]

CELL_FIELDS: list[Field] = [
    Field("product_line", text(MAX_NAME), required=True),
    Field("business_unit", text(MAX_NAME), required=True),
    Field("status", choice(CellStatus), required=True),
]

GRID_NAME_FIELD = Field("name", text(MAX_NAME), required=True)
