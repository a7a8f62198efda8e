"""Time limits of a case: when it is due, when it warns, pausing while suspended.

Hour limits run on the wall clock; working-day limits on working time (calendar.py). The
flag (正常/将到期/已超期) follows from `due_at` and `warn_at`; while a case is paused
(`paused_at` set) it keeps its flag and its clock stands still.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from .calendar import DAY, WorkCalendar
from .models import Flag, LimitUnit, Urgency

# Common practice (12345 and grid systems): urgent within a day, pressing three working
# days, ordinary seven working days; sign for within one working day.
URGENCY_LIMITS: dict[str, tuple[int, str]] = {
    Urgency.URGENT: (24, LimitUnit.HOURS),
    Urgency.PRESSING: (3, LimitUnit.WORKDAYS),
    Urgency.ORDINARY: (7, LimitUnit.WORKDAYS),
}


def resolve_limit(category: Any, urgency: str) -> tuple[int, str]:
    """The category's own limit when the case keeps its urgency, else the urgency default."""
    if category.resolve_limit and urgency == category.urgency:
        return category.resolve_limit, category.resolve_unit
    return URGENCY_LIMITS[urgency]


def add_limit(start: dt.datetime, amount: int, unit: str, cal: WorkCalendar) -> dt.datetime:
    if unit == LimitUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    return cal.add_working(start, amount * DAY)


def start_clock(case: Any, now: dt.datetime, cal: WorkCalendar) -> None:
    """Set due_at / warn_at from now for the case's category and urgency."""
    amount, unit = resolve_limit(case.category, case.urgency)
    case.limit_unit = unit
    case.due_at = add_limit(now, amount, unit, cal)
    case.warn_at = _warn_point(case, now, cal)
    case.paused_at = None


def _warn_point(case: Any, start: dt.datetime, cal: WorkCalendar) -> dt.datetime:
    ratio = settings.CASE_WARN_RATIO
    if case.limit_unit == LimitUnit.HOURS:
        return start + (case.due_at - start) * ratio
    return cal.add_working(start, cal.working_seconds(start, case.due_at) * ratio)


def pause(case: Any, now: dt.datetime) -> None:
    if case.paused_at is None:
        case.paused_at = now


def unpause(case: Any, now: dt.datetime, cal: WorkCalendar) -> None:
    """Resume the clock: what was left when it paused is left now."""
    paused, case.paused_at = case.paused_at, None
    if paused is None or case.due_at is None:
        return
    if case.limit_unit == LimitUnit.HOURS:
        shift = now - paused
        case.due_at += shift
        if case.warn_at:
            case.warn_at += shift
        return
    left = cal.working_seconds(paused, case.due_at)
    warn_left = cal.working_seconds(paused, case.warn_at) if case.warn_at else 0.0
    case.due_at = cal.add_working(now, left)
    case.warn_at = cal.add_working(now, warn_left) if case.warn_at else None


def extend(case: Any, amount: int, unit: str, cal: WorkCalendar) -> None:
    """Push the deadline back (an approved extension)."""
    if case.due_at is None:
        return
    case.due_at = add_limit(case.due_at, amount, unit, cal)
    if case.warn_at:
        case.warn_at = add_limit(case.warn_at, amount, unit, cal)


def flag_for(case: Any, now: dt.datetime) -> str:
    """The flag the case should show now (a paused case keeps the one it had). Only an
    open case can be 已超期 or 将到期: a case closed late is 超期办结, counted from its
    closing (rollups), so every count of flagged cases is a count of open ones."""
    from .workflow import OPEN

    if case.status not in OPEN or case.due_at is None:
        return Flag.NORMAL
    if case.paused_at is not None:
        return case.flag
    if now >= case.due_at:
        return Flag.OVERDUE
    if case.warn_at and now >= case.warn_at:
        return Flag.SOON
    return Flag.NORMAL


def sign_due(category: Any, now: dt.datetime, cal: WorkCalendar) -> dt.datetime:
    return add_limit(now, category.sign_limit, category.sign_unit, cal)
