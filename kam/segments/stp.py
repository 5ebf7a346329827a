"""STP plans (SEG-3, SEG-5): the goal, the segments considered, the target segments.

Everybody reads the plans; directors, administrators and sales managers create them and
change their own (directors and administrators: every plan). Every write is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from kam.core import audit
from kam.core.access import require_writer
from kam.core.models import AuditAction, User
from kam.insights.services import is_director
from kam.segments.models import Segment, StpPlan
from kam.segments.services import may_create_segments


def may_change_plan(user: User, plan: StpPlan | None = None) -> bool:
    if not may_create_segments(user):
        return False
    return plan is None or is_director(user) or plan.owner_id == user.pk


def visible_plans(user: User) -> QuerySet[StpPlan]:
    if not user.is_authenticated or not user.is_active:
        return StpPlan.objects.none()
    return StpPlan.objects.all()


def get_plan_for_user(user: User, pk: int | str, *, for_write: bool = False) -> StpPlan:
    try:
        plan = visible_plans(user).select_related("owner").get(pk=pk)
    except (StpPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such plan") from None
    if for_write:
        require_writer(user)
        if not may_change_plan(user, plan):
            raise PermissionDenied("only the plan's owner and directors change a plan")
    return plan


def plan_snapshot(plan: StpPlan) -> dict[str, Any]:
    values = audit.snapshot(plan, ["goal", "review_date"])
    values["owner"] = plan.owner.username if plan.owner_id else None
    if plan.pk:
        values["segments"] = ", ".join(
            plan.segments.order_by("name").values_list("name", flat=True)
        )
        values["targets"] = ", ".join(plan.targets.order_by("name").values_list("name", flat=True))
    return values


@transaction.atomic
def save_plan(
    *,
    actor: User,
    goal: str,
    segments: list[Segment] | None = None,
    targets: list[Segment] | None = None,
    review_date: dt.date | None = None,
    plan: StpPlan | None = None,
    source: str = "web",
) -> StpPlan:
    """Create or change a plan (audited). Targets are always among the segments
    considered: a target not considered yet is added to them. `None` keeps the current
    segments / targets."""
    require_writer(actor)
    if not may_change_plan(actor, plan):
        raise PermissionDenied("only the plan's owner and directors change a plan")
    creating = plan is None
    target = plan or StpPlan(owner=actor)
    before = {} if creating else plan_snapshot(target)
    target.goal = goal.strip()
    target.review_date = review_date
    target.save()
    if segments is not None:
        target.segments.set(segments)
    if targets is not None:
        target.targets.set(targets)
        target.segments.add(*targets)
    after = plan_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=None,
        source=source,
    )
    return target
