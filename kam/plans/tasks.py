"""Background task of the account plans (django-tasks; `kam worker` runs it)."""

from __future__ import annotations

from django_tasks import task

from kam.plans.services import remind


@task()
def remind_overdue() -> str:
    """Tell owners of overdue plan reviews and actions, once per due date."""
    found = remind()
    return f"reminded {found.reviews} reviews and {found.actions} actions"
