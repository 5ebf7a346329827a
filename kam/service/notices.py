"""When an account changes tier, its service policy follows (policy_for_account reads
the effective tier) and its owner is told, with the new policy's figures (SVC-1).

A tier set or cleared by hand is one TierChange row made with `create`: its owner gets
one notification about that account once the change commits. A scoring run writes its
changes in bulk (no post_save) and may move hundreds of accounts at once: after the run
has succeeded each owner gets one notification for the run — about the account itself
when only one of theirs moved, else how many moved, up and down, linking to the
dashboard's tier movements.

The figures are worded in the installation's language (KAM_LANGUAGE), as the emails
are; the sentence around them in the reader's.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from kam.core.models import User
from kam.insights.models import TIER_RANK, ScoringRun, Tier, TierChange
from kam.notifications.messages import register
from kam.notifications.services import notify
from kam.service.forms import human_duration, human_visits
from kam.service.models import ServicePolicy

log = logging.getLogger(__name__)

TIER_CHANGED = "service.tier_changed"
FIRST_TIER = "service.first_tier"
TIERS_CHANGED_IN_RUN = "service.tiers_changed_in_run"

register(
    TIER_CHANGED,
    gettext_lazy(
        "%(account)s moved from %(from_tier)s to %(to_tier)s: first response now "
        "%(response)s, resolution %(resolution)s, visits: %(visits)s, served by "
        "%(service_model)s."
    ),
)
register(
    FIRST_TIER,
    gettext_lazy(
        "%(account)s is now %(to_tier)s: first response %(response)s, resolution "
        "%(resolution)s, visits: %(visits)s, served by %(service_model)s."
    ),
)
register(
    TIERS_CHANGED_IN_RUN,
    gettext_lazy(
        "%(count)s of your accounts changed tier in the scoring run of %(date)s "
        "(%(up)s up, %(down)s down, %(new)s with a first tier); their service policies "
        "follow."
    ),
)


@dataclass(frozen=True)
class Move:
    """One tier change, as much as the notice needs."""

    account_id: int
    account: str
    owner_id: int | None
    from_tier: str
    to_tier: str

    @property
    def direction(self) -> str:
        if not self.from_tier:
            return "new"
        before, after = TIER_RANK[Tier(self.from_tier)], TIER_RANK[Tier(self.to_tier)]
        return "up" if after > before else "down" if after < before else "same"


def policy_figures(policy: ServicePolicy, working_day_minutes: int) -> dict[str, str]:
    return {
        "response": human_duration(
            policy.first_response_minutes, policy.clock, working_day_minutes
        ),
        "resolution": human_duration(policy.resolution_minutes, policy.clock, working_day_minutes),
        "visits": human_visits(policy.visit_interval_days).lower(),
        "service_model": str(policy.get_service_model_display()).lower(),
    }


def tier_label(tier: str) -> str:
    return str(Tier(tier).label).lower() if tier in Tier.values else tier


def single_notice(move: Move, policies: dict[str, ServicePolicy], per_day: int) -> None:
    """Tell the owner about one account's move, with its new policy's figures."""
    owner = User.objects.filter(pk=move.owner_id).first() if move.owner_id else None
    if owner is None:
        return
    policy = policies.get(move.to_tier)
    if policy is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        params: dict[str, Any] = {
            "account": move.account,
            "from_tier": tier_label(move.from_tier),
            "to_tier": tier_label(move.to_tier),
            **policy_figures(policy, per_day),
        }
    code = FIRST_TIER if move.direction == "new" else TIER_CHANGED
    link = reverse("accounts:detail", args=[move.account_id]) + "#service-policy"
    notify([owner], code, params, link=link, account_id=move.account_id)


def policies_by_tier() -> dict[str, ServicePolicy]:
    from kam.service.policies import all_policies

    return {policy.tier: policy for policy in all_policies()}


def tell_owner_of_change(change_id: int) -> None:
    """After a tier change by hand has committed: tell the account's owner."""
    from kam.service.policies import working_day_minutes

    row = (
        TierChange.objects.filter(pk=change_id)
        .values_list("account_id", "account__name", "account__owner_id", "from_tier", "to_tier")
        .first()
    )
    if row is None:
        return
    single_notice(Move(*row), policies_by_tier(), working_day_minutes())


def direction(from_tier: str, to_tier: str) -> str:
    return Move(0, "", None, from_tier, to_tier).direction


def tell_owners_of_run(run: ScoringRun) -> int:
    """After a scoring run: one notification per owner whose accounts changed tier.
    Counted in the database (a run over a million accounts loads no million rows).
    Returns how many owners were told."""
    from kam.service.policies import working_day_minutes

    changes = TierChange.objects.filter(run=run, account__owner__isnull=False).order_by()
    counted = changes.values_list("account__owner_id", "from_tier", "to_tier").annotate(
        n=Count("pk")
    )
    by_owner: dict[int, Counter[str]] = defaultdict(Counter)
    for owner_id, from_tier, to_tier, n in counted:
        by_owner[owner_id][direction(from_tier, to_tier)] += n
    owners = User.objects.in_bulk(list(by_owner))
    told = [pk for pk, person in owners.items() if person.is_active]
    singles = [pk for pk in told if sum(by_owner[pk].values()) == 1]
    if singles:
        policies, per_day = policies_by_tier(), working_day_minutes()
        rows = changes.filter(account__owner_id__in=singles).values_list(
            "account_id", "account__name", "account__owner_id", "from_tier", "to_tier"
        )
        for row in rows:
            single_notice(Move(*row), policies, per_day)
    link = reverse("insights:dashboard") + "#movements"
    for pk in told:
        moves = by_owner[pk]
        if pk in singles:
            continue
        params = {
            "count": sum(moves.values()),
            "date": run.as_of.isoformat(),
            "up": moves["up"],
            "down": moves["down"],
            "new": moves["new"],
        }
        notify([owners[pk]], TIERS_CHANGED_IN_RUN, params, link=link)
    return len(told)


# --- the receivers (connected in ServiceConfig.ready) --------------------------------------


def on_tier_change_saved(sender: Any, instance: TierChange, created: bool, **kwargs: Any) -> None:
    """A tier change made one by one (by hand): tell the owner once it commits. Changes
    of a scoring run are told per owner when the run has succeeded (on_scoring_succeeded)."""
    if not created or kwargs.get("raw") or instance.run_id is not None:
        return
    transaction.on_commit(partial(safely, tell_owner_of_change, instance.pk))


def on_scoring_succeeded(sender: Any, run: ScoringRun, **kwargs: Any) -> None:
    transaction.on_commit(partial(safely, tell_owners_of_run, run))


def safely(work: Any, *args: Any) -> None:
    """A notice that cannot be written is logged; the tier change stands."""
    try:
        work(*args)
    except Exception:
        log.exception("the tier change notice failed")
