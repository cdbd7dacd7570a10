"""iCalendar export (pure): a valid RFC 5545 calendar, one event per shift, times in UTC."""

from datetime import UTC, datetime

from icalendar import Calendar

from services.oncall_service.ics import CalendarShift, calendar

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_each_shift_is_an_event_with_the_required_properties():
    shifts = [
        CalendarShift(
            "s1@oncall",
            "Primary",
            "Alice",
            datetime(2026, 3, 2, 8, tzinfo=UTC),
            datetime(2026, 3, 9, 7, tzinfo=UTC),
        ),
        CalendarShift(
            "s2@oncall",
            "Primary",
            "Bob",
            datetime(2026, 3, 9, 7, tzinfo=UTC),
            datetime(2026, 3, 16, 7, tzinfo=UTC),
        ),
    ]
    body = calendar("Primary", shifts, now=NOW)
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    parsed = Calendar.from_ical(body)
    assert (str(parsed["VERSION"]), str(parsed["PRODID"])) == ("2.0", "-//OnCall Platform//Schedules//EN")
    events = parsed.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["s1@oncall", "s2@oncall"]
    assert [str(e["SUMMARY"]) for e in events] == ["On call: Primary (Alice)", "On call: Primary (Bob)"]
    assert events[0].decoded("DTSTART") == shifts[0].start and events[0].decoded("DTEND") == shifts[0].end
    assert events[1].decoded("DTSTAMP") == NOW
    assert b"DTSTART:20260302T080000Z" in body  # UTC form, no floating local times


def test_no_shifts_is_still_a_valid_calendar():
    parsed = Calendar.from_ical(calendar("Empty", [], now=NOW))
    assert parsed.walk("VEVENT") == [] and str(parsed["X-WR-CALNAME"]) == "Empty"
