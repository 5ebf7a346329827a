"""The risk signals of the whole book, from the application's data (RISK-1, 2, 4, 5).

The bridge between the ORM and the risk models of `kam_analytics` (churn, credit,
relationship, order anomalies): it builds their input frames from the database, calls
them and hands back plain per-account figures. `kam.risk` stores them as dated snapshots
and shows them; it never imports `kam_analytics` itself (docs/architecture.md).

Customer ids go to the models as text (the account's primary key), as the models key
their frames by text.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.dispatch import Signal
from django.utils import timezone

from kam.accounts.models import Account, AccountStatus
from kam.contacts.models import Contact, Familiarity
from kam.transactions.models import Order, Payment

log = logging.getLogger(__name__)

#: Sent by `kam.insights.services.score_run` when a scoring run has succeeded and its
#: snapshot is stored (keyword argument ``run``); `kam.risk` checks the risks then.
scoring_succeeded = Signal()

#: Revenue at stake: what the account brought in over the last 12 months.
REVENUE_DAYS = 365
#: Order anomalies count when the order is at most this old.
ANOMALY_DAYS = 90
#: The most recent anomalies whose reasons are kept per account.
ANOMALY_REASONS = 3
#: The churn outcome window (days): no purchase in it = churned (ChurnSettings' default).
CHURN_WINDOW_DAYS = 180
#: The churn model counts the complaints of this many days (complaints_last_90_days).
COMPLAINT_DAYS = 90


# --- the input frames -----------------------------------------------------------------


def orders_frame(as_of: dt.date | None = None) -> pd.DataFrame:
    """customer_id (text), date, amount, order_id, discount_rate (NaN when not given) of
    every order, up to ``as_of`` when given."""
    rows = Order.objects.all()
    if as_of is not None:
        rows = rows.filter(order_date__lte=as_of)
    records = list(
        rows.order_by("pk").values_list("account_id", "order_date", "amount", "pk", "discount_rate")
    )
    frame = pd.DataFrame.from_records(
        records, columns=["customer_id", "date", "amount", "order_id", "discount_rate"]
    )
    frame["customer_id"] = frame["customer_id"].astype("int64").astype(str)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = frame["amount"].astype("float64")
    frame["order_id"] = frame["order_id"].astype("int64")
    frame["discount_rate"] = pd.to_numeric(frame["discount_rate"], errors="coerce").astype(
        "float64"
    )
    return frame


def payments_frame() -> pd.DataFrame:
    """customer_id (text), due_date, paid_date (NaT while unpaid), amount of every payment."""
    records = list(
        Payment.objects.order_by("pk").values_list("account_id", "due_date", "paid_date", "amount")
    )
    frame = pd.DataFrame.from_records(
        records, columns=["customer_id", "due_date", "paid_date", "amount"]
    )
    frame["customer_id"] = frame["customer_id"].astype("int64").astype(str)
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def credit_limits_frame() -> pd.DataFrame:
    """customer_id (text) and credit_limit of the accounts that have a limit."""
    records = list(
        Account.objects.filter(credit_limit__isnull=False).values_list("pk", "credit_limit")
    )
    frame = pd.DataFrame.from_records(records, columns=["customer_id", "credit_limit"])
    frame["customer_id"] = frame["customer_id"].astype("int64").astype(str)
    frame["credit_limit"] = frame["credit_limit"].astype("float64")
    return frame


def contacts_frame(as_of: dt.date) -> pd.DataFrame:
    """The buying centre of every account: account_id (text), contact_id, buying_role,
    stance, is_active and last_met.

    ``last_met`` is the day of the last meeting with the contact on record (a done visit,
    meeting, event or entertainment with the contact, up to ``as_of``). An account with no
    meeting on record at all is not tracked in activities yet: there a contact whose
    familiarity is above "not met" counts as met on ``as_of`` and one not met as never met
    (docs/methods/risk.md).
    """
    from kam.relations.services import last_met_by_contact

    records = list(
        Contact.objects.order_by("pk").values_list(
            "account_id", "pk", "buying_role", "stance", "is_active", "familiarity"
        )
    )
    frame = pd.DataFrame.from_records(
        records,
        columns=["account_id", "contact_id", "buying_role", "stance", "is_active", "familiarity"],
    )
    met_on = last_met_by_contact(until=as_of)
    recorded = pd.Series([met_on.get(int(pk)) for pk in frame["contact_id"]], index=frame.index)
    tracked = frame["account_id"].isin(
        {account for account, met in zip(frame["account_id"], recorded, strict=True) if met}
    )
    familiar = frame["familiarity"].astype("int64") > Familiarity.UNKNOWN
    assumed = pd.Series(pd.Timestamp(as_of), index=frame.index).where(familiar & ~tracked)
    frame["last_met"] = pd.to_datetime(recorded.where(tracked)).fillna(assumed)
    frame["last_met"] = frame["last_met"].astype("datetime64[ns]")
    frame["account_id"] = frame["account_id"].astype("int64").astype(str)
    frame["is_active"] = frame["is_active"].astype(bool)
    return frame.drop(columns="familiarity")


def owners_frame(as_of: dt.date | None = None) -> pd.DataFrame:
    """account_id (text) and owner_active of every account; with ``as_of``, also
    owner_last_activity: the day of the owner's last done activity on the account (NaT if
    none) — only when the book records activities at all (else the check stays off)."""
    records = list(Account.objects.order_by("pk").values_list("pk", "owner__is_active"))
    frame = pd.DataFrame.from_records(records, columns=["account_id", "owner_active"])
    if as_of is not None:
        last = owner_activity(as_of)
        if last is not None:
            days = [last.get(int(pk)) for pk in frame["account_id"]]
            frame["owner_last_activity"] = pd.to_datetime(pd.Series(days, dtype="object"))
    frame["account_id"] = frame["account_id"].astype("int64").astype(str)
    frame["owner_active"] = frame["owner_active"].astype(bool)
    return frame


def owner_activity(as_of: dt.date) -> dict[int, dt.date] | None:
    """account pk → the day of its owner's last done activity on it, up to ``as_of``; None
    when no activity is on record in the whole book."""
    from django.db.models import F, Max

    from kam.relations.models import Activity, ActivityStatus
    from kam.relations.services import day_end

    done = Activity.objects.filter(status=ActivityStatus.DONE, starts_at__lte=day_end(as_of))
    if not done.exists():
        return None
    rows = (
        done.filter(owner_id=F("account__owner_id"))
        .values("account_id")
        .annotate(at=Max("starts_at"))
    )
    return {row["account_id"]: timezone.localdate(row["at"]) for row in rows}


def with_tiers(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts (account_id as text) with their effective tier in ``tier`` (empty for
    an account without one), once the book has been scored; unchanged before that, so the
    relationship model rates every account as a key account while no tier is known."""
    from kam.insights.services import effective_tiers

    tiers = effective_tiers()
    if not tiers:
        return accounts
    tiered = accounts.copy()
    tiered["tier"] = [tiers.get(int(pk), "") for pk in tiered["account_id"]]
    return tiered


