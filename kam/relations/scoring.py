"""The relationship scores of one account as plain functions of plain data (REL-2, REL-3).

No database here: the buying centre comes in as `Person` records, the done activities as
`Touch` records and the satisfaction surveys as `SurveyAnswer` records, all dated; numbers
come out. `kam.relations.services` builds these from the database. Every figure is
computed "as of" a day from what was dated on or before it, so the trend is the same
function run on earlier days. The formulas, weights and thresholds are explained in
docs/methods/relationship-health.md.

The roles and stances are the codes of kam.contacts.models (`BuyingRole`, `Stance`,
`Influence`), the same codes the relationship risk of kam_analytics reads; like it, an
account with fewer than two active contacts is single-threaded and a role counts as met
when someone of it was met in the last 180 days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: The four roles of the buying centre, in the order the gaps are listed.
ROLES = ("economic_buyer", "technical_buyer", "user_buyer", "coach")
#: Points of each role in the coverage score (they add up to 100).
ROLE_WEIGHTS = {"economic_buyer": 25.0, "technical_buyer": 25.0, "user_buyer": 25.0, "coach": 25.0}
#: How much of a role's points a contact brings, by their influence …
INFLUENCE_FACTOR = {"high": 1.0, "medium": 0.75, "low": 0.5}
#: … and by their stance toward us (unknown: met, but where they stand is not recorded).
STANCE_FACTOR = {"supporter": 1.0, "neutral": 0.5, "unknown": 0.25, "opponent": 0.0}
#: A contact counts as met when a done face-to-face activity with them is this recent.
MET_WITHIN_DAYS = 180
#: Fewer active contacts than this: single-threaded (as the relationship risk says).
MIN_CONTACTS = 2
#: The kinds of activity that are a meeting with the people who take part.
MEETING_KINDS = frozenset({"visit", "meeting", "event", "entertainment", "club_event"})
#: The kinds of activity that count as a visit for the visit cadence.
VISIT_KINDS = frozenset({"visit", "meeting"})

#: The parts of the relationship health score and their weights (they add up to 1).
HEALTH_WEIGHTS = {"coverage": 0.4, "recency": 0.3, "sentiment": 0.3}
#: The contact interval of an account whose tier has no visit interval.
RECENCY_REFERENCE_DAYS = 180
#: Recency falls from 100 (within the interval) to 0 at this many intervals.
RECENCY_ZERO_AT = 3
#: Activities and surveys older than this do not count toward sentiment.
SENTIMENT_WINDOW_DAYS = 365
#: The sentiment of an account with neither rated activities nor surveys.
NEUTRAL_SENTIMENT = 50.0
ACTIVITY_SENTIMENT = {"positive": 100.0, "neutral": 50.0, "negative": 0.0}
#: Health bands: at least GOOD is good, at least FAIR is fair, below is poor.
GOOD_HEALTH = 70
FAIR_HEALTH = 40
#: The trend: the health as of this many month-ends before the day.
TREND_MONTHS = 6
#: A visit due within this many days is "due soon".
DUE_SOON_DAYS = 14


# --- what comes in ------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A contact of the buying centre, with the days we met them face to face."""

    id: int
    name: str = ""
    role: str = "none"
    influence: str = "medium"
    stance: str = "unknown"
    active: bool = True
    reports_to: int | None = None
    since: dt.date | None = None  # on file since; None: always
    meetings: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Touch:
    """A done activity with the account: its day, kind and the sentiment recorded."""

    day: dt.date
    kind: str = "visit"
    sentiment: str = ""  # positive / neutral / negative, or "" (not recorded)


@dataclass(frozen=True)
class SurveyAnswer:
    day: dt.date
    csat: int | None = None  # 1-5
    nps: int | None = None  # 0-10


