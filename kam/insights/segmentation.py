"""The bridge from the book (ORM) to kam_analytics' segmentation (SEG-2, SEG-4, VAL-5).

`account_frame` turns a queryset of accounts into one pandas row per account with the
figures the segment pages need; `find_clusters`, `explain` and `validity` call the pure
analytics on such a frame. Only this module (with the rest of kam.insights) imports
kam_analytics; kam.segments uses the results through their attributes.

The frame costs five queries however many accounts: the accounts (with the caller's
annotations), their orders of the last 24 months grouped by account, the latest
successful scoring run, its scores of these accounts, and the accounts with a contact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kam.accounts.models import Account
from kam.insights.models import AccountScore, ScoringRun
from kam.insights.services import latest_run, with_value_results

WINDOW_DAYS = 365  # the last 12 months: the 365 days up to and including today

#: The features k-means and the rules read (docs/how-to/segments.md, "Clusters").
CLUSTER_NUMERIC = (
    "total_revenue",
    "frequency",
    "recency",
    "clv",
    "p_alive",
    "growth",
    "employees",
)
CLUSTER_CATEGORICAL = ("industry", "ownership_type", "region")

SCORE_COLUMNS = ("total_revenue", "frequency", "recency", "clv", "p_alive", "score")


def windows(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of the last 12 months and of the 12 months before them."""
    start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    return start, start - dt.timedelta(days=WINDOW_DAYS)


def account_frame(
    accounts: QuerySet[Account],
    *,
    as_of: dt.date | None = None,
    extra: Sequence[str] = (),
    run: ScoringRun | None = None,
) -> pd.DataFrame:
    """One row per account of `accounts`, in id order.

    Columns: ``id``, ``industry``, ``ownership_type``, ``region`` (sales region code, else
    the province, else empty), ``employees``; ``revenue_12m``, ``revenue_prev_12m``,
    ``margin_12m`` (NaN when no order of the window has a margin), ``orders_12m``,
    ``growth`` ((last 12 months - the 12 before) / the 12 before; NaN when there was no
    revenue before); the latest successful run's ``total_revenue``, ``frequency``,
    ``recency``, ``clv``, ``p_alive``, ``score`` (NaN without a score) and the effective
    ``tier`` ("" without one); ``has_owner`` (the owner is an active user),
    ``has_contact``; and the annotations named in `extra`.
    """
    from kam.contacts.models import Contact
    from kam.transactions.models import Order

    today = as_of or timezone.localdate()
    start, prev_start = windows(today)
    run = run if run is not None else latest_run()
    rows = list(
        with_value_results(accounts)
        .order_by("pk")
        .values(
            "id",
            "industry",
            "ownership_type",
            "region__code",
            "province",
            "employees",
            "owner__is_active",
            "effective_tier",
            *extra,
        )
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "industry",
            "ownership_type",
            "region__code",
            "province",
            "employees",
            "owner__is_active",
            "effective_tier",
            *extra,
        ],
    )
    frame["region"] = [
        code or (province or "").strip().lower()
        for code, province in zip(frame["region__code"], frame["province"], strict=True)
    ]
    frame["tier"] = frame.pop("effective_tier").fillna("").astype(str)
    frame["has_owner"] = frame.pop("owner__is_active").fillna(False).astype(bool)
    frame["employees"] = pd.to_numeric(frame["employees"], errors="coerce").astype(float)
    frame = frame.drop(columns=["region__code", "province"])
    ids = accounts.values("pk")

    recent = Q(order_date__gte=start)
    sums = (
        Order.objects.filter(account_id__in=ids, order_date__gte=prev_start, order_date__lte=today)
        .order_by()
        .values("account_id")
        .annotate(
            revenue_12m=Sum("amount", filter=recent),
            revenue_prev_12m=Sum("amount", filter=Q(order_date__lt=start)),
            margin_12m=Sum("margin", filter=recent),
            orders_12m=Count("pk", filter=recent & Q(amount__gt=0)),
        )
    )
    by_id: dict[int, dict[str, Any]] = {row["account_id"]: dict(row) for row in sums}
    for column in ("revenue_12m", "revenue_prev_12m", "orders_12m"):
        frame[column] = [float(by_id.get(i, {}).get(column) or 0) for i in frame["id"]]
    frame["margin_12m"] = [
        float(m) if (m := by_id.get(i, {}).get("margin_12m")) is not None else np.nan
        for i in frame["id"]
    ]
    previous = frame["revenue_prev_12m"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["growth"] = np.where(
            previous > 0, (frame["revenue_12m"].to_numpy() - previous) / previous, np.nan
        )

    scores: dict[int, dict[str, Any]] = {}
    if run is not None:
        scores = {
            row["account_id"]: row
            for row in AccountScore.objects.filter(run=run, account_id__in=ids)
            .order_by()
            .values("account_id", *SCORE_COLUMNS)
        }
    for column in SCORE_COLUMNS:
        frame[column] = [
            float(v) if (v := scores.get(i, {}).get(column)) is not None else np.nan
            for i in frame["id"]
        ]
    with_contact = set(
        Contact.objects.filter(account_id__in=ids).order_by().values_list("account_id", flat=True)
    )
    frame["has_contact"] = [i in with_contact for i in frame["id"]]
    return frame


def usable_features(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The cluster features the frame has values of: a feature nobody has (CLV before the
    first scoring run, growth in a young book) is left out rather than refused."""
    numeric = [c for c in CLUSTER_NUMERIC if frame[c].notna().any()]
    categorical = [c for c in CLUSTER_CATEGORICAL if (frame[c].fillna("") != "").any()]
    return numeric, categorical


def find_clusters(frame: pd.DataFrame) -> Any:
    """k-means segments of the frame's accounts (kam_analytics `Segmentation`)."""
    from kam_analytics.models.segmentation import segment_accounts

    numeric, categorical = usable_features(frame)
    return segment_accounts(
        frame,
        id_column="id",
        numeric=numeric,
        categorical=categorical,
        revenue_column="total_revenue" if "total_revenue" in numeric else "revenue_12m",
    )


def explain(
    frame: pd.DataFrame,
    labels: Sequence[Any],
    *,
    label_names: Mapping[Any, tuple[str, str]] | None = None,
    currency_symbol: str = "",
) -> Any:
    """If/then rules that reproduce `labels` from the cluster features (`LabelRules`)."""
    from kam_analytics.models.segmentation import Bilingual, explain_labels

    names = {k: Bilingual(en, zh) for k, (en, zh) in (label_names or {}).items()}
    numeric, categorical = usable_features(frame)
    return explain_labels(
        frame,
        list(labels),
        numeric=numeric,
        categorical=categorical,
        label_names=names or None,
        currency_symbol=currency_symbol,
    )


def validity(frame: pd.DataFrame, *, segment_column: str, measures: Sequence[str]) -> Any:
    """The SEG-4 checks (`SegmentValidity`) of the labelling in `segment_column`."""
    from kam_analytics.models.segmentation import segment_validity

    # Measures that are all alike (no revenue in a small book) make scipy's Kruskal-Wallis
    # divide 0 by 0; the check then reports "not significant", which is the right answer.
    with np.errstate(invalid="ignore", divide="ignore"):
        return segment_validity(
            frame,
            segment_column=segment_column,
            measures=list(measures),
            categorical=["industry"],
            revenue_column="revenue_12m",
            # Without any recorded margin, "margin above 0" would warn for every segment.
            margin_column="margin_12m" if frame["margin_12m"].notna().any() else None,
            owner_column="has_owner",
            contact_column="has_contact",
        )
