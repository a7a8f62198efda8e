"""Working days (工作日) in Asia/Shanghai: chinese-calendar, corrected by the admin table.

Working time is the time that falls on working days (whole local days). A limit of N
working days is N × 24 h of working time, so a case filed on Friday afternoon with one
working day is due on Monday afternoon, and a Saturday make-up workday (调休上班) counts.
Years chinese-calendar does not cover fall back to Monday–Friday until an administrator
enters that year's holidays in the holiday table (HolidayOverride).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
DAY = 86_400


def _builtin_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


class WorkCalendar:
    """Answers "is this a working day?" with the admin overrides loaded once per instance."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None) -> None:
        self._overrides = overrides

    @classmethod
    def load(cls) -> WorkCalendar:
        from .models import HolidayOverride

        return cls(dict(HolidayOverride.objects.values_list("date", "is_workday")))

    def is_workday(self, day: dt.date) -> bool:
        if self._overrides and day in self._overrides:
            return self._overrides[day]
        return _builtin_workday(day)

    def add_working(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment when `seconds` of working time have passed after `start`."""
        t = start.astimezone(TZ)
        remaining = float(seconds)
        for _ in range(3660):  # ten years of days: a safety bound, never reached in practice
            day_end = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(), TZ)
            if self.is_workday(t.date()):
                available = (day_end - t).total_seconds()
                if remaining <= available:
                    return t + dt.timedelta(seconds=remaining)
                remaining -= available
            t = day_end
        raise ValueError("时限过长")

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working time between two moments (0 if end is not after start)."""
        if end <= start:
            return 0.0
        t = start.astimezone(TZ)
        end = end.astimezone(TZ)
        total = 0.0
        while t < end:
            day_end = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(), TZ)
            stop = min(day_end, end)
            if self.is_workday(t.date()):
                total += (stop - t).total_seconds()
            t = stop
        return total
