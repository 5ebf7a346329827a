"""The business calendar the SLA clocks count in: the working week and hours, holidays
and make-up working days imported all or nothing, the bundled Chinese public holidays,
and the page that shows and changes them (directors and administrators)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.service.models import BusinessCalendar, CalendarDay
from kam.service.policies import (
    delete_calendar_day,
    import_calendar,
    load_bundled_holidays,
    save_calendar,
    work_calendar,
    working_day_minutes,
)
from tests.conftest import Cast
from tests.web.conftest import client_for

GOOD = b"date,kind,name\n2027-01-01,holiday,New Year\n2027-01-02,workday,Make-up\n"
BAD_ROW = (
    b"date,kind,name\n"
    b"2027-01-01,holiday,New Year\n"
    b"2027-13-01,holiday,Nonsense\n"
    b"2027-01-03,vacation,Long weekend\n"
)


# --- the services -----------------------------------------------------------------------------


def test_the_bundled_chinese_holidays_load_once(cast: Cast) -> None:
    first = load_bundled_holidays(actor=cast.dora)

    assert (first.created, first.updated, first.unchanged) == (72, 0, 0)
    assert CalendarDay.objects.filter(kind="holiday").count() == 61
    assert CalendarDay.objects.filter(kind="workday").count() == 11
    national_day = CalendarDay.objects.get(date=dt.date(2026, 10, 1))
    assert national_day.kind == "holiday" and "National Day" in national_day.name
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).kind == "workday"  # a Saturday
    again = load_bundled_holidays(actor=cast.dora)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 72)
    assert AuditEvent.objects.filter(object_type="calendarday").count() == 72


def test_the_work_calendar_follows_the_saved_calendar(cast: Cast) -> None:
    load_bundled_holidays(actor=cast.dora)
    work = work_calendar()
    assert not work.is_working_day(dt.date(2026, 10, 1))  # National Day, a Thursday
    assert work.is_working_day(dt.date(2026, 10, 10))  # make-up Saturday
    assert not work.is_working_day(dt.date(2026, 10, 17))  # an ordinary Saturday
    assert work.seconds_per_day() == 8 * 3600

    save_calendar(actor=cast.dora, weekdays="0,1,2,3,4,5", hours="08:30-12:00, 13:00-17:30")
    delete_calendar_day(actor=cast.dora, day=dt.date(2026, 10, 1))

    work = work_calendar()
    assert work.is_working_day(dt.date(2026, 10, 1))
    assert work.is_working_day(dt.date(2026, 10, 17))
    assert work.seconds_per_day() == 8 * 3600
    assert working_day_minutes() == 480
    assert work.hours[0] == (dt.time(8, 30), dt.time(12))


def test_a_bad_row_is_named_and_nothing_is_imported(cast: Cast) -> None:
    with pytest.raises(RecordInvalid) as refused:
        import_calendar(actor=cast.dora, data=BAD_ROW, filename="days.csv")

    problems = [(p.row, p.column) for p in refused.value.problems]
    assert problems == [(3, "date"), (4, "kind")]
    assert "'2027-13-01' is not a date like 2026-10-01" in str(refused.value)
    assert "'vacation' is not holiday or workday" in str(refused.value)
    assert not CalendarDay.objects.exists()  # not even the good first row


def test_a_date_given_twice_is_named(cast: Cast) -> None:
    twice = b"date,kind,name\n2027-01-01,holiday,A\n2027-01-01,workday,B\n"
    with pytest.raises(RecordInvalid, match=r"2027-01-01 is given twice \(also row 2\)"):
        import_calendar(actor=cast.dora, data=twice, filename="days.csv")


def test_a_file_without_the_columns_is_refused(cast: Cast) -> None:
    with pytest.raises(RecordInvalid, match="missing column"):
        import_calendar(actor=cast.dora, data=b"day,type\n2027-01-01,holiday\n", filename="x.csv")


@pytest.mark.parametrize("who", ["alice", "mary", "ann"])
def test_only_directors_and_administrators_change_the_calendar(cast: Cast, who: str) -> None:
    user = getattr(cast, who)
    with pytest.raises(PermissionDenied):
        import_calendar(actor=user, data=GOOD, filename="days.csv")
    with pytest.raises(PermissionDenied):
        save_calendar(actor=user, weekdays="0,1", hours="09:00-17:00")


def test_bad_weekdays_and_hours_are_named(cast: Cast) -> None:
    with pytest.raises(RecordInvalid) as refused:
        save_calendar(actor=cast.dora, weekdays="0,9", hours="13:00-12:00")
    assert set(refused.value.by_field()) == {"weekdays", "hours"}
    assert BusinessCalendar.load().weekdays == "0,1,2,3,4"


# --- the page -------------------------------------------------------------------------------


def test_everyone_reads_the_calendar_with_a_month_view(cast: Cast) -> None:
    load_bundled_holidays(actor=cast.dora)

    response = client_for(cast.alice).get(reverse("service:calendar"), {"year": "2026"})

    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["year"] == 2026
    assert response.context["holiday_count"] == 33 and response.context["workday_count"] == 6
    assert 'data-date="2026-10-01" class="day-holiday"' in html
    assert 'class="cal-holiday" title="National Day 国庆节" data-date="2026-10-01"' in html
    assert 'class="cal-makeup"' in html and 'data-date="2026-10-10"' in html
    october = response.context["months"][9]
    cells = {c["date"]: c["kind"] for week in october.weeks for c in week if c}
    assert cells[dt.date(2026, 10, 1)] == "holiday"
    assert cells[dt.date(2026, 10, 10)] == "makeup"
    assert cells[dt.date(2026, 10, 12)] == "work"
    assert cells[dt.date(2026, 10, 17)] == "off"
    assert "Monday, Tuesday, Wednesday, Thursday, Friday" in html
    assert reverse("service:calendar_import") not in html  # Alice does not change it
    assert [year for year in response.context["years"]] == [2025, 2026]


def test_a_director_loads_the_bundled_holidays_with_one_click(cast: Cast) -> None:
    client = client_for(cast.dora)
    page = client.get(reverse("service:calendar")).content.decode()
    assert reverse("service:calendar_load_cn") in page

    response = client.post(reverse("service:calendar_load_cn"), follow=True)

    assert response.redirect_chain[-1][0].endswith("?year=2026")
    assert CalendarDay.objects.count() == 72
    assert "Imported: 72 days added, 0 changed, 0 already there." in response.content.decode()


def test_an_uploaded_file_with_a_bad_row_imports_nothing_and_names_the_row(cast: Cast) -> None:
    upload = SimpleUploadedFile("days.csv", BAD_ROW, content_type="text/csv")

    response = client_for(cast.dora).post(reverse("service:calendar_import"), {"file": upload})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported: the file has 2 problems." in html
    assert "row 3, column date: &#x27;2027-13-01&#x27; is not a date like 2026-10-01" in html
    assert "row 4, column kind" in html
    assert not CalendarDay.objects.exists()


def test_a_good_upload_is_imported_and_audited(cast: Cast) -> None:
    upload = SimpleUploadedFile("days.csv", GOOD, content_type="text/csv")

    response = client_for(cast.root).post(reverse("service:calendar_import"), {"file": upload})

    assert response.status_code == 302
    assert list(CalendarDay.objects.values_list("date", "kind")) == [
        (dt.date(2027, 1, 1), "holiday"),
        (dt.date(2027, 1, 2), "workday"),
    ]
    events = AuditEvent.objects.filter(object_type="calendarday")
    assert {e.actor for e in events} == {cast.root} and events.count() == 2


def test_a_director_sets_the_week_adds_and_removes_a_day(cast: Cast) -> None:
    client = client_for(cast.dora)

    saved = client.post(
        reverse("service:calendar_week"),
        {"weekdays": ["0", "1", "2", "3", "4", "5"], "hours": "08:00-12:00, 13:00-17:00"},
    )
    added = client.post(
        reverse("service:calendar_add_day"),
        {"date": "2027-05-04", "kind": "holiday", "name": "Youth Day"},
    )

    assert saved.status_code == 302 and added.status_code == 302
    stored = BusinessCalendar.load()
    assert (stored.weekdays, stored.hours) == ("0,1,2,3,4,5", "08:00-12:00, 13:00-17:00")
    assert CalendarDay.objects.get(date=dt.date(2027, 5, 4)).name == "Youth Day"
    page = client.get(reverse("service:calendar"), {"year": "2027"}).content.decode()
    assert "Youth Day" in page and "Saturday" in page

    removed = client.post(reverse("service:calendar_delete_day", args=["2027-05-04"]))

    assert removed.status_code == 302
    assert not CalendarDay.objects.exists()
    deleted = AuditEvent.objects.get(object_type="calendarday", action="delete")
    assert deleted.changes["name"] == ["Youth Day", None]
    assert (
        client.post(reverse("service:calendar_delete_day", args=["2027-05-04"])).status_code == 404
    )


def test_bad_hours_on_the_page_are_explained(cast: Cast) -> None:
    response = client_for(cast.dora).post(
        reverse("service:calendar_week"), {"weekdays": [], "hours": "12:00-09:00"}
    )
    assert response.status_code == 200
    errors = response.context["calendar_form"].errors
    assert errors["weekdays"] == ["Choose at least one working weekday."]
    assert "'12:00-09:00' ends before it begins" in errors["hours"][0]
    assert BusinessCalendar.load().hours == "09:00-12:00, 13:00-18:00"


@pytest.mark.parametrize("who", ["alice", "ann", "mary"])
def test_others_cannot_change_the_calendar_on_the_page(cast: Cast, who: str) -> None:
    client = client_for(getattr(cast, who))
    upload = SimpleUploadedFile("days.csv", GOOD, content_type="text/csv")
    assert client.post(reverse("service:calendar_import"), {"file": upload}).status_code == 403
    assert client.post(reverse("service:calendar_load_cn")).status_code == 403
    week = {"weekdays": ["0"], "hours": "09:00-10:00"}
    assert client.post(reverse("service:calendar_week"), week).status_code == 403
    assert not CalendarDay.objects.exists()
