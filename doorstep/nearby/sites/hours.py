"""When a site or room is open (local time, Asia/Shanghai).

The order of precedence for one day: a special day (closed, or special hours) wins; else
on a public holiday (法定节假日, from chinese-calendar corrected by the holiday table of
cases) the site is closed unless `open_on_holidays`; else the weekly hours of that
weekday. A room with weekly hours of its own uses them instead of the site's; special days
of the site apply to all its rooms, a room's own special day to that room.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from doorstep.cases.calendar import TZ, WorkCalendar

from .models import OpeningHours, Room, ServiceSite, SpecialDay

__all__ = ["TZ", "hours_on", "is_open", "is_public_holiday", "within_hours"]

Interval = tuple[dt.time, dt.time]


def _holiday_name(day: dt.date) -> str | None:
    try:
        return chinese_calendar.get_holiday_detail(day)[1]
    except NotImplementedError:
        return None


def is_public_holiday(day: dt.date, calendar: WorkCalendar | None = None) -> bool:
    """A statutory holiday (国庆、春节 … including its bridged weekend days), not a mere
    weekend. Days the holiday table marks as non-working on a weekday count too, and a
    make-up working day (调休上班) never does."""
    cal = calendar or WorkCalendar.load()
    if cal.is_workday(day):
        return False
    return day.weekday() < 5 or _holiday_name(day) is not None


def hours_on(
    site: ServiceSite,
    day: dt.date,
    room: Room | None = None,
    calendar: WorkCalendar | None = None,
) -> list[Interval]:
    """The opening intervals of the site (or the room) on a local date."""
    specials = list(SpecialDay.objects.filter(site=site, date=day))
    own = [s for s in specials if room is not None and s.room_id == room.pk]
    general = [s for s in specials if s.room_id is None]
    chosen = own or general
    if chosen:
        if any(s.closed for s in chosen):
            return []
        return sorted((s.opens, s.closes) for s in chosen if s.opens and s.closes)
    if not site.open_on_holidays and is_public_holiday(day, calendar):
        return []
    rows = OpeningHours.objects.filter(site=site)
    if room is not None and OpeningHours.objects.filter(room=room).exists():
        rows = OpeningHours.objects.filter(room=room)
    return sorted(rows.filter(weekday=day.weekday()).values_list("opens", "closes"))


def is_open(site: ServiceSite, at: dt.datetime, room: Room | None = None) -> bool:
    """Whether the site (or room) is open at this moment."""
    if not site.active or (room is not None and not room.active):
        return False
    local = at.astimezone(TZ)
    t = local.time()
    return any(o <= t < c for o, c in hours_on(site, local.date(), room))


def within_hours(room: Room, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether [start, end) lies inside one opening interval of the room on one local day."""
    s, e = start.astimezone(TZ), end.astimezone(TZ)
    if e.date() != s.date():
        return False
    return any(o <= s.time() and e.time() <= c for o, c in hours_on(room.site, s.date(), room))
