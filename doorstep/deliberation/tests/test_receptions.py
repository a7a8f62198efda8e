"""两代表一委员 reception: the street keeps its deputies and a studio's 社情民意日; a
resident books a time on the 20th (never outside the studio's hours, never past its
places), the deputy records the visit and turns it into a case with one click, the case
closes and the resident is told the outcome; a walk-in becomes a topic. A refusal writes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.core.testing import make_user
from doorstep.deliberation import follow, receptions
from doorstep.deliberation.errors import Conflict, DeliberationError, NotAllowed
from doorstep.deliberation.models import ReceptionSlot, ReceptionVisit
from doorstep.inbox.models import Notification
from doorstep.nearby.sites.models import ServiceSite

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()


@pytest.fixture
def studio(world):
    return ServiceSite.objects.create(
        name="清华东路社区代表委员工作室", kind="studio", organisation=world.community_1,
        territory=world.community_1, territory_path=world.community_1.path,
        address="清华东路社区党群服务中心二层",
    )  # fmt: skip


@pytest.fixture
def deputy(world):
    user = make_user(
        "deputy_li", "李代表", ("resident", world.street)
    )  # a deputy signs in as a resident does
    return receptions.add_deputy(
        actor=world.personas["street_officer"], name="李代表", kind="npc", level="district",
        constituency="学院路第三选区", node=world.street, user=user,
    )  # fmt: skip


def test_a_resident_books_the_public_day_the_deputy_records_a_case_follows_and_the_resident_hears(
    world, cw, studio, deputy, django_capture_on_commit_callbacks
):
    street, officer = world.personas["street_officer"], world.personas["community_officer"]
    with time_machine.travel(dt.datetime(2027, 3, 5, 10, 0, tzinfo=TZ)):
        slots = receptions.schedule_public_days(
            actor=street, site=studio, deputies=[deputy], months=3
        )
        assert [s.starts_at.astimezone(TZ).date() for s in slots] == [
            dt.date(2027, 3, 20), dt.date(2027, 4, 20), dt.date(2027, 5, 20),
        ]  # fmt: skip
        assert all(s.public_day for s in slots)
        march = slots[0]
        resident = world.personas["resident"]
        with pytest.raises(DeliberationError, match="不在工作室接待时间内"):
            receptions.book(actor=resident, slot=march, at="2027-03-20T14:00")
        with pytest.raises(NotAllowed):
            receptions.book(actor=world.personas["outsider"], slot=march, at="2027-03-20T09:30")
        assert not ReceptionVisit.objects.exists()
        visit = receptions.book(actor=resident, slot=march, at="2027-03-20T09:30",
                                issue="小区门口路灯坏了")  # fmt: skip
        with pytest.raises(Conflict):
            receptions.book(actor=resident, slot=march, at="2027-03-20T10:00")
    with time_machine.travel(dt.datetime(2027, 3, 20, 9, 35, tzinfo=TZ)):
        with pytest.raises(NotAllowed):  # not the deputy of this slot
            receptions.record(
                actor=world.personas["grid_worker_a"], visit=visit, issue="x", reply="y"
            )
        receptions.record(
            actor=deputy.user, visit=visit, issue="小区东门路灯坏了两周，老人夜里出门不安全",
            reply="马上请社区联系路灯管理所，一周内修好", category=cw.repair,
        )  # fmt: skip
        case = receptions.to_case(actor=deputy.user, visit=visit)
        with pytest.raises(Conflict):
            receptions.to_topic(actor=deputy.user, visit=visit)
    visit.refresh_from_db()
    assert (visit.status, visit.case, visit.deputy) == ("received", case, deputy)
    assert "东门路灯" in case.description and case.territory_path.startswith(world.community_1.path)
    # the community has it fixed and closes it; the resident is told
    member = world.personas["party_member"]
    case = cases.perform(case, "dispatch", actor=officer, lead=member)
    for code in ("sign", "start"):
        case = cases.perform(case, code, actor=member)
    case = cases.perform(case, "resolve", actor=member, note="已更换东门两盏路灯")
    case = cases.perform(case, "verify", actor=officer)
    follow.follow_cases()
    visit.refresh_from_db()
    assert visit.outcome_at is None  # not closed yet
    # the deputy filed it, so the deputy rates it on the resident's word
    case = cases.perform(case, "rate", actor=deputy.user, rating="satisfied", solved=True)
    with django_capture_on_commit_callbacks(execute=True):
        follow.follow_cases()
        follow.follow_cases()  # once
    visit.refresh_from_db()
    assert visit.outcome.startswith("已办结") and visit.outcome_at is not None
    told = Notification.objects.filter(user=world.personas["resident"], kind="reception")
    assert told.count() == 1 and "已办结" in told.get().body
    mine = ReceptionVisit.objects.visible_to(world.personas["resident"])
    assert list(mine) == [visit]
    assert not ReceptionVisit.objects.visible_to(world.personas["outsider"]).exists()


def test_a_full_slot_and_a_walk_in_that_becomes_a_topic(world, studio, deputy):
    street = world.personas["street_officer"]
    start = timezone.now() + dt.timedelta(days=1)
    slot = receptions.schedule(
        actor=street, site=studio, deputies=[deputy], starts_at=start,
        ends_at=start + dt.timedelta(hours=2), capacity=1,
    )  # fmt: skip
    receptions.book(
        actor=world.personas["resident"], slot=slot, at=start + dt.timedelta(minutes=30)
    )
    with pytest.raises(Conflict, match="约满"):
        receptions.book(actor=world.personas["party_member"], slot=slot, at=start)
    with time_machine.travel(start + dt.timedelta(minutes=40), tick=False):
        visit = receptions.walk_in(actor=deputy.user, slot=slot, visitor="赵大爷")
        receptions.record(actor=deputy.user, visit=visit, issue="小区想建个老年食堂",
                          reply="建议社区征求居民意见后议一议")  # fmt: skip
        topic = receptions.to_topic(actor=deputy.user, visit=visit)
    assert (topic.source, topic.node) == ("reception", world.community_1)
    assert ReceptionVisit.objects.filter(slot=slot).count() == 2


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"capacity": "0"}, "可预约人数"), ({"deputies": []}, "接待的代表委员"),
     ({"hours": 11}, "最长10小时")],
)  # fmt: skip
def test_bad_schedules_are_refused(world, studio, deputy, kw, message):
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(DeliberationError, match=message):
        receptions.schedule(
            actor=world.personas["street_officer"], site=studio,
            deputies=kw.get("deputies", [deputy]), starts_at=start,
            ends_at=start + dt.timedelta(hours=kw.get("hours", 2)), capacity=kw.get("capacity", 5),
        )  # fmt: skip
    assert not ReceptionSlot.objects.exists()


def test_only_the_street_or_community_keeps_the_schedule(world, studio, deputy):
    start = timezone.now() + dt.timedelta(days=1)
    for persona in ("grid_worker_a", "resident", "outsider"):
        with pytest.raises(NotAllowed):
            receptions.schedule(actor=world.personas[persona], site=studio, deputies=[deputy],
                                starts_at=start, ends_at=start + dt.timedelta(hours=1))  # fmt: skip
    with pytest.raises(NotAllowed):
        receptions.add_deputy(actor=world.personas["community_officer"], name="王委员",
                              kind="cppcc", level="district", node=world.street)  # fmt: skip
    assert not ReceptionSlot.objects.exists()