def payment_behaviour(payments: pd.DataFrame) -> Callable[[dt.date], pd.DataFrame | None]:
    """The churn model's payment columns as of any date (a function, so that the model
    trained at an earlier cut-off sees the payments as they were then):

    * ``payment_mean_days_late``: the days late of the payments due by the date, weighted
      by amount, as the payment criterion of the score counts them;
    * ``payment_overdue_share``: the share of the amount due by the date that was still
      unpaid on it.
    """
    from kam_analytics.models.scoring import payment_record

    def at(day: dt.date) -> pd.DataFrame | None:
        stamp = pd.Timestamp(day)
        due = payments.loc[payments["due_date"] <= stamp]
        if due.empty:
            return None
        ids = pd.Index(sorted(due["customer_id"].unique()))
        record = payment_record(due, ids, as_of=day)
        unpaid = due["paid_date"].isna() | (due["paid_date"] > stamp)
        late = due["due_date"] < stamp
        amount = due["amount"].clip(lower=0.0)
        owed = amount.groupby(due["customer_id"]).sum().reindex(ids)
        overdue = amount.where(unpaid & late, 0.0).groupby(due["customer_id"]).sum().reindex(ids)
        share = (overdue / owed).where(owed > 0)
        return pd.DataFrame(
            {
                "customer_id": ids.to_numpy(),
                "payment_mean_days_late": record.mean_days_late,
                "payment_overdue_share": share.to_numpy(),
            }
        )

    return at


