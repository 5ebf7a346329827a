"""Data-driven segments (SEG-2) and the rules that reproduce tiers or clusters (VAL-5).

`run_clustering` runs k-means over the whole book (directors and administrators: it is
shared) and stores the result as a ClusteringRun with one ClusterMember per account;
`save_clusters` turns clusters into segments of kind "cluster" whose members are that
stored result. `label_rules` explains the tiers or the latest clusters with a decision
tree, over the accounts the reader may see.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core.access import require_writer
from kam.core.models import User
from kam.insights import segmentation as bridge
from kam.insights.services import is_director, latest_run
from kam.segments.models import ClusteringRun, ClusterMember, Segment, SegmentKind
from kam.segments.services import save_segment


class ClusteringFailed(Exception):
    """The book cannot be segmented (too few accounts, all alike): the reason in words."""


def may_find_clusters(user: User) -> bool:
    return bool(user.is_authenticated and not user.is_read_only and is_director(user))


def require_cluster_writer(user: User) -> None:
    require_writer(user)
    if not may_find_clusters(user):
        raise PermissionDenied("only directors and administrators find and save clusters")


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _profile(profile: Any) -> dict[str, Any]:
    return {
        "label": int(profile.label),
        "accounts": int(profile.accounts),
        "share": _number(profile.share),
        "revenue": _number(profile.revenue),
        "revenue_share": _number(profile.revenue_share),
        "en": profile.description.en,
        "zh": profile.description.zh,
        "numeric": [
            {
                "feature": c.feature,
                "direction": c.direction,
                "effect": _number(c.effect),
                "segment_median": _number(c.segment_median),
                "book_median": _number(c.book_median),
            }
            for c in profile.numeric
        ],
        "levels": [
            {
                "feature": c.feature,
                "level": c.level,
                "segment_share": _number(c.segment_share),
                "book_share": _number(c.book_share),
                "lift": _number(c.lift),
            }
            for c in profile.levels
        ],
    }


@transaction.atomic
def run_clustering(*, actor: User) -> ClusteringRun:
    """k-means over every account of the book, stored (ClusteringFailed when impossible)."""
    require_cluster_writer(actor)
    started = time.monotonic()
    scoring = latest_run()
    frame = bridge.account_frame(Account.objects.all(), run=scoring)
    try:
        result = bridge.find_clusters(frame)
    except ValueError as problem:
        raise ClusteringFailed(str(problem)) from None
    run = ClusteringRun.objects.create(
        actor=actor,
        scoring_run=scoring,
        k=int(result.k),
        silhouette=_number(result.silhouette),
        account_count=len(frame),
        features=dict(zip(("numeric", "categorical"), bridge.usable_features(frame), strict=True)),
        curve=[
            {"k": p.k, "silhouette": _number(p.silhouette), "inertia": _number(p.inertia)}
            for p in result.curve
        ],
        profiles=[_profile(p) for p in result.profiles],
        notes=[{"code": n.code, "en": n.en, "zh": n.zh} for n in result.notes],
    )
    ClusterMember.objects.bulk_create(
        [
            ClusterMember(run=run, account_id=int(i), label=int(label))
            for i, label in zip(result.ids, result.labels, strict=True)
        ],
        batch_size=2000,
    )
    run.seconds = round(time.monotonic() - started, 2)
    run.save(update_fields=["seconds"])
    return run


def describe_cluster(run: ClusteringRun, label: int) -> str:
    profile = run.profile(label)
    key = "zh" if (get_language() or "").startswith("zh") else "en"
    return str(profile.get(key, ""))


def cluster_name(run: ClusteringRun, label: int) -> str:
    text = _("Cluster %(label)s of run %(run)s: %(description)s") % {
        "label": label,
        "run": run.pk,
        "description": describe_cluster(run, label),
    }
    return text[:100]


@transaction.atomic
def save_clusters(*, actor: User, run: ClusteringRun, labels: list[int]) -> list[Segment]:
    """One segment of kind "cluster" per label (audited like every segment). A cluster
    saved before is not saved again; a name taken by another segment gets the run's
    number and the cluster's, which are unique."""
    require_cluster_writer(actor)
    existing = set(Segment.objects.filter(cluster_run=run).values_list("cluster_label", flat=True))
    names = {n.casefold() for n in Segment.objects.values_list("name", flat=True)}
    created = []
    for label in sorted(set(labels)):
        if label in existing or not run.profile(label):
            continue
        name = cluster_name(run, label)
        if name.casefold() in names:
            name = (_("Cluster %(label)s of run %(run)s") % {"label": label, "run": run.pk})[:100]
        values = {
            "name": name,
            "description": describe_cluster(run, label),
            "owner": actor,
            "kind": SegmentKind.CLUSTER,
            "cluster_run": run,
            "cluster_label": label,
        }
        created.append(save_segment(actor=actor, values=values, source="clustering"))
        names.add(name.casefold())
    return created


