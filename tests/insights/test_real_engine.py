"""The real value engine end to end on a small book: every account with orders is scored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam.accounts.models import Account
from kam.insights.models import AccountRating, AccountScore, RunStatus, Tier
from kam.insights.services import current_tier, portfolio_summary, run_scoring
from kam.transactions.models import Order, Payment
from tests.conftest import Cast

AS_OF = dt.date(2025, 12, 31)


def test_it_scores_a_small_book_with_the_real_engine(cast: Cast) -> None:
    accounts = [cast.alice_steel, cast.bob_mining, cast.shared_telecom]
    accounts += [
        Account.objects.create(external_id=f"X-{n}", name=f"Extra {n}", owner=cast.bob)
        for n in range(27)
    ]
    orders = []
    for n, account in enumerate(accounts):
        every = 3 + n % 7
        for week in range(n % 5, 100, every):
            day = dt.date(2024, 1, 1) + dt.timedelta(weeks=week, days=n % 3)
            amount = Decimal(500 + 97 * n + (week % 4) * 50)
            orders.append(Order(account=account, order_date=day, amount=amount))
    Order.objects.bulk_create(orders)
    Payment.objects.create(
        account=cast.alice_steel,
        due_date=dt.date(2025, 6, 30),
        paid_date=dt.date(2025, 7, 20),
        amount=Decimal(1000),
    )
    AccountRating.objects.create(account=cast.alice_steel, cooperation_willingness=5)
    run = run_scoring(actor=cast.dora, as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.account_count == 30
    assert AccountScore.objects.filter(run=run).count() == 30
    assert run.clv_params["bgnbd_params"]
    assert run.pareto["curve"]
    assert all(current_tier(a) in Tier.values for a in accounts)
    score = AccountScore.objects.get(run=run, account=cast.alice_steel)
    assert score.rfm_segment and score.lifecycle and score.tier_reason_code
    assert "cooperation" in score.breakdown
    assert portfolio_summary(cast.dora).accounts == 30