# --- coverage -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Something missing in the buying centre. Codes: no_contacts, single_threaded, and per
    role: missing, never_met, not_met_recently (days since the last meeting), opposed,
    neutral, stance_unknown."""

    code: str
    role: str = ""
    days: int | None = None


@dataclass(frozen=True)
class RoleCover:
    role: str
    weight: float
    points: float
    contact_id: int | None  # the contact who covers the role best
    met: bool
    stance: str
    influence: str


@dataclass(frozen=True)
class Coverage:
    score: int
    exact: float
    roles: tuple[RoleCover, ...]
    gaps: tuple[Gap, ...]
    contacts: int  # active contacts on file


def half_up(value: float) -> int:
    return math.floor(value + 0.5 + 1e-9)  # half up; the epsilon absorbs float noise


def on_file(people: Iterable[Person], as_of: dt.date) -> list[Person]:
    """The active contacts that were on file on `as_of`."""
    return [p for p in people if p.active and (p.since is None or p.since <= as_of)]


def last_meeting(person: Person, as_of: dt.date) -> dt.date | None:
    return max((day for day in person.meetings if day <= as_of), default=None)


def met_recently(person: Person, as_of: dt.date, within_days: int = MET_WITHIN_DAYS) -> bool:
    last = last_meeting(person, as_of)
    return last is not None and (as_of - last).days <= within_days


def contact_value(person: Person, as_of: dt.date, within_days: int = MET_WITHIN_DAYS) -> float:
    """The share of a role's points this contact brings: met × stance × influence."""
    if not met_recently(person, as_of, within_days):
        return 0.0
    return STANCE_FACTOR.get(person.stance, 0.0) * INFLUENCE_FACTOR.get(person.influence, 0.75)


def coverage(
    people: Sequence[Person], as_of: dt.date, *, met_within_days: int = MET_WITHIN_DAYS
) -> Coverage:
    """Which of the four roles known, met and supportive contacts cover, weighted by their
    influence: each role's weight × the best of its contacts' met × stance × influence."""
    present = on_file(people, as_of)
    covers = []
    gaps: list[Gap] = []
    if not present:
        gaps.append(Gap("no_contacts"))
    elif len(present) < MIN_CONTACTS:
        gaps.append(Gap("single_threaded"))
    for role in ROLES:
        cover, found = cover_role(role, present, as_of, met_within_days)
        covers.append(cover)
        if present:
            gaps.extend(found)
    exact = sum(cover.points for cover in covers)
    return Coverage(half_up(exact), exact, tuple(covers), tuple(gaps), len(present))


def cover_role(
    role: str, present: Sequence[Person], as_of: dt.date, within_days: int
) -> tuple[RoleCover, list[Gap]]:
    weight = ROLE_WEIGHTS[role]
    candidates = [p for p in present if p.role == role]
    if not candidates:
        return RoleCover(role, weight, 0.0, None, False, "", ""), [Gap("missing", role)]

    def rank(p: Person) -> tuple[float, bool, float, float, dt.date]:
        return (
            contact_value(p, as_of, within_days),
            met_recently(p, as_of, within_days),
            STANCE_FACTOR.get(p.stance, 0.0),
            INFLUENCE_FACTOR.get(p.influence, 0.75),
            last_meeting(p, as_of) or dt.date.min,
        )

    best = max(candidates, key=rank)
    value = contact_value(best, as_of, within_days)
    met = met_recently(best, as_of, within_days)
    cover = RoleCover(role, weight, weight * value, best.id, met, best.stance, best.influence)
    return cover, role_gaps(role, candidates, as_of, within_days)


def role_gaps(role: str, candidates: Sequence[Person], as_of: dt.date, within: int) -> list[Gap]:
    gaps: list[Gap] = []
    met = [p for p in candidates if met_recently(p, as_of, within)]
    if not met:
        last = max((d for p in candidates if (d := last_meeting(p, as_of))), default=None)
        if last is None:
            gaps.append(Gap("never_met", role))
        else:
            gaps.append(Gap("not_met_recently", role, (as_of - last).days))
        if all(p.stance == "opponent" for p in candidates):
            gaps.append(Gap("opposed", role))
        return gaps
    stance = max((p.stance for p in met), key=lambda s: STANCE_FACTOR.get(s, 0.0))
    if stance == "opponent":
        gaps.append(Gap("opposed", role))
    elif stance == "neutral":
        gaps.append(Gap("neutral", role))
    elif stance == "unknown":
        gaps.append(Gap("stance_unknown", role))
    return gaps


# --- health -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    score: int
    exact: float
    band: str  # good / fair / poor
    coverage: float
    recency: float
    sentiment: float | None  # None: neither rated activities nor surveys (counted as 50)
    last_touch: dt.date | None
    days_since_touch: int | None
    reference_days: int  # the contact interval recency is measured against


def recency_score(last_touch: dt.date | None, interval_days: int | None, as_of: dt.date) -> float:
    """100 within the tier's interval, falling linearly to 0 at RECENCY_ZERO_AT intervals;
    0 when the account was never contacted."""
    if last_touch is None:
        return 0.0
    days = max((as_of - last_touch).days, 0)
    reference = interval_days or RECENCY_REFERENCE_DAYS
    if days <= reference:
        return 100.0
    end = RECENCY_ZERO_AT * reference
    if days >= end:
        return 0.0
    return 100.0 * (end - days) / (end - reference)


