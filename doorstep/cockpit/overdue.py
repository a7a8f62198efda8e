"""超期件数 at a past moment (月末超期): the cases of a subtree that were still open at that
moment and past the deadline in force then — not today's flag, which has moved on since.

A case's deadline is not kept as history, so it is replayed from its events (办理记录) with
the same rules that moved it (`cases.deadlines`): the clock starts on 受理 (or on 上报 / 吹哨
when nobody had accepted it), pauses on 退回补充 / 挂起 / 撤销, picks up what was left on
补充材料 / 恢复办理 / 上报 / 吹哨, is pushed back by an approved extension and starts afresh on
重办. Where an event wrote the deadline it set (受理, 恢复办理, 同意延期), that value wins over
the replay. When no clock move happened after the moment, the case's own `due_at` and
`paused_at` are the ones in force then and are used as they stand.

A paused case keeps the flag it had when it paused (as the sweep does): it counts as
overdue when its deadline had passed by the time it was paused.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from doorstep.cases import deadlines
from doorstep.cases.calendar import TZ, WorkCalendar
from doorstep.cases.models import Case, CaseEvent
from doorstep.cases.workflow import OPEN, S

START = frozenset({"reopen", "reopen_closed"})  # a fresh time limit
START_OR_RESUME = frozenset({"accept", "escalate", "skip_escalate", "whistle"})
RESUME = frozenset({"supplement", "resume"})
PAUSE = frozenset({"request_info", "suspend", "withdraw", "cancel"})
EXTEND = frozenset({"approve_extension"})
CLOCK_MOVES = START | START_OR_RESUME | RESUME | PAUSE | EXTEND


@dataclass(frozen=True)
class Event:
    """The parts of a case event the replay reads."""

    move: str
    to_status: str
    at: dt.datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class ClockAt:
    """A case as it stood at a moment: its status, deadline and whether its clock stood."""

    status: str
    due_at: dt.datetime | None
    paused_at: dt.datetime | None

    def overdue(self, moment: dt.datetime) -> bool:
        if self.status not in OPEN or self.due_at is None:
            return False
        if self.paused_at is not None:
            return self.due_at <= self.paused_at
        return self.due_at <= moment


def month_end(last_day: dt.date) -> dt.datetime:
    """The moment a month ends: midnight (local time) after its last day."""
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), TZ)


def _recorded_due(data: dict[str, Any]) -> dt.datetime | None:
    raw = data.get("due_at") if isinstance(data, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        at = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _apply(clock: Any, event: Event, cal: WorkCalendar) -> None:
    """Move the replayed clock as the event's move moved the case's."""
    move = event.move
    if move == "create":
        if event.to_status == S.ACCEPTED:  # a hotline order arrives accepted: clock runs
            deadlines.start_clock(clock, event.at, cal)
    elif move in START:
        deadlines.start_clock(clock, event.at, cal)
    elif move in START_OR_RESUME:
        if clock.due_at is None:
            deadlines.start_clock(clock, event.at, cal)
        else:
            deadlines.unpause(clock, event.at, cal)
    elif move in RESUME:
        deadlines.unpause(clock, event.at, cal)
    elif move in PAUSE:
        deadlines.pause(clock, event.at)
    elif move in EXTEND:
        try:
            amount = int(event.data.get("amount") or 0)
        except (TypeError, ValueError):
            amount = 0
        if amount > 0:
            deadlines.extend(clock, amount, str(event.data.get("unit") or "workdays"), cal)
    recorded = _recorded_due(event.data)
    if recorded is not None:
        clock.due_at = recorded


def clock_at(
    case: Case, events: Iterable[Event], moment: dt.datetime, cal: WorkCalendar
) -> ClockAt:
    """Replay the case's events before `moment` (in order) into its clock at that moment."""
    clock = SimpleNamespace(
        category=case.category,
        urgency=case.urgency,
        due_at=None,
        warn_at=None,
        limit_unit=case.limit_unit,
        paused_at=None,
    )
    status = ""
    later_clock_move = False
    for event in events:
        if event.at >= moment:
            later_clock_move = later_clock_move or event.move in CLOCK_MOVES
            continue
        status = event.to_status
        _apply(clock, event, cal)
    if not status:
        return ClockAt("", None, None)  # filed after the moment
    if not later_clock_move and case.due_at is not None:
        # Nothing has touched the clock since: the case's own fields are exact.
        clock.due_at, clock.paused_at = case.due_at, case.paused_at
    return ClockAt(status, clock.due_at, clock.paused_at)


def _candidates(org: Any, moment: dt.datetime) -> Any:
    """Cases of the subtree that may have been open and late at the moment: filed before
    it, with a clock at some time (a deadline is never taken away), not closed before it
    and closed since (a case closed again after 重新办理 has its later closing time)."""
    return (
        Case.objects.filter(
            territory_path__startswith=org.path, created_at__lt=moment, due_at__isnull=False
        )
        .exclude(status=S.DRAFT)
        .exclude(closed_at__lt=moment)
    )


def _events(cases: Any) -> dict[int, list[Event]]:
    by_case: dict[int, list[Event]] = defaultdict(list)
    rows = (
        CaseEvent.objects.filter(case__in=cases.values("pk"))
        .order_by("case_id", "seq")
        .values_list("case_id", "move", "to_status", "at", "data")
    )
    for case_id, move, to_status, at, data in rows:
        by_case[case_id].append(Event(move, to_status, at, data or {}))
    return by_case


def overdue_at(org: Any, moment: dt.datetime) -> list[Case]:
    """The cases under `org` that were open and overdue at `moment`, in number order."""
    cases = _candidates(org, moment)
    events = _events(cases)
    cal = WorkCalendar.load()
    return [
        case
        for case in cases.select_related("category").order_by("number")
        if clock_at(case, events.get(case.pk, ()), moment, cal).overdue(moment)
    ]


def overdue_count(org: Any, moment: dt.datetime) -> int:
    return len(overdue_at(org, moment))
