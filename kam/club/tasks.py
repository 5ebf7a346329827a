"""Background task of the club (django-tasks; `kam worker` runs it): earning from purchases."""

from __future__ import annotations

from django_tasks import task

from kam.club.services import accrue_purchases


@task()
def accrue_club_points() -> int:
    """Give the orders of club members that have not earned yet their points (idempotent);
    the answer is the number of new ledger rows."""
    return accrue_purchases().entries
