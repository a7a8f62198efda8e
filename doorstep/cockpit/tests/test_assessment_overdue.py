"""超期件数 for a month that has ended counts what was overdue at the month's end, not what
is flagged today: cases are played through June 2026 and into July with a frozen clock, the
sweep's flags at the month's end are kept as the truth, and the flags then change (closed,
extended, newly late, resumed) before the assessment of June is read on 10 July."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from doorstep.cases import services
from doorstep.cases.calendar import TZ
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, Flag
from doorstep.cases.sweep import sweep
from doorstep.cases.workflow import OPEN
from doorstep.cockpit.assessment import assess
from doorstep.cockpit.models import Indicator, Scorecard
from doorstep.cockpit.overdue import month_end, overdue_at

pytestmark = pytest.mark.django_db

JUNE = dt.date(2026, 6, 1)
JUNE_END = dt.datetime(2026, 7, 1, tzinfo=TZ)


def at(m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, mm, tzinfo=TZ)


class Play:
    """Moves made at chosen moments by the case world's personas."""

    def __init__(self, cw, clock) -> None:
        self.cw, self.p, self.clock = cw, cw.personas, clock

    def at(self, moment: dt.datetime) -> Play:
        self.clock.move_to(moment)
        return self

    def accepted(self, building, title: str, by: str = "community_officer") -> Case:
        """Filed and accepted as urgent (24 hours on the wall clock)."""
        case = services.create_case(
            actor=self.p["resident"], category=self.cw.repair, description=title,
            title=title, location=locate(building=building),
        )  # fmt: skip
        return services.perform(case, "accept", actor=self.p[by], urgency="urgent")

    def handling(self, case: Case) -> Case:
        officer, member = self.p["community_officer"], self.p["party_member"]
        case = services.perform(case, "dispatch", actor=officer, lead=member)
        case = services.perform(case, "sign", actor=member)
        return services.perform(case, "start", actor=member)

    def close(self, case: Case) -> Case:
        member, officer = self.p["party_member"], self.p["community_officer"]
        if case.status != "in_progress":
            case = self.handling(case)
        case = services.perform(case, "resolve", actor=member, note="已修好")
        case = services.perform(case, "verify", actor=officer)
        return services.perform(
            case, "rate", actor=self.p["resident"], rating="satisfied", solved=True
        )

    def move(self, case: Case, code: str, who: str, **kw) -> Case:
        return services.perform(case, code, actor=self.p[who], **kw)


@pytest.fixture
def june(cw):
    """The cases of June, the truth at its end (the sweep's flags then), and July's moves."""
    w = cw.world
    with time_machine.travel(at(6, 20, 10), tick=False) as clock:
        play = Play(cw, clock)
        c = {}  # the street officer accepts for 二里庄 (due 06-21 10:00)
        c["grid_c_forgotten"] = play.accepted(w.building_c, "二里庄路灯不亮", by="street_officer")
        c["closed_later"] = play.at(at(6, 28, 10)).accepted(w.building_a, "楼道灯坏了")
        c["extended_later"] = play.accepted(w.building_a, "水管漏水")  # both due 06-29 10:00
        c["closed_in_time"] = play.accepted(w.building_a, "门禁失灵")
        play.at(at(6, 28, 15)).close(c["closed_in_time"])
        lift = play.at(at(6, 29, 9)).accepted(w.building_b, "电梯异响")  # due 06-30 09:00
        c["paused_in_time"] = play.handling(lift)
        play.at(at(6, 29, 12)).move(c["paused_in_time"], "suspend", "party_member", note="等配件")
        c["late_after_june"] = play.at(at(6, 30, 10)).accepted(w.building_a, "垃圾清运")
        c["extended_later"] = play.handling(c["extended_later"])

        play.at(JUNE_END)  # the month's end: what the sweep flags now is the truth
        sweep()
        truth = set(
            Case.objects.filter(flag=Flag.OVERDUE, status__in=OPEN).values_list("title", flat=True)
        )

        # July: every flag that mattered changes.
        play.at(at(7, 2, 10)).close(c["closed_later"])
        play.move(c["extended_later"], "request_extension", "party_member", note="等物业",
                  amount=10, unit="workdays")  # fmt: skip
        play.move(c["extended_later"], "approve_extension", "community_officer")
        play.at(at(7, 3, 10)).move(c["paused_in_time"], "resume", "party_member")
        play.accepted(w.building_a, "七月新报修")
        play.at(at(7, 10, 9))
        sweep()
    return cw, truth


def test_the_month_end_figure_equals_the_flags_of_that_moment(june):
    cw, truth = june
    w = cw.world
    # At the month's end: the forgotten case in grid C and the two late cases of grid A.
    assert truth == {"二里庄路灯不亮", "楼道灯坏了", "水管漏水"}
    with time_machine.travel(at(7, 10, 12), tick=False):
        assert {c.title for c in overdue_at(w.street, JUNE_END)} == truth
        assert {c.title for c in overdue_at(w.grid_a, JUNE_END)} == {"楼道灯坏了", "水管漏水"}
        assert overdue_at(w.grid_b, JUNE_END) == []  # paused before its deadline
        # Today the flags say otherwise: one closed, one extended, two late since June.
        flagged_open = set(
            Case.objects.filter(flag=Flag.OVERDUE, status__in=OPEN).values_list("title", flat=True)
        )
        assert flagged_open == {"二里庄路灯不亮", "垃圾清运", "电梯异响", "七月新报修"}


def test_june_is_scored_on_its_end_and_july_on_today(june):
    cw, _ = june
    w = cw.world
    card = Scorecard.objects.create(name="超期考核", level="grid", organisation=w.street)
    Indicator.objects.create(
        scorecard=card, code="overdue", weight=10, target=1, direction="lower", order=1
    )
    with time_machine.travel(at(7, 10, 12), tick=False):
        june_rows = {r.org: r.cells[0] for r in assess(card, w.street, JUNE)}
        july_rows = {r.org: r.cells[0] for r in assess(card, w.street, dt.date(2026, 7, 1))}
    assert {org.name: cell.figure.value for org, cell in june_rows.items()} == {
        w.grid_a.name: Decimal(2),
        w.grid_b.name: Decimal(0),
        w.grid_c.name: Decimal(1),
    }
    assert june_rows[w.grid_a].figure.detail == "6月末超期未办结 2 件"
    # Lower is better: target 1 of 2 overdue → half the points.
    assert (june_rows[w.grid_a].points, june_rows[w.grid_b].points) == (Decimal("5.00"), 10)
    # July is running: today's open overdue cases. 楼道灯坏了 closed late: it is 超期办结,
    # no longer 已超期. Grid A: 垃圾清运, 七月新报修; grid B: 电梯异响.
    today = {
        org: Case.objects.filter(territory_path__startswith=org.path, flag=Flag.OVERDUE)
        .filter(status__in=OPEN)
        .count()
        for org in (w.grid_a, w.grid_b, w.grid_c)
    }
    assert {org: cell.figure.value for org, cell in july_rows.items()} == today
    assert today == {w.grid_a: 2, w.grid_b: 1, w.grid_c: 1}
    assert july_rows[w.grid_a].figure.detail == "当前已超期 2 件"
    closed_late = Case.objects.get(title__startswith="楼道灯坏了")
    assert closed_late.status in ("closed", "archived") and closed_late.flag == Flag.NORMAL


def test_month_end_is_midnight_after_the_last_day():
    assert month_end(dt.date(2026, 6, 30)) == JUNE_END
    assert month_end(dt.date(2026, 12, 31)) == dt.datetime(2027, 1, 1, tzinfo=TZ)