def local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def interaction_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The done activities (customer_id, day) and the complaints (customer_id, opened,
    resolved: NaT while unresolved) on record, days in the local time zone."""
    from kam.relations.models import Activity, ActivityStatus
    from kam.service.models import Ticket, TicketKind

    done = Activity.objects.filter(status=ActivityStatus.DONE).order_by("pk")
    activities = pd.DataFrame.from_records(
        [
            (account, timezone.localdate(at))
            for account, at in done.values_list("account_id", "starts_at")
        ],
        columns=["customer_id", "day"],
    )
    rows = Ticket.objects.filter(kind=TicketKind.COMPLAINT).order_by("pk")
    complaints = pd.DataFrame.from_records(
        [
            (account, timezone.localdate(opened), local_day(resolved))
            for account, opened, resolved in rows.values_list(
                "account_id", "created_at", "resolved_at"
            )
        ],
        columns=["customer_id", "opened", "resolved"],
    )
    for frame in (activities, complaints):
        frame["customer_id"] = frame["customer_id"].astype("int64").astype(str)
    activities["day"] = pd.to_datetime(activities["day"])
    complaints["opened"] = pd.to_datetime(complaints["opened"])
    complaints["resolved"] = pd.to_datetime(complaints["resolved"])
    return activities, complaints


def interaction_behaviour(
    activities: pd.DataFrame, complaints: pd.DataFrame, first_orders: pd.Series
) -> Callable[[dt.date], pd.DataFrame | None]:
    """The churn model's interaction columns as of any date, for the customers that had
    bought by then (``first_orders``: customer_id → day of the first order):

    * ``days_since_last_activity``: days since the last done activity on the account; an
      account with none counts from the first activity in the book (as long as the records
      go back). Left out before the first activity on record;
    * ``open_complaints``: complaints opened by the date and not resolved on it;
    * ``complaints_last_90_days``: complaints opened in the 90 days up to the date.
      Both left out before the first complaint on record.
    """
    records_start = activities["day"].min() if not activities.empty else None
    complaints_start = complaints["opened"].min() if not complaints.empty else None

    def at(day: dt.date) -> pd.DataFrame | None:
        stamp = pd.Timestamp(day)
        ids = pd.Index(sorted(first_orders.index[first_orders <= stamp]), name="customer_id")
        columns: dict[str, Any] = {}
        if records_start is not None and records_start <= stamp:
            seen = activities.loc[activities["day"] <= stamp]
            last = seen.groupby("customer_id")["day"].max().reindex(ids).fillna(records_start)
            columns["days_since_last_activity"] = (stamp - last).dt.days.to_numpy(np.float64)
        if complaints_start is not None and complaints_start <= stamp:
            opened = complaints.loc[complaints["opened"] <= stamp]
            still = opened["resolved"].isna() | (opened["resolved"] > stamp)
            recent = opened["opened"] > stamp - pd.Timedelta(days=COMPLAINT_DAYS)
            for name, rows in (("open_complaints", still), ("complaints_last_90_days", recent)):
                counts = opened.loc[rows].groupby("customer_id").size()
                columns[name] = counts.reindex(ids, fill_value=0).to_numpy(np.float64)
        if not columns or ids.empty:
            return None
        return pd.DataFrame({"customer_id": ids.to_numpy(), **columns})

    return at


def joined_behaviour(
    *parts: Callable[[dt.date], pd.DataFrame | None] | None,
) -> Callable[[dt.date], pd.DataFrame | None] | None:
    """The extra columns of several sources as of a date, one row per customer (outer
    join on customer_id); None without a source."""
    sources = [part for part in parts if part is not None]
    if not sources:
        return None

    def at(day: dt.date) -> pd.DataFrame | None:
        frames = [frame for frame in (source(day) for source in sources) if frame is not None]
        if not frames:
            return None
        joined = frames[0]
        for frame in frames[1:]:
            joined = joined.merge(frame, on="customer_id", how="outer")
        return joined.sort_values("customer_id", kind="stable").reset_index(drop=True)

    return at


def book_behaviour(
    orders: pd.DataFrame, payments: pd.DataFrame
) -> Callable[[dt.date], pd.DataFrame | None] | None:
    """Every extra churn column the application records: payments, activities, complaints."""
    activities, complaints = interaction_frames()
    interactions = None
    if not (activities.empty and complaints.empty) and not orders.empty:
        first_orders = orders.groupby("customer_id")["date"].min()
        interactions = interaction_behaviour(activities, complaints, first_orders)
    return joined_behaviour(
        payment_behaviour(payments) if not payments.empty else None, interactions
    )


# --- the signals of one account -------------------------------------------------------


def number(value: Any) -> float | None:
    """A finite float, or None (NaN, infinity, missing)."""
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


def plain(value: Any) -> Any:
    """The models' figures as JSON values: whole numbers stay whole, NaN becomes None."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return number(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [plain(row) for row in value.to_dict("records")]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def texts(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if hasattr(value, "tolist"):
        return [str(item) for item in value.tolist()]
    return []


