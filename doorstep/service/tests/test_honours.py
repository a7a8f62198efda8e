"""Honour rankings: points of the period (grants and reversals, never redemptions), verified
hours and 人次, Beijing-time period edges, pioneers vs volunteers, and publishing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from doorstep.core.models import AuditEntry
from doorstep.core.testing import make_user
from doorstep.service import honours, ledger
from doorstep.service.errors import Conflict, Denied, ServiceError
from doorstep.service.models import HonourList, PointLine, Reward, ServiceRecord

pytestmark = pytest.mark.django_db

BJ = ZoneInfo("Asia/Shanghai")


def _this_month() -> dt.date:
    return timezone.now().astimezone(BJ).date().replace(day=1)


def _points(user, org, n: int, tag: str = "p") -> None:
    for i in range(n):
        line = ledger.grant(
            user=user, code="case_resolved", source=f"case:{tag}{user.pk}-{i}", organisation=org
        )
        assert line is not None and line.amount == 10


def _hours(user, org, hours: str, status: str = "verified", start=None) -> ServiceRecord:
    start = start or timezone.now() - dt.timedelta(minutes=5)
    return ServiceRecord.objects.create(
        user=user,
        organisation=org,
        source="self",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=1),
        hours=Decimal(hours),
        description="助老服务",
        status=status,
    )


def _volunteers(world, n: int = 3):
    return [make_user(f"vol{i}", f"志愿者{i}", ("volunteer", world.grid_a)) for i in range(n)]


def _table(entries):
    return [(e.rank, e.name, e.points, e.hours, e.served) for e in entries]


def test_points_of_the_month_rank_people_and_redemptions_do_not_lower_a_place(world):
    a, b, _ = _volunteers(world)
    _points(a, world.grid_a, 3)
    _points(b, world.grid_b, 2)
    reward = Reward.objects.create(organisation=world.community_1, name="洗衣液", cost=25, stock=3)
    ledger.redeem(user=a, reward=reward)
    assert PointLine.objects.filter(user=a, kind="redemption").count() == 1
    got = honours.ranking(
        world.community_1, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    assert _table(got) == [
        (1, "志愿者0", 30, Decimal("0.00"), 0),
        (2, "志愿者1", 20, Decimal("0.00"), 0),
    ]


def test_a_reversal_takes_its_points_back_from_the_ranking(world):
    a, b, _ = _volunteers(world)
    _points(a, world.grid_a, 3)
    _points(b, world.grid_a, 2)
    ledger.reverse_source(f"case:p{a.pk}-0")
    ledger.reverse_source(f"case:p{a.pk}-1")
    got = honours.ranking(
        world.community_1, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    assert [(e.name, e.points) for e in got] == [("志愿者1", 20), ("志愿者0", 10)]


def test_hours_break_a_tie_and_equal_figures_share_a_place(world):
    a, b, c = _volunteers(world)
    for user in (a, b, c):
        _points(user, world.grid_a, 1)
    _hours(a, world.grid_a, "2.5")
    _hours(b, world.grid_a, "1.5")
    _hours(b, world.grid_a, "1.0", start=timezone.now() - dt.timedelta(minutes=30))
    _hours(c, world.grid_b, "4")
    _hours(c, world.grid_b, "3", status="pending")  # not verified: does not count
    got = honours.ranking(
        world.community_1, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    assert _table(got) == [
        (1, "志愿者2", 10, Decimal("4.00"), 1),
        (2, "志愿者0", 10, Decimal("2.50"), 1),
        (2, "志愿者1", 10, Decimal("2.50"), 2),
    ]


def test_someone_with_only_verified_hours_is_ranked_and_the_limit_cuts_the_list(world):
    a, b, c = _volunteers(world)
    _hours(a, world.grid_a, "1")
    _points(b, world.grid_a, 1)
    _hours(c, world.grid_a, "2", status="rejected")
    got = honours.ranking(
        world.community_1,
        kind="volunteer",
        period_kind="month",
        period_start=_this_month(),
        limit=1,
    )
    assert [(e.name, e.points) for e in got] == [("志愿者1", 10)]
    full = honours.ranking(
        world.community_1,
        kind="volunteer",
        period_kind="month",
        period_start=_this_month(),
        limit=None,
    )
    assert [(e.name, e.points, e.served) for e in full] == [("志愿者1", 10, 0), ("志愿者0", 0, 1)]


def test_only_what_happened_under_the_organisation_counts(world):
    a, b, _ = _volunteers(world)
    _points(a, world.grid_a, 1)
    _points(b, world.grid_c, 2)
    _hours(b, world.grid_c, "3")
    c1 = honours.ranking(
        world.community_1, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    c2 = honours.ranking(
        world.community_2, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    street = honours.ranking(
        world.street, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    assert [e.name for e in c1] == ["志愿者0"]
    assert _table(c2) == [(1, "志愿者1", 20, Decimal("3.00"), 1)]
    assert [e.name for e in street] == ["志愿者1", "志愿者0"]


def test_pioneers_are_party_members_and_volunteers_everyone_else(world):
    member = world.personas["party_member"]
    (vol,) = _volunteers(world, 1)
    _points(member, world.grid_a, 1)
    _points(vol, world.grid_a, 2)
    pioneers = honours.ranking(
        world.community_1, kind="pioneer", period_kind="month", period_start=_this_month()
    )
    volunteers = honours.ranking(
        world.community_1, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    assert [(e.user_id, e.name, e.points) for e in pioneers] == [(member.pk, "党员李建国", 10)]
    assert [(e.user_id, e.points) for e in volunteers] == [(vol.pk, 20)]


def test_period_edges_are_midnight_in_beijing(world):
    (vol,) = _volunteers(world, 1)
    moments = [
        ("feb", dt.datetime(2025, 2, 28, 15, 59, tzinfo=dt.UTC)),  # 23:59 on 28 Feb
        ("mar1", dt.datetime(2025, 2, 28, 16, 0, tzinfo=dt.UTC)),  # 00:00 on 1 March
        ("mar2", dt.datetime(2025, 3, 31, 15, 59, tzinfo=dt.UTC)),  # 23:59 on 31 March
        ("apr", dt.datetime(2025, 3, 31, 16, 0, tzinfo=dt.UTC)),  # 00:00 on 1 April
    ]
    for tag, at in moments:
        with time_machine.travel(at, tick=False):
            _points(vol, world.grid_a, 1, tag=tag)
    _hours(vol, world.grid_a, "2", start=dt.datetime(2025, 2, 28, 16, 30, tzinfo=dt.UTC))

    def month(y, m):
        got = honours.ranking(
            world.community_1, kind="volunteer", period_kind="month", period_start=dt.date(y, m, 1)
        )
        return [(e.points, e.hours) for e in got]

    assert month(2025, 2) == [(10, Decimal("0.00"))]
    assert month(2025, 3) == [(20, Decimal("2.00"))]
    assert month(2025, 4) == [(10, Decimal("0.00"))]
    year = honours.ranking(
        world.community_1, kind="volunteer", period_kind="year", period_start=dt.date(2025, 1, 1)
    )
    assert [(e.points, e.served) for e in year] == [(40, 1)]


@pytest.mark.parametrize(
    "period, text, message",
    [
        ("month", "2025-13", "月份应在1到12之间"),
        ("month", "2025/03", "时间格式不正确，应形如2025-03"),
        ("year", "25", "时间格式不正确，应形如2025"),
        ("year", "1999", "起始时间不早于2000年"),
        ("week", "2025", "周期只能是月度（month）或年度（year）"),
    ],
)
def test_bad_periods_are_refused_in_chinese(period, text, message):
    with pytest.raises(ServiceError) as caught:
        honours.parse_period(period, text)
    assert caught.value.message == message


def test_a_period_after_the_current_one_is_refused(world):
    with time_machine.travel(dt.datetime(2025, 6, 15, 4, 0, tzinfo=dt.UTC), tick=False):
        assert honours.parse_period("month", "2025-06") == dt.date(2025, 6, 1)
        assert honours.parse_period("month", "") == dt.date(2025, 6, 1)
        assert honours.parse_period("year", "2025") == dt.date(2025, 1, 1)
        for period, text in (("month", "2025-07"), ("year", "2026")):
            with pytest.raises(ServiceError, match="不能查看尚未开始的周期"):
                honours.parse_period(period, text)
        with pytest.raises(ServiceError, match="第一天"):
            honours.ranking(
                world.community_1,
                kind="pioneer",
                period_kind="month",
                period_start=dt.date(2025, 6, 2),
            )
        with pytest.raises(ServiceError, match="榜单只能是"):
            honours.ranking(
                world.community_1,
                kind="best",
                period_kind="month",
                period_start=dt.date(2025, 6, 1),
            )


def test_staff_publish_only_in_their_subtree_and_others_change_nothing(world):
    p = world.personas
    (vol,) = _volunteers(world, 1)
    _points(vol, world.grid_c, 1)
    audits = AuditEntry.objects.count()
    for actor, org in (
        (p["community_officer"], world.community_2),
        (p["party_member"], world.community_1),
        (p["grid_worker_a"], world.grid_a),
        (p["system_admin"], world.community_2),
    ):
        with pytest.raises(Denied):
            honours.publish(
                org, kind="volunteer", period_kind="month", period_start=_this_month(), actor=actor
            )
    assert not HonourList.objects.exists() and AuditEntry.objects.count() == audits
    got = honours.publish(
        world.community_2,
        kind="volunteer",
        period_kind="month",
        period_start=_this_month(),
        actor=p["street_officer"],
    )
    assert (
        got.published_by == p["street_officer"] and got.organisation_path == world.community_2.path
    )
    assert got.entries == [
        {
            "rank": 1,
            "user_id": vol.pk,
            "name": "志愿者0",
            "points": 10,
            "hours": "0.00",
            "served": 0,
        }
    ]
    trail = AuditEntry.objects.filter(target_type="service.honourlist", target_id=str(got.pk))
    assert list(trail.values_list("action", flat=True)) == ["create"]


def test_a_published_list_stays_frozen_while_the_live_ranking_moves(world):
    officer = world.personas["community_officer"]
    a, b, _ = _volunteers(world)
    _points(a, world.grid_a, 2)
    _points(b, world.grid_a, 1)
    published = honours.publish(
        world.community_1,
        kind="volunteer",
        period_kind="month",
        period_start=_this_month(),
        actor=officer,
    )
    _points(b, world.grid_a, 3, tag="later")
    live = honours.ranking(
        world.community_1, kind="volunteer", period_kind="month", period_start=_this_month()
    )
    assert [(e.name, e.points) for e in live] == [("志愿者1", 40), ("志愿者0", 20)]
    published.refresh_from_db()
    assert [(e["name"], e["points"]) for e in published.entries] == [
        ("志愿者0", 20),
        ("志愿者1", 10),
    ]


def test_a_second_publish_conflicts_unless_replacing(world):
    officer = world.personas["community_officer"]
    (vol,) = _volunteers(world, 1)
    _points(vol, world.grid_a, 1)
    first = honours.publish(
        world.community_1,
        kind="volunteer",
        period_kind="month",
        period_start=_this_month(),
        actor=officer,
    )
    _points(vol, world.grid_a, 1, tag="more")
    with pytest.raises(Conflict, match="该期榜单已发布"):
        honours.publish(
            world.community_1,
            kind="volunteer",
            period_kind="month",
            period_start=_this_month(),
            actor=officer,
        )
    assert list(HonourList.objects.values_list("pk", flat=True)) == [first.pk]
    assert HonourList.objects.get().entries[0]["points"] == 10
    # The other kind of list for the same period is a different list.
    honours.publish(
        world.community_1,
        kind="pioneer",
        period_kind="month",
        period_start=_this_month(),
        actor=officer,
    )
    second = honours.publish(
        world.community_1,
        kind="volunteer",
        period_kind="month",
        period_start=_this_month(),
        actor=officer,
        replace=True,
    )
    assert second.pk != first.pk and not HonourList.objects.filter(pk=first.pk).exists()
    assert HonourList.objects.get(kind="volunteer").entries[0]["points"] == 20
    assert HonourList.objects.count() == 2


def test_home_community_comes_from_where_a_person_lives_or_serves(world):
    p = world.personas
    (vol,) = _volunteers(world, 1)
    assert honours.home_community(p["party_member"]) == world.community_1
    assert honours.home_community(vol) == world.community_1
    assert honours.home_community(p["outsider"]) is None


def test_an_activist_is_not_on_the_party_members_list(world):
    """先锋榜 is the party members' list: an 入党积极分子 (a PartyMember row with status
    activist) served as much as a member but is listed with the volunteers (issue 14:
    residents were named on the 党员 list)."""
    from doorstep.atlas.people.models import PartyMember, PartyStatus
    from doorstep.atlas.people.services import create_resident

    member = world.member.resident
    member.user = make_user("member_user", "李建国", ("party_member", world.grid_a))
    member.save(update_fields=["user"])
    activist_user = make_user("activist", "积极分子", ("volunteer", world.grid_a))
    activist = create_resident(
        household=world.household_a, name="积极分子", residence_type="registered", actor=None
    )
    activist.user = activist_user
    activist.save(update_fields=["user"])
    PartyMember.objects.create(
        resident=activist, status=PartyStatus.ACTIVIST, organisation=world.branch_a
    )
    _points(member.user, world.grid_a, 2)
    _points(activist_user, world.grid_a, 2)
    month = _this_month()
    pioneers = honours.ranking(
        world.grid_a, kind="pioneer", period_kind="month", period_start=month
    )
    volunteers = honours.ranking(
        world.grid_a, kind="volunteer", period_kind="month", period_start=month
    )
    assert [e.name for e in pioneers] == ["李建国"]
    assert [e.name for e in volunteers] == ["积极分子"]
