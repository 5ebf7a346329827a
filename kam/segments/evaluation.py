"""Evaluating segments (SEG-3, SEG-4): size, revenue, margin, growth, CLV, accessibility,
the validity checks, and where each segment stands on the attractiveness x our-position
matrix. Everything is over the accounts the reader may see.

The formulas are in docs/how-to/segments.md ("Evaluating segments").
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kam.accounts.services import visible_accounts
from kam.core.models import User
from kam.insights import segmentation as bridge
from kam.segments.models import Segment
from kam.segments.services import membership_filter

KEY_TIERS = ("diamond", "core")
#: Growth that counts as fully attractive / not at all: -50% .. +50% maps to 0 .. 1.
GROWTH_SPAN = 0.5
MATRIX_WIDTH = 480
MATRIX_HEIGHT = 320


@dataclass
class Check:
    check: str
    name: str
    status: str  # pass / warn / not_checked
    reason: str
    figures: dict[str, float]


@dataclass
class SegmentEvaluation:
    segment: Segment
    accounts: int = 0
    revenue: float = 0.0  # last 12 months
    revenue_prev: float = 0.0  # the 12 months before
    margin: float | None = None  # last 12 months; None when no order has a margin
    growth: float | None = None  # None without revenue in the 12 months before
    clv_mean: float | None = None  # of the members with a CLV in the latest run
    clv_accounts: int = 0
    owner_share: float | None = None
    contact_share: float | None = None
    key_share: float | None = None  # share of members whose tier is diamond or core
    revenue_share: float | None = None  # of the visible book's revenue
    checks: list[Check] = field(default_factory=list)
    attractiveness: float | None = None
    position: float | None = None
    quadrant: str = ""


@dataclass
class Bubble:
    evaluation: SegmentEvaluation
    x: float
    y: float
    r: float


@dataclass
class Evaluation:
    segments: list[SegmentEvaluation]
    book_accounts: int
    book_key_share: float | None
    overall: list[Check]
    overlap: int  # accounts in more than one of the segments
    bubbles: list[Bubble]
    has_run: bool
    width: int = MATRIX_WIDTH
    height: int = MATRIX_HEIGHT
    split_y: float = MATRIX_HEIGHT / 2
    split_x: float = MATRIX_WIDTH / 2


def quadrants() -> dict[str, str]:
    return {
        "invest": _("Invest and grow"),
        "selective": _("Build selectively"),
        "maintain": _("Maintain and harvest"),
        "harvest": _("Harvest or withdraw"),
    }


def _text(bilingual: Any) -> str:
    return str(bilingual.zh if (get_language() or "").startswith("zh") else bilingual.en)


def _checks(results: Any) -> list[Check]:
    return [
        Check(
            check=name,
            name=_text(result.name),
            status=str(result.status),
            reason=_text(result.reason),
            figures={k: float(v) for k, v in dict(result.figures).items()},
        )
        for name, result in dict(results).items()
    ]


def _share(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def _measures(frame: pd.DataFrame, has_run: bool) -> list[str]:
    return ["revenue_12m", "orders_12m", *(["clv"] if has_run else [])]


def _not_checked(reason: str) -> list[Check]:
    return [Check("all", _("validity"), "not_checked", reason, {})]


def evaluate_segments(
    user: User, segments: list[Segment], *, as_of: dt.date | None = None
) -> Evaluation:
    """The evaluation of `segments` over the accounts `user` may see (a fixed number of
    queries however many segments: the account frame's five, one flag per segment)."""
    today = as_of or timezone.localdate()
    flags = {
        f"in_{s.pk}": Case(
            When(membership_filter(s, as_of=today), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for s in segments
    }
    accounts = visible_accounts(user).annotate(**flags)
    frame = bridge.account_frame(accounts, as_of=today, extra=list(flags))
    has_run = bool(frame["clv"].notna().any() or frame["score"].notna().any())
    book_revenue = float(frame["revenue_12m"].sum())
    tiered = frame["tier"] != ""
    book_key = float(frame.loc[tiered, "tier"].isin(KEY_TIERS).mean()) if tiered.any() else None
    measures = _measures(frame, has_run)
    found = []
    for segment in segments:
        member = frame[f"in_{segment.pk}"].to_numpy() == 1
        rows = frame[member]
        result = SegmentEvaluation(segment=segment, accounts=int(member.sum()))
        result.revenue = float(rows["revenue_12m"].sum())
        result.revenue_prev = float(rows["revenue_prev_12m"].sum())
        margins = rows["margin_12m"].dropna()
        result.margin = float(margins.sum()) if len(margins) else None
        if result.revenue_prev > 0:
            result.growth = (result.revenue - result.revenue_prev) / result.revenue_prev
        clv = rows["clv"].dropna()
        result.clv_accounts = len(clv)
        result.clv_mean = float(clv.mean()) if len(clv) else None
        result.owner_share = _share(rows["has_owner"])
        result.contact_share = _share(rows["has_contact"])
        member_tiered = rows[rows["tier"] != ""]
        result.key_share = (
            float(member_tiered["tier"].isin(KEY_TIERS).mean()) if len(member_tiered) else None
        )
        result.revenue_share = result.revenue / book_revenue if book_revenue > 0 else None
        result.checks = _segment_checks(frame, member, measures)
        found.append(result)
    overall, overlap = _between_segments(frame, segments, measures)
    bubbles = _matrix(found, book_key)
    split_y = MATRIX_HEIGHT * (1 - 0.5)
    split_x = MATRIX_WIDTH * (book_key if book_key is not None else 0.5)
    return Evaluation(
        segments=found,
        book_accounts=len(frame),
        book_key_share=book_key,
        overall=overall,
        overlap=overlap,
        bubbles=bubbles,
        has_run=has_run,
        split_y=split_y,
        split_x=split_x,
    )


def _segment_checks(frame: pd.DataFrame, member: np.ndarray, measures: list[str]) -> list[Check]:
    """One segment against the rest of the visible book (two groups)."""
    if not member.any():
        return _not_checked(_("No member among the accounts you can see."))
    if member.all():
        return _not_checked(_("Every account you can see is a member: nothing to compare with."))
    labelled = frame.assign(_group=np.where(member, "segment", "rest"))
    try:
        validity = bridge.validity(labelled, segment_column="_group", measures=measures)
    except ValueError as problem:
        return _not_checked(str(problem))
    mine = next(s for s in validity.segments if s.segment == "segment")
    return _checks(mine.checks)


def _between_segments(
    frame: pd.DataFrame, segments: list[Segment], measures: list[str]
) -> tuple[list[Check], int]:
    """The checks of the chosen segments as one segmentation: the accounts in exactly one."""
    if len(segments) < 2:
        return [], 0
    flags = frame[[f"in_{s.pk}" for s in segments]].to_numpy()
    count = flags.sum(axis=1)
    overlap = int((count > 1).sum())
    single = count == 1
    if single.sum() < 2:
        return _not_checked(_("Too few accounts in exactly one of the segments.")), overlap
    labels = np.array([segments[i].pk for i in flags[single].argmax(axis=1)])
    if len(set(labels.tolist())) < 2:
        return _not_checked(_("Only one segment has accounts of its own.")), overlap
    try:
        validity = bridge.validity(
            frame[single].assign(_segment=labels), segment_column="_segment", measures=measures
        )
    except ValueError as problem:
        return _not_checked(str(problem)), overlap
    return _checks(validity.overall), overlap


def _matrix(found: list[SegmentEvaluation], book_key: float | None) -> list[Bubble]:
    """Attractiveness = 0.5 x size index + 0.5 x growth index; position = share of key
    accounts (diamond, core) among the tiered members. See the how-to for the why."""
    largest = max((e.revenue for e in found), default=0.0)
    split = book_key if book_key is not None else 0.5
    bubbles = []
    for e in found:
        if e.accounts == 0:
            continue
        size_index = max(e.revenue, 0.0) / largest if largest > 0 else 0.0
        growth = 0.0 if e.growth is None else e.growth
        growth_index = min(max((growth + GROWTH_SPAN) / (2 * GROWTH_SPAN), 0.0), 1.0)
        e.attractiveness = 0.5 * size_index + 0.5 * growth_index
        e.position = e.key_share if e.key_share is not None else 0.0
        high, strong = e.attractiveness >= 0.5, e.position >= split
        e.quadrant = quadrants()[
            "invest"
            if high and strong
            else "selective"
            if high
            else "maintain"
            if strong
            else "harvest"
        ]
        r = 6 + 22 * math.sqrt(size_index)
        bubbles.append(
            Bubble(
                e,
                x=round(e.position * MATRIX_WIDTH, 1),
                y=round((1 - e.attractiveness) * MATRIX_HEIGHT, 1),
                r=round(r, 1),
            )
        )
    return bubbles