@dataclass
class Signals:
    """What the risk models said about one account; a part is None when it was not
    checked (no orders, or an account marked lost, for churn; no payments and no limit for
    credit)."""

    account_id: int
    revenue_12m: float = 0.0
    churn: dict[str, Any] | None = None
    credit: dict[str, Any] | None = None
    relationship: dict[str, Any] | None = None
    anomalies: dict[str, Any] = field(
        default_factory=lambda: {"count": 0, "latest": None, "reasons_en": [], "reasons_zh": []}
    )


@dataclass
class BookRisk:
    """The risk signals of every account as of a date, with the models' warnings (as
    `kam.insights.notes.note_record` stores them) and the churn model's figures."""

    as_of: dt.date
    accounts: dict[int, Signals]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    churn_model: dict[str, Any] = field(default_factory=dict)
    order_count: int = 0
    payment_count: int = 0


def book_risk(as_of: dt.date, *, evaluate: bool = True) -> BookRisk:
    """Every risk signal of every account as of ``as_of``.

    With ``evaluate`` the churn model trained for this date is also measured out of
    time on the two windows before it (`evaluate_churn_model`), when there is history
    enough: its AUC, lift and calibration go with the run.
    """
    from kam.insights.notes import note_record

    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    book = BookRisk(as_of=as_of, accounts={pk: Signals(pk) for pk in ids})
    orders = orders_frame(as_of)
    payments = payments_frame()
    book.order_count, book.payment_count = len(orders), len(payments)
    notes: list[object] = []
    add_revenue(book, orders)
    if not orders.empty:
        notes += add_churn(book, orders, payments, evaluate=evaluate)
        notes += add_anomalies(book, orders)
    limits = credit_limits_frame()
    if not payments.empty or not limits.empty:
        notes += add_credit(book, payments, limits, orders)
    notes += add_relationships(book)
    book.warnings = [note_record(n) for n in dict.fromkeys(notes)]
    return book


def add_revenue(book: BookRisk, orders: pd.DataFrame) -> None:
    start = pd.Timestamp(book.as_of - dt.timedelta(days=REVENUE_DAYS))
    recent = orders.loc[orders["date"] > start]
    for customer, total in recent.groupby("customer_id")["amount"].sum().items():
        signals = book.accounts.get(int(str(customer)))
        if signals is not None:
            signals.revenue_12m = number(total) or 0.0


