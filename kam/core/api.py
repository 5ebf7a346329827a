"""The REST API's view of who is calling: GET /api/me."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from kam.core.models import Role, User
from kam.core.schemas import ErrorOut

router = Router(tags=["me"])


def actor(request: HttpRequest) -> User:
    """The user the API authenticated (by token or session) for this request."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise TypeError("the API authenticates every operation; no user on this request")
    return user


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    role: Role = Field(description="What the user may see and change.")
    team: str | None = Field(description="The sales team's name.")
    region: str | None = Field(description="The sales region's code.")
    sees_all_accounts: bool
    read_only: bool

    @staticmethod
    def resolve_full_name(user: User) -> str:
        return user.get_full_name()

    @staticmethod
    def resolve_team(user: User) -> str | None:
        return user.team.name if user.team else None

    @staticmethod
    def resolve_region(user: User) -> str | None:
        return user.region.code if user.region else None

    @staticmethod
    def resolve_read_only(user: User) -> bool:
        return user.is_read_only


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The current user and role")
def me(request: HttpRequest) -> User:
    return actor(request)
