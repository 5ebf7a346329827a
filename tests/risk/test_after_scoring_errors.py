"""A receiver of scoring_succeeded that fails leaves the scoring run succeeded, and the
failure is logged, not swallowed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from kam.insights.models import RunStatus
from kam.insights.risk import scoring_succeeded
from kam.insights.services import run_scoring
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine


def broken_receiver(**kwargs: object) -> None:
    raise RuntimeError("the risk bridge is down")


def test_a_failing_listener_is_logged_and_the_run_stands(
    book: Cast, engine: FakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    scoring_succeeded.connect(broken_receiver, dispatch_uid="test.broken")
    try:
        with caplog.at_level(logging.ERROR, logger="kam.insights.services"):
            run = run_scoring(actor=book.dora, as_of=dt.date(2025, 12, 31))
    finally:
        scoring_succeeded.disconnect(dispatch_uid="test.broken")
    assert run.status == RunStatus.SUCCEEDED
    assert any(
        record.exc_info and "the risk bridge is down" in str(record.exc_info[1])
        for record in caplog.records
    )
