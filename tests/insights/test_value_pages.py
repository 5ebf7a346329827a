"""The dashboard, the RFM grid, the account section, ratings and settings, in both languages."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from kam.core.models import AuditEvent
from kam.insights.models import AccountRating, ScoringSettings
from kam.insights.services import run_scoring
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine

AS_OF = dt.date(2025, 12, 31)


def logged_in(user: object, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_it_shows_an_empty_dashboard_before_the_first_run(cast: Cast) -> None:
    page = logged_in(cast.alice).get("/insights/")
    assert page.status_code == 200
    assert "No scoring run yet" in page.content.decode()


def test_it_draws_the_dashboard_and_the_rfm_grid(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    client = logged_in(book.dora)
    page = client.get("/insights/").content.decode()
    assert "<polyline" in page and "Gini" in page
    assert "Too few repeat buyers." in page
    grid = client.get("/insights/rfm/").content.decode()
    assert "Champions" in grid
    chinese = logged_in(book.dora, "zh-hans").get("/insights/rfm/").content.decode()
    assert "冠军客户" in chinese


def test_it_explains_the_tier_on_the_account_page(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    page = logged_in(book.bob).get(book.bob_mining.get_absolute_url()).content.decode()
    assert "rank 1 of 3" in page
    assert "Champions" in page
    assert "Score breakdown" in page


def test_it_saves_ratings_audited(book: Cast) -> None:
    client = logged_in(book.alice)
    response = client.post(
        f"/insights/accounts/{book.alice_steel.pk}/ratings/",
        {"cooperation_willingness": "4", "brand_influence": "", "market_share": "2"},
    )
    assert response.status_code == 302
    rating = AccountRating.objects.get(account=book.alice_steel)
    assert (rating.cooperation_willingness, rating.brand_influence, rating.market_share) == (
        4,
        None,
        2,
    )
    assert rating.updated_by == book.alice
    assert AuditEvent.objects.filter(object_type="accountrating", actor=book.alice).exists()
    refused = logged_in(book.ann).post(
        f"/insights/accounts/{book.alice_steel.pk}/ratings/", {"market_share": "5"}
    )
    assert refused.status_code == 403


def test_it_lets_directors_change_settings_validated_and_audited(cast: Cast) -> None:
    assert logged_in(cast.alice).get("/insights/settings/").status_code == 403
    client = logged_in(cast.dora)
    form = client.get("/insights/settings/")
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items()}
    data.update({"share_diamond": 5, "share_core": 15, "horizon": 26})
    response = client.post("/insights/settings/", data)
    assert response.status_code == 302
    settings = ScoringSettings.load()
    assert settings.tier_shares["diamond"] == 0.05
    assert settings.horizon == 26
    assert AuditEvent.objects.filter(object_type="scoringsettings", actor=cast.dora).exists()
    data["share_basic"] = 90  # no longer adds up to 100
    refused = client.post("/insights/settings/", data)
    assert refused.status_code == 200
    assert "add up to 100%" in refused.content.decode()


def test_it_says_when_the_latest_run_failed(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    engine.fail = True
    run_scoring(actor=book.dora, as_of=AS_OF)
    page = logged_in(book.dora).get("/insights/").content.decode()
    assert "The latest scoring run" in page and "blew up" in page
    assert "Gini" in page  # the figures of the run before it