# --- rules (VAL-5) ----------------------------------------------------------------------


@dataclass
class Rules:
    kind: str  # "tiers" or "clusters"
    rules: list[dict[str, Any]]
    training_accuracy: float | None
    cv_accuracy: float | None
    cv_folds: int
    accounts: int
    importances: list[tuple[str, float]]
    problem: str = ""


def label_rules(user: User, kind: str) -> Rules:
    """Decision-tree rules that reproduce the effective tiers or the latest clusters of the
    accounts `user` may see (accounts without a tier / cluster are left out)."""
    frame = bridge.account_frame(visible_accounts(user))
    names: dict[Any, tuple[str, str]] = {}  # tiers: the analytics' own names (钻石, …)
    if kind == "clusters":
        run = ClusteringRun.objects.first()
        found = (
            dict(ClusterMember.objects.filter(run=run).values_list("account_id", "label"))
            if run is not None
            else {}
        )
        frame["label"] = [found.get(i) for i in frame["id"]]
        names = {
            p["label"]: (f"cluster {p['label']}", f"细分市场 {p['label']}")
            for p in (run.profiles if run is not None else [])
        }
    else:
        kind = "tiers"
        frame["label"] = [t or None for t in frame["tier"]]
    frame = frame[frame["label"].notna()].reset_index(drop=True)
    if kind == "clusters":
        frame["label"] = frame["label"].astype(int)
    empty = Rules(kind, [], None, None, 0, len(frame), [])
    if frame["label"].nunique() < 2:
        empty.problem = _("Rules need accounts with at least two different labels.")
        return empty
    try:
        result = bridge.explain(
            frame, frame["label"].tolist(), label_names=names, currency_symbol=""
        )
    except ValueError as problem:
        empty.problem = str(problem)
        return empty
    zh = (get_language() or "").startswith("zh")
    return Rules(
        kind=kind,
        rules=[
            {
                "text": rule.text.zh if zh else rule.text.en,
                "label": rule.label,
                "accounts": rule.accounts,
                "purity": rule.purity,
            }
            for rule in result.rules
        ],
        training_accuracy=_number(result.training_accuracy),
        cv_accuracy=_number(result.cv_accuracy),
        cv_folds=int(result.cv_folds),
        accounts=len(frame),
        importances=[(f, float(v)) for f, v in result.importances],
        problem="",
    )


CURVE_WIDTH = 360
CURVE_HEIGHT = 160


def curve_points(curve: list[dict[str, Any]]) -> list[tuple[float, float, int, float]]:
    """The silhouette per k as (x, y, k, silhouette) in a CURVE_WIDTH x CURVE_HEIGHT box
    (y: silhouette from 0 at the bottom to 1 at the top; negatives sit on the axis)."""
    points = [p for p in curve if p.get("silhouette") is not None]
    if not points:
        return []
    ks = [int(p["k"]) for p in points]
    low, high = min(ks), max(ks)
    span = max(high - low, 1)
    return [
        (
            round((int(p["k"]) - low) / span * CURVE_WIDTH, 1),
            round(CURVE_HEIGHT - max(float(p["silhouette"]), 0.0) * CURVE_HEIGHT, 1),
            int(p["k"]),
            float(p["silhouette"]),
        )
        for p in points
    ]
