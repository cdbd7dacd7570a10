"""iCalendar (RFC 5545) export of on-call shifts, so people see them in their own calendar."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

PRODID = "-//OnCall Platform//Schedules//EN"


@dataclass(frozen=True, slots=True)
class CalendarShift:
    """One shift as an event: whose, in which schedule, when (UTC)."""

    uid: str
    schedule: str
    user: str
    start: datetime
    end: datetime


def calendar(name: str, shifts: Iterable[CalendarShift], *, now: datetime) -> bytes:
    """A VCALENDAR with one VEVENT per shift, times in UTC."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for shift in shifts:
        event = Event()
        event.add("uid", shift.uid)
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.schedule} ({shift.user})")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    ical: bytes = cal.to_ical()  # icalendar declares no return type
    return ical
