"""Time limits with a frozen clock (Asia/Shanghai) across the 2026 National Day holiday.

The calendar facts are read from chinese-calendar first (see `test_the_calendar_facts_we_rely_on`):
2026-10-01 … 10-07 are 国庆 holidays, Wednesday 09-30 is the last workday before them and
Saturday 10-10 is a make-up workday (调休上班). Expected deadlines are worked out by hand
in the comments: a working-day limit counts the working time of whole working days.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
import time_machine

from doorstep.cases import services
from doorstep.cases.calendar import TZ, WorkCalendar
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent, Flag, HolidayOverride
from doorstep.cases.sweep import sweep
from doorstep.cases.workflow import S

pytestmark = pytest.mark.django_db

H = 3600


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def file_and_accept(cw, *, urgency: str = "pressing", category=None) -> Case:
    p = cw.personas
    case = services.create_case(
        actor=p["resident"],
        category=category or cw.repair,
        description="楼道灯坏了",
        location=locate(building=cw.world.building_a),
    )
    return services.perform(case, "accept", actor=p["community_officer"], urgency=urgency)


def to_party_member(cw, case: Case) -> Case:
    p = cw.personas
    case = services.perform(case, "dispatch", actor=p["community_officer"], lead=p["party_member"])
    case = services.perform(case, "sign", actor=p["party_member"])
    return services.perform(case, "start", actor=p["party_member"])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_the_calendar_facts_we_rely_on():
    national_day = [dt.date(2026, 10, d) for d in range(1, 8)]
    assert all(chinese_calendar.is_holiday(d) for d in national_day)
    assert chinese_calendar.is_workday(dt.date(2026, 9, 30))  # Wednesday, last before
    assert dt.date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(
        dt.date(2026, 10, 10)
    )  # Saturday make-up workday
    assert chinese_calendar.is_holiday(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert dt.date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(
        dt.date(2026, 9, 20)
    )  # Sunday make-up workday before National Day


def test_three_working_days_over_national_day_end_on_the_make_up_saturday(cw):
    # Accepted Wed 09-30 10:00. Working time: 14 h on 09-30, 10-01..07 off, 24 h on Thu
    # 10-08, 24 h on Fri 10-09 (62 h), the last 10 h on make-up Sat 10-10 → 10-10 10:00.
    # Warning at 80 % (57.6 h): 14 + 24 = 38 h by 10-09 00:00, + 19.6 h → 10-09 19:36.
    with time_machine.travel(at(2026, 9, 30, 10), tick=False):
        case = file_and_accept(cw)
    assert case.due_at == at(2026, 10, 10, 10)
    assert case.warn_at == at(2026, 10, 9, 19, 36)
    assert case.flag == Flag.NORMAL


def test_a_sunday_make_up_workday_counts(cw):
    # Fri 09-18 15:00 + 1 working day: 9 h on Fri, Sat 09-19 off, Sun 09-20 is a make-up
    # workday → due Sun 09-20 15:00 (not Monday).
    assert not chinese_calendar.is_workday(dt.date(2026, 9, 19))
    cal = WorkCalendar.load()
    assert cal.add_working(at(2026, 9, 18, 15), 24 * H) == at(2026, 9, 20, 15)


def test_the_flag_goes_normal_soon_overdue_as_the_clock_moves(cw):
    with time_machine.travel(at(2026, 9, 30, 10), tick=False) as clock:
        case = to_party_member(cw, file_and_accept(cw))
        version = fresh(case).version

        clock.move_to(at(2026, 10, 9, 19, 30))  # before the warning point
        assert not sweep().changed
        assert fresh(case).flag == Flag.NORMAL

        clock.move_to(at(2026, 10, 9, 19, 36))  # the warning point
        result = sweep()
        assert (result.soon, result.overdue) == (1, 0)
        assert fresh(case).flag == Flag.SOON
        assert fresh(case).get_flag_display() == "将到期"

        clock.move_to(at(2026, 10, 10, 9, 59))  # make-up Saturday, a minute before
        assert sweep().overdue == 0

        clock.move_to(at(2026, 10, 10, 10))
        result = sweep()
        assert (result.overdue, result.soon, result.escalated) == (1, 0, 0)
        case = fresh(case)
        assert case.flag == Flag.OVERDUE and case.get_flag_display() == "已超期"
        assert case.version == version  # the flag is not part of any form
    # Flagging writes no event: the timeline holds moves only.
    assert CaseEvent.objects.filter(case=case).count() == case.version


def test_suspension_pushes_the_deadline_by_the_paused_working_time(cw):
    p = cw.personas
    cal = WorkCalendar.load()
    with time_machine.travel(at(2026, 9, 30, 10), tick=False) as clock:
        case = to_party_member(cw, file_and_accept(cw))
        assert case.due_at == at(2026, 10, 10, 10)

        clock.move_to(at(2026, 10, 8, 10))
        services.perform(case, "suspend", actor=p["party_member"], note="等物业配件")
        clock.move_to(at(2026, 10, 10, 10))  # two days later: the old deadline has passed
        assert sweep().overdue == 0  # paused: not overdue
        assert fresh(case).flag == Flag.NORMAL
        assert fresh(case).status == S.SUSPENDED

        case = services.perform(case, "resume", actor=p["party_member"])
    # Paused Thu 10-08 10:00 → Sat 10-10 10:00: 14 + 24 + 10 = 48 h of working time. The
    # old deadline plus 48 working hours: 14 h on Sat 10-10, Sun off, 24 h Mon, 10 h Tue.
    paused = cal.working_seconds(at(2026, 10, 8, 10), at(2026, 10, 10, 10))
    assert paused == 48 * H
    assert case.due_at == cal.add_working(at(2026, 10, 10, 10), paused)
    assert case.due_at == at(2026, 10, 13, 10)
    assert case.paused_at is None and case.flag == Flag.NORMAL


def test_a_holiday_override_changes_the_deadline(cw):
    # An extra day off on Thu 10-08: 14 h (09-30) + 24 (10-09) + 24 (Sat 10-10) = 62 h,
    # Sun 10-11 off, the last 10 h on Mon 10-12 → 10-12 10:00.
    HolidayOverride.objects.create(date=dt.date(2026, 10, 8), is_workday=False, name="停工")
    with time_machine.travel(at(2026, 9, 30, 10), tick=False):
        case = file_and_accept(cw)
    assert case.due_at == at(2026, 10, 12, 10)
    # …and working on a holiday day counts once the table says so.
    HolidayOverride.objects.create(date=dt.date(2026, 10, 1), is_workday=True, name="值班")
    with time_machine.travel(at(2026, 9, 30, 10), tick=False):
        case = file_and_accept(cw)
    assert case.due_at == at(2026, 10, 10, 10)  # 14 + 24 (10-01) + 24 (10-09) + 10 (10-10)


def test_urgent_limits_run_on_the_wall_clock_through_the_holiday(cw):
    # 安全隐患: urgent, 24 hours, escalated when overdue. 24 h of wall-clock time, holiday or
    # not: Wed 09-30 20:00 → Thu 10-01 20:00; warning at 80 % → 10-01 15:12.
    with time_machine.travel(at(2026, 9, 30, 20), tick=False) as clock:
        case = file_and_accept(cw, urgency="urgent", category=cw.hazard)
        assert case.due_at == at(2026, 10, 1, 20)
        assert case.warn_at == at(2026, 10, 1, 15, 12)
        assert case.owner == cw.world.community_1

        clock.move_to(at(2026, 10, 1, 20))
        result = sweep()
        assert (result.overdue, result.escalated) == (1, 1)
        case = fresh(case)
        assert case.owner == cw.world.street and case.status == S.ACCEPTED
        assert case.flag == Flag.OVERDUE
        event = case.events.get(move="escalate")
        assert event.actor is None and event.note == "超期自动上报"
        assert event.data["to_owner"] == cw.world.street.name

        events = CaseEvent.objects.count()
        again = sweep()
        assert not again.changed and CaseEvent.objects.count() == events


def test_approving_an_extension_pushes_the_deadline_and_clears_the_overdue_flag(cw):
    p = cw.personas
    with time_machine.travel(at(2026, 9, 30, 10), tick=False) as clock:
        case = to_party_member(cw, file_and_accept(cw))
        clock.move_to(at(2026, 10, 10, 10))
        assert sweep().overdue == 1
        services.perform(
            case,
            "request_extension",
            actor=p["party_member"],
            note="等配件",
            amount=2,
            unit="workdays",
        )
        case = services.perform(case, "approve_extension", actor=p["community_officer"])
        # 10-10 10:00 + 2 working days: 14 h Sat, Sun off, 24 h Mon, 10 h Tue → 10-13 10:00.
        assert case.due_at == at(2026, 10, 13, 10)
        assert fresh(case).flag == Flag.NORMAL
        assert sweep().overdue == 0
        clock.move_to(at(2026, 10, 13, 10))
        assert sweep().overdue == 1
    assert fresh(case).flag == Flag.OVERDUE


def _first_uncovered_year() -> int:
    year = 2027
    while True:
        try:
            chinese_calendar.is_workday(dt.date(year, 3, 1))
        except NotImplementedError:
            return year
        year += 1


def test_a_year_the_library_does_not_cover_falls_back_to_weekdays_and_the_table(cw):
    year = _first_uncovered_year()
    assert year == 2027  # chinese-calendar 1.11 stops at 2026; a newer one moves this on
    # The first Friday of March, 10:00, three working days: 14 h Fri, weekend off, 24 h
    # Mon, 24 h Tue, 10 h Wed → Wednesday 10:00.
    friday = dt.date(year, 3, 1)
    while friday.weekday() != 4:
        friday += dt.timedelta(days=1)
    start = dt.datetime.combine(friday, dt.time(10), TZ)
    with time_machine.travel(start, tick=False):
        case = file_and_accept(cw)
    assert case.due_at == start + dt.timedelta(days=5)
    # The administrator enters a day off on that Monday and a make-up Saturday.
    monday = friday + dt.timedelta(days=3)
    HolidayOverride.objects.create(date=monday, is_workday=False, name="假日")
    with time_machine.travel(start, tick=False):
        case = file_and_accept(cw)
    assert case.due_at == start + dt.timedelta(days=6)  # Tuesday, Wednesday, Thursday 10:00
    HolidayOverride.objects.create(
        date=friday + dt.timedelta(days=1), is_workday=True, name="调休上班"
    )
    with time_machine.travel(start, tick=False):
        case = file_and_accept(cw)
    assert case.due_at == start + dt.timedelta(days=5)  # Saturday, Tuesday, Wednesday 10:00