def add_churn(
    book: BookRisk, orders: pd.DataFrame, payments: pd.DataFrame, *, evaluate: bool
) -> list[object]:
    from kam_analytics.models.churn import ChurnSettings, churn_risk

    settings = ChurnSettings(window_days=CHURN_WINDOW_DAYS)
    extra = book_behaviour(orders, payments)
    transactions = orders[["customer_id", "date", "amount"]]
    result = churn_risk(transactions, book.as_of, extra, settings=settings)
    # The model learns from every account, but warns only about accounts that are still
    # customers: one marked lost has gone already (docs/methods/risk.md).
    lost = set(Account.objects.filter(status=AccountStatus.LOST).values_list("pk", flat=True))
    for row in result.accounts.to_dict("records"):
        signals = book.accounts.get(int(str(row["customer_id"])))
        if signals is None or signals.account_id in lost:
            continue
        signals.churn = {
            "probability": number(row["churn_probability"]),
            "band": str(row["risk_band"]),
            "reasons_en": texts(row["reasons_en"]),
            "reasons_zh": texts(row["reasons_zh"]),
        }
    book.churn_model = churn_model_summary(result)
    notes: list[object] = list(result.warnings)
    if evaluate and result.method == "logistic":
        found, more = churn_evaluation(transactions, book.as_of, extra, settings.window_days)
        book.churn_model["evaluation"] = found
        notes += more
    return notes


def churn_model_summary(result: Any) -> dict[str, Any]:
    return {
        "method": result.method,
        "as_of": result.as_of.isoformat(),
        "training_cutoff": result.training_cutoff.isoformat(),
        "window_days": result.settings.window_days,
        "training_accounts": result.n_training_accounts,
        "training_churn_rate": number(result.training_churn_rate),
        "coefficients": plain(result.coefficients),
        "dropped_features": plain(result.dropped_features),
    }


def churn_evaluation(
    transactions: pd.DataFrame,
    as_of: dt.date,
    extra: Callable[[dt.date], pd.DataFrame | None] | None,
    window_days: int,
) -> tuple[dict[str, Any], list[object]]:
    """The out-of-time figures of the model for the windows before ``as_of`` (empty with
    too little history)."""
    first = as_of - dt.timedelta(days=2 * window_days)
    if transactions.empty or transactions["date"].min() > pd.Timestamp(first):
        return {}, []
    try:
        found = evaluate_churn(transactions, first_cutoff=first, window=window_days, extra=extra)
    except ValueError as exc:  # e.g. no purchase before the first cut-off
        return {}, [f"The churn model could not be evaluated: {exc}"]
    return evaluation_summary(found), []


def evaluation_summary(evaluation: Any) -> dict[str, Any]:
    """A `ChurnEvaluation` as JSON: its summary, calibration table and coefficients."""
    figures: dict[str, Any] = plain(evaluation.summary())
    figures["calibration"] = plain(evaluation.calibration)
    figures["coefficients"] = plain(evaluation.coefficients)
    figures["dropped_features"] = plain(evaluation.dropped_features)
    return figures


def add_anomalies(book: BookRisk, orders: pd.DataFrame) -> list[object]:
    from kam_analytics.models.anomalies import find_anomalies

    since = book.as_of - dt.timedelta(days=ANOMALY_DAYS)
    found = find_anomalies(orders, since=since)
    table = found.anomalies
    for customer, rows in table.groupby("customer_id", sort=False):
        signals = book.accounts.get(int(str(customer)))
        if signals is None:
            continue
        latest = rows.sort_values(["date", "row"], ascending=False, kind="stable")
        latest = latest.head(ANOMALY_REASONS)
        signals.anomalies = {
            "count": len(rows),
            "latest": pd.Timestamp(latest["date"].iloc[0]).date(),
            "reasons_en": [str(t) for t in latest["reason_en"]],
            "reasons_zh": [str(t) for t in latest["reason_zh"]],
        }
    return list(found.warnings)


