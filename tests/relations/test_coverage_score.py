"""The coverage score on hand-made buying centres (kam.relations.scoring, no database):
each of the four roles is worth 25 points × met × stance × influence of its best contact,
and what is missing is listed in words."""

from __future__ import annotations

import datetime as dt

from kam.relations.scoring import Gap, Person, coverage

AS_OF = dt.date(2026, 6, 30)
RECENT = dt.date(2026, 5, 20)  # 41 days before
LONG_AGO = dt.date(2025, 9, 1)  # 302 days before


def codes(found: object) -> list[tuple[str, str]]:
    return [(gap.code, gap.role) for gap in found.gaps]  # type: ignore[attr-defined]


def test_it_gives_full_points_when_every_role_is_met_and_supportive() -> None:
    people = [
        Person(i, role=role, influence="high", stance="supporter", meetings=(RECENT,))
        for i, role in enumerate(("economic_buyer", "technical_buyer", "user_buyer", "coach"))
    ]
    found = coverage(people, AS_OF)
    assert found.score == 100
    assert found.gaps == ()


def test_it_scores_a_supportive_met_economic_buyer_without_a_coach() -> None:
    people = [
        Person(1, "Wang", "economic_buyer", "high", "supporter", meetings=(RECENT,)),
        Person(2, "Li", "technical_buyer", "medium", "neutral", reports_to=1, meetings=(RECENT,)),
        Person(3, "Zhao", "user_buyer", "low", "supporter", reports_to=2, meetings=(RECENT,)),
    ]
    found = coverage(people, AS_OF)
    # 25 + 25 × 0.5 × 0.75 + 25 × 1 × 0.5 + 0 = 46.875
    assert found.exact == 46.875
    assert found.score == 47
    assert codes(found) == [("neutral", "technical_buyer"), ("missing", "coach")]
    by_role = {cover.role: cover for cover in found.roles}
    assert by_role["economic_buyer"].points == 25.0
    assert by_role["economic_buyer"].contact_id == 1
    assert by_role["coach"].contact_id is None


def test_it_counts_nothing_for_an_economic_buyer_never_met() -> None:
    people = [
        Person(1, role="economic_buyer", influence="high", stance="supporter"),
        Person(2, role="coach", influence="medium", stance="supporter", meetings=(RECENT,)),
    ]
    found = coverage(people, AS_OF)
    assert found.score == 19  # the coach alone: 25 × 0.75 = 18.75
    assert ("never_met", "economic_buyer") in codes(found)


def test_it_says_how_long_ago_a_role_was_last_met() -> None:
    people = [
        Person(
            1, role="economic_buyer", influence="high", stance="supporter", meetings=(LONG_AGO,)
        ),
        Person(2, role="coach", stance="supporter", meetings=(RECENT,)),
    ]
    found = coverage(people, AS_OF)
    assert Gap("not_met_recently", "economic_buyer", 302) in found.gaps
    assert found.roles[0].points == 0.0


def test_it_names_an_opposed_technical_buyer_and_gives_no_points() -> None:
    people = [
        Person(1, role="economic_buyer", influence="high", stance="supporter", meetings=(RECENT,)),
        Person(2, role="technical_buyer", influence="high", stance="opponent", meetings=(RECENT,)),
    ]
    found = coverage(people, AS_OF)
    assert found.score == 25
    assert ("opposed", "technical_buyer") in codes(found)


def test_an_opponent_never_met_is_both_never_met_and_opposed() -> None:
    people = [
        Person(1, role="economic_buyer", stance="opponent"),
        Person(2, role="coach", stance="supporter", meetings=(RECENT,)),
    ]
    found = codes(coverage(people, AS_OF))
    assert ("never_met", "economic_buyer") in found and ("opposed", "economic_buyer") in found


def test_the_best_contact_of_a_role_counts() -> None:
    people = [
        Person(1, role="user_buyer", influence="low", stance="neutral", meetings=(RECENT,)),
        Person(2, role="user_buyer", influence="high", stance="supporter", meetings=(RECENT,)),
        Person(3, role="coach", influence="high", stance="supporter", meetings=(RECENT,)),
    ]
    found = coverage(people, AS_OF)
    assert found.roles[2].contact_id == 2
    assert found.score == 50


def test_a_single_contact_is_single_threaded_and_none_is_no_contact() -> None:
    alone = coverage([Person(1, role="coach", stance="supporter", meetings=(RECENT,))], AS_OF)
    assert alone.gaps[0] == Gap("single_threaded")
    nobody = coverage([], AS_OF)
    assert nobody.score == 0
    assert nobody.gaps == (Gap("no_contacts"),)


def test_contacts_who_left_or_were_not_yet_there_do_not_count() -> None:
    people = [
        Person(
            1,
            role="economic_buyer",
            influence="high",
            stance="supporter",
            active=False,
            meetings=(RECENT,),
        ),
        Person(
            2,
            role="coach",
            influence="high",
            stance="supporter",
            meetings=(RECENT,),
            since=dt.date(2026, 5, 1),
        ),
        Person(3, role="user_buyer", stance="supporter", since=dt.date(2026, 7, 1)),
    ]
    found = coverage(people, AS_OF)
    assert found.contacts == 1  # the user buyer arrives after AS_OF, the economic buyer left
    assert ("missing", "economic_buyer") in codes(found)
    assert found.score == 25


def test_a_meeting_after_the_day_does_not_count() -> None:
    later = dt.date(2026, 7, 5)
    people = [Person(1, role="coach", stance="supporter", meetings=(later,)), Person(2)]
    found = coverage(people, AS_OF)
    assert found.score == 0
    assert ("never_met", "coach") in codes(found)


def test_a_met_contact_whose_stance_is_unknown_counts_a_quarter() -> None:
    people = [Person(1, role="coach", influence="high", meetings=(RECENT,)), Person(2)]
    found = coverage(people, AS_OF)
    assert found.exact == 6.25
    assert ("stance_unknown", "coach") in codes(found)