def survey_value(answer: SurveyAnswer) -> float | None:
    """One survey on 0-100: CSAT 1-5 → 0-100; NPS promoter (9-10) 100, passive (7-8) 50,
    detractor (0-6) 0; both answered: their mean."""
    parts = []
    if answer.csat is not None:
        parts.append((min(max(answer.csat, 1), 5) - 1) / 4 * 100.0)
    if answer.nps is not None:
        parts.append(100.0 if answer.nps >= 9 else 50.0 if answer.nps >= 7 else 0.0)
    return sum(parts) / len(parts) if parts else None


def in_window(day: dt.date, as_of: dt.date, days: int) -> bool:
    return as_of - dt.timedelta(days=days) < day <= as_of


def sentiment_score(
    touches: Iterable[Touch],
    surveys: Iterable[SurveyAnswer],
    as_of: dt.date,
    *,
    window_days: int = SENTIMENT_WINDOW_DAYS,
) -> float | None:
    """The mean of the activities' sentiment and the surveys' scores of the last year (each
    half when both exist); None when there is neither."""
    rated = [
        ACTIVITY_SENTIMENT[t.sentiment]
        for t in touches
        if t.sentiment in ACTIVITY_SENTIMENT and in_window(t.day, as_of, window_days)
    ]
    answered = [
        value
        for s in surveys
        if in_window(s.day, as_of, window_days) and (value := survey_value(s)) is not None
    ]
    parts = [sum(values) / len(values) for values in (rated, answered) if values]
    return sum(parts) / len(parts) if parts else None


def band_of(score: int) -> str:
    return "good" if score >= GOOD_HEALTH else "fair" if score >= FAIR_HEALTH else "poor"


def health(
    people: Sequence[Person],
    touches: Sequence[Touch],
    surveys: Sequence[SurveyAnswer],
    interval_days: int | None,
    as_of: dt.date,
) -> Health:
    """Coverage, contact recency and sentiment, weighted by HEALTH_WEIGHTS."""
    covered = coverage(people, as_of).exact
    last = max((t.day for t in touches if t.day <= as_of), default=None)
    recency = recency_score(last, interval_days, as_of)
    sentiment = sentiment_score(touches, surveys, as_of)
    exact = (
        HEALTH_WEIGHTS["coverage"] * covered
        + HEALTH_WEIGHTS["recency"] * recency
        + HEALTH_WEIGHTS["sentiment"] * (NEUTRAL_SENTIMENT if sentiment is None else sentiment)
    )
    score = half_up(exact)
    return Health(
        score=score,
        exact=exact,
        band=band_of(score),
        coverage=covered,
        recency=recency,
        sentiment=sentiment,
        last_touch=last,
        days_since_touch=None if last is None else (as_of - last).days,
        reference_days=interval_days or RECENCY_REFERENCE_DAYS,
    )


def month_ends(as_of: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The last `months` month-ends before `as_of`'s month, oldest first."""
    ends = []
    end = as_of.replace(day=1) - dt.timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    score: int


def trend(
    people: Sequence[Person],
    touches: Sequence[Touch],
    surveys: Sequence[SurveyAnswer],
    interval_days: int | None,
    as_of: dt.date,
    *,
    months: int = TREND_MONTHS,
) -> list[TrendPoint]:
    """The health as of each of the last `months` month-ends, then as of `as_of`, from the
    dated data only (contacts on file by then, activities and surveys up to then)."""
    days = [*month_ends(as_of, months), as_of]
    return [
        TrendPoint(day, health(people, touches, surveys, interval_days, day).score) for day in days
    ]


# --- visit cadence ------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitDue:
    """When the next visit is due. status: none (the tier has no visit interval), never
    (never visited: due now), overdue, due_soon (within DUE_SOON_DAYS) or ok."""

    due: dt.date | None
    status: str
    days_overdue: int = 0


def next_visit_due(
    last_visit: dt.date | None,
    interval_days: int | None,
    today: dt.date,
    *,
    due_soon_days: int = DUE_SOON_DAYS,
) -> VisitDue:
    if not interval_days:
        return VisitDue(None, "none")
    if last_visit is None:
        return VisitDue(today, "never")
    due = last_visit + dt.timedelta(days=interval_days)
    if due < today:
        return VisitDue(due, "overdue", (today - due).days)
    if due <= today + dt.timedelta(days=due_soon_days):
        return VisitDue(due, "due_soon")
    return VisitDue(due, "ok")