def add_credit(
    book: BookRisk, payments: pd.DataFrame, limits: pd.DataFrame, orders: pd.DataFrame
) -> list[object]:
    from kam_analytics.models.credit import AGEING_BUCKETS, credit_risk

    result = credit_risk(
        payments,
        as_of=book.as_of,
        credit_limits=limits if not limits.empty else None,
        revenue=orders[["customer_id", "date", "amount"]],
    )
    for row in result.accounts.to_dict("records"):
        signals = book.accounts.get(int(str(row["customer_id"])))
        if signals is None:
            continue
        signals.credit = {
            "flag": str(row["flag"]),
            "open_receivables": number(row["open_receivables"]) or 0.0,
            "overdue_amount": number(row["overdue_amount"]) or 0.0,
            "ageing": {name: number(row[name]) or 0.0 for name in AGEING_BUCKETS},
            "max_days_past_due": int(number(row["max_days_past_due"]) or 0),
            "dso_days": number(row["dso_days"]),
            "delay_trend_days": number(row["delay_trend_days"]),
            "credit_limit": number(row["credit_limit"]),
            "utilisation": number(row["utilisation"]),
            "reason_codes": texts(row["reason_codes"]),
            "reasons_en": texts(row["reasons_en"]),
            "reasons_zh": texts(row["reasons_zh"]),
        }
    return list(result.warnings)


def add_relationships(book: BookRisk) -> list[object]:
    from kam_analytics.models.relationship import relationship_risk

    # A gap in the buying centre weighs by the account's tier (docs/methods/risk.md).
    accounts = with_tiers(owners_frame(book.as_of))
    result = relationship_risk(contacts_frame(book.as_of), accounts, as_of=book.as_of)
    for row in result.accounts.to_dict("records"):
        signals = book.accounts.get(int(str(row["account_id"])))
        if signals is None:
            continue
        signals.relationship = {
            "severity": str(row["severity"]),
            "flags": texts(row["flags"]),
            "contacts": int(row["contacts"]),
            "reasons_en": texts(row["reasons_en"]),
            "reasons_zh": texts(row["reasons_zh"]),
        }
    # Without any activity on record the owners' activity is not checked (owners_frame):
    # that is the application's choice, not a problem with the data.
    return [w for w in result.warnings if "owner_last_activity" not in w]


# --- evaluating the churn model --------------------------------------------------------


@dataclass(frozen=True)
class Cutoffs:
    first: dt.date
    second: dt.date
    end: dt.date


def default_cutoffs(last_day: dt.date, window_days: int = CHURN_WINDOW_DAYS) -> Cutoffs:
    """Train at T1 = last - 2w, test at T2 = last - w: the test outcomes end on the last
    day with data, so every account's outcome is known."""
    window = dt.timedelta(days=window_days)
    return Cutoffs(last_day - 2 * window, last_day - window, last_day)


def evaluate_churn(
    transactions: pd.DataFrame | None = None,
    *,
    first_cutoff: dt.date | None = None,
    window: int = CHURN_WINDOW_DAYS,
    extra: Callable[[dt.date], pd.DataFrame | None] | None = None,
    compare_boosting: bool = False,
) -> Any:
    """`evaluate_churn_model` on the application's orders (with the payment columns the
    live model gets): trained at ``first_cutoff`` (default: `default_cutoffs` of the last
    order date), tested one window later. A `ChurnEvaluation`; ValueError without orders."""
    from kam_analytics.models.churn import evaluate_churn_model

    if transactions is None:
        orders = orders_frame()
        if orders.empty:
            raise ValueError("there are no orders to evaluate the churn model on")
        transactions = orders[["customer_id", "date", "amount"]]
        if extra is None:
            extra = book_behaviour(orders, payments_frame())
    if first_cutoff is None:
        last = pd.Timestamp(transactions["date"].max()).date()
        first_cutoff = default_cutoffs(last, window).first
    return evaluate_churn_model(
        transactions,
        first_cutoff=first_cutoff,
        window=window,
        extra=extra,
        compare_boosting=compare_boosting,
    )
