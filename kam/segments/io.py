"""The fields of a segment and of a strategy as the forms and the API see them.

The same converters as the import (kam.core.fields), so a bad value gets the same
message in a form, in the API and on the command line.
"""

from __future__ import annotations

from decimal import Decimal

from kam.accounts.io import MONEY_MAX
from kam.core.fields import Field, choice, date, decimal, text
from kam.segments.models import StrategyStatus

SEGMENT_FIELDS: list[Field] = [
    Field("name", text(100), required=True),
    Field("description", text(5000), default=""),
    Field("owner", text(150)),  # a username; default: whoever creates it
]

STRATEGY_FIELDS: list[Field] = [
    Field("name", text(200), required=True),
    Field("status", choice(StrategyStatus), default=StrategyStatus.DRAFT),
    Field("product", text(5000), default=""),
    Field("price", text(5000), default=""),
    Field("channel", text(5000), default=""),
    Field("promotion", text(5000), default=""),
    Field("target_revenue", decimal(minimum=Decimal(0), maximum=MONEY_MAX)),
    Field("owner", text(150)),
    Field("review_date", date),
]

#: What the audit trail records of each (besides the definition, in words and as JSON).
SEGMENT_AUDIT_FIELDS = ["name", "description", "kind", "owner", "definition"]
STRATEGY_AUDIT_FIELDS = [
    "segment",
    "name",
    "status",
    "product",
    "price",
    "channel",
    "promotion",
    "target_revenue",
    "owner",
    "review_date",
]
