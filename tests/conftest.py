"""The cast every test story uses.

Team East: manager Mary, account managers Alice and Tom (Alice's teammate).
Team North: manager Nick, account manager Bob (an outsider to Alice).
Also a director Dora, an analyst Ann and an administrator Root.

Accounts: Alice owns "Alice Steel"; Bob owns "Bob Mining" and "Shared Telecom", where
Alice is on the account team.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

# Django models are imported where they are used, so the analytics tests (which never
# touch Django) also run with the Django plugin off.
if TYPE_CHECKING:
    from kam.accounts.models import Account
    from kam.core.models import Region, Team, User


@dataclass
class Cast:
    root: User
    dora: User
    ann: User
    mary: User
    nick: User
    alice: User
    tom: User
    bob: User
    alice_steel: Account
    bob_mining: Account
    shared_telecom: Account
    east: Region
    north: Region


def make_user(username: str, role: str, team: Team | None = None, **extra: object) -> User:
    from kam.core.models import User

    user = User.objects.create_user(
        username=username, password="pw-" + username, role=role, team=team, **extra
    )
    return user


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest) -> None:
    # The cast logs in with passwords; real hashing would cost seconds per test.
    if not request.config.pluginmanager.hasplugin("django"):
        return  # the analytics suite runs without Django too
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db: None) -> Cast:
    from kam.accounts.models import Account, AccountTeamMember, Industry, OwnershipType
    from kam.core.models import Region, Role, Team

    east = Region.objects.create(code="east", name="East China", name_zh="华东")
    north = Region.objects.create(code="north", name="North China", name_zh="华北")
    team_east = Team.objects.create(name="East", region=east)
    team_north = Team.objects.create(name="North", region=north)
    root = make_user("root", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    dora = make_user("dora", Role.DIRECTOR)
    ann = make_user("ann", Role.ANALYST)
    mary = make_user("mary", Role.SALES_MANAGER, team_east)
    nick = make_user("nick", Role.SALES_MANAGER, team_north)
    alice = make_user("alice", Role.ACCOUNT_MANAGER, team_east)
    tom = make_user("tom", Role.ACCOUNT_MANAGER, team_east)
    bob = make_user("bob", Role.ACCOUNT_MANAGER, team_north)
    alice_steel = Account.objects.create(
        external_id="A-1",
        name="Alice Steel Co., Ltd.",
        owner=alice,
        region=east,
        industry=Industry.MANUFACTURING,
        ownership_type=OwnershipType.STATE_OWNED,
        province="Jiangsu",
        city="Suzhou",
        credit_limit=Decimal("500000"),
    )
    bob_mining = Account.objects.create(
        external_id="B-1",
        name="Bob Mining",
        owner=bob,
        region=north,
        industry=Industry.ENERGY,
        ownership_type=OwnershipType.PRIVATE,
        province="Shanxi",
        city="Taiyuan",
    )
    shared_telecom = Account.objects.create(
        external_id="B-2",
        name="Shared Telecom",
        owner=bob,
        region=north,
        industry=Industry.TELECOM,
        ownership_type=OwnershipType.FOREIGN_INVESTED,
        province="Beijing",
        city="Beijing",
    )
    AccountTeamMember.objects.create(account=shared_telecom, user=alice, role="technical")
    return Cast(
        root=root,
        dora=dora,
        ann=ann,
        mary=mary,
        nick=nick,
        alice=alice,
        tom=tom,
        bob=bob,
        alice_steel=alice_steel,
        bob_mining=bob_mining,
        shared_telecom=shared_telecom,
        east=east,
        north=north,
    )
