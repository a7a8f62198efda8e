"""The needs and resources lists and matching: rules, ranking, capacity, who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest

from doorstep.cogov import matching, services
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Match, MatchStatus, Need, NeedStatus, Resource
from doorstep.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def need(co, who="community_officer", node=None, **kw):
    data = {
        "title": "外卖骑手夜间就医",
        "field": "new_workers",
        "wants": "service",
        "group": "外卖骑手",
        "people": "40",
        "building": co.world.building_a,
    }
    data.update(kw)
    return services.record_need(actor=co.p[who], node=node or co.world.grid_a, **data)


def resource(co, provider=None, who="liaison_904", **kw):
    data = {
        "title": "夜间义诊",
        "kind": "service",
        "fields": ["health", "new_workers"],
        "capacity": "20",
        "unit": "hours",
    }
    data.update(kw)
    return services.offer_resource(actor=co.p[who], provider=provider or co.hospital, **data)


def test_staff_record_a_need_and_units_offer_resources(co):
    n = need(co, amount="8", unit="小时", window_start="2026-05-01", window_end="2026/05/31")
    assert (n.status, n.path, n.unit, n.amount) == ("open", co.world.grid_a.path, "hours", 8)
    assert (n.lat, n.lon) == (40.0, 116.35) and n.people == 40
    r = resource(co)
    assert r.remaining == r.capacity == Decimal("20") and r.path == co.world.street.path
    assert AuditEntry.objects.filter(target_type__in=["cogov.need", "cogov.resource"]).count() == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": " "}, "title", "请填写需求"),
        ({"title": "骑手\x07驿站"}, "title", "控制字符"),
        ({"title": "长" * 61}, "title", "最多60字"),
        ({"field": "天气"}, "field", "请选择服务领域"),
        ({"people": "-3"}, "people", "涉及人数"),
        ({"amount": "abc", "unit": "hours"}, "amount", "应为数字"),
        ({"amount": "1e400", "unit": "hours"}, "amount", "需要数量"),
        ({"amount": "5", "unit": "吨"}, "unit", "请选择单位"),
        ({"window_start": "2026-06-01", "window_end": "2026-05-01"}, "window_end", "不能早于"),
        ({"window_start": "明天"}, "window_start", "格式应为"),
        ({"building": "c"}, "building", "不在该社区或网格内"),
    ],
)
def test_a_bad_need_is_refused_with_its_field_and_nothing_written(co, change, field, message):
    if change.get("building") == "c":
        change = {"building": co.world.building_c}
    with pytest.raises(CogovError) as err:
        need(co, **change)
    assert err.value.field == field and message in err.value.message
    assert not Need.objects.exists()
    assert not AuditEntry.objects.filter(target_type__startswith="cogov").exists()


def test_only_staff_of_the_area_record_needs_and_only_a_units_liaison_offers_for_it(co):
    with pytest.raises(NotAllowed):
        need(co, who="grid_worker_b", node=co.world.grid_a)
    with pytest.raises(NotAllowed):
        need(co, who="resident")
    assert need(co, who="grid_worker_a").node == co.world.grid_a
    with pytest.raises(NotAllowed):
        resource(co, who="liaison_theatre")
    with pytest.raises(NotAllowed):
        resource(co, who="grid_worker_a")
    assert Resource.objects.count() == 0
    # A street officer offers for any unit of the street.
    assert resource(co, who="street_officer", provider=co.theatre).provider == co.theatre


def test_suggestions_rank_by_fit_and_walking_distance(co):
    n = need(co)
    near = resource(co)  # 904医院, 170 m along the street
    far = resource(
        co, provider=co.theatre, who="liaison_theatre", title="戏曲进社区", reach_m="2000"
    )
    goods = resource(co, title="冬季物资", kind="goods", fields=["elderly"])  # no fit
    beyond = resource(co, title="远程义诊", reach_m="100")  # 170 m > its 100 m reach
    found = matching.suggest(n)
    assert [s.resource for s in found] == [near, far]
    assert found[0].walked and 160 < found[0].metres < 190 and found[0].fit == 1.0
    assert 1500 < found[1].metres < 1600  # 1.53 km east, within its 2 km reach
    assert goods not in [s.resource for s in found] and beyond not in [s.resource for s in found]


def test_walking_goes_round_where_the_crow_flies_straight(co):
    # Grid C's building is 1.1 km north of A up the lane; the theatre, 1.5 km east of A, is
    # 1.9 km from C as the crow flies (× 1.3 = 2.46 km) but 2.65 km on foot (down the lane,
    # along the street): out of a 2.55 km reach.
    n = need(co, node=co.world.grid_c, building=co.world.building_c, who="street_officer")
    r = resource(co, provider=co.theatre, who="liaison_theatre", reach_m="2550")
    assert matching.suggest(n) == []
    assert matching.suggest(n, net=None)[0].resource == r  # straight line × 1.3 would say yes
    assert not matching.suggest(n, net=None)[0].walked


def test_accepting_takes_capacity_and_a_second_beyond_it_is_refused(co):
    first, second = (
        need(co, title="骑手就医"),
        need(co, title="骑手体检", node=co.world.grid_b, building=co.world.building_b),
    )
    r = resource(co)
    m = matching.accept(actor=co.p["community_officer"], need=first, resource=r, amount="15")
    r.refresh_from_db()
    first.refresh_from_db()
    assert (m.status, r.remaining, first.status) == ("accepted", 5, "matched")
    with pytest.raises(Conflict) as err:
        matching.accept(actor=co.p["community_officer"], need=second, resource=r, amount="6")
    assert "剩余5小时" in err.value.message and "本次需要6小时" in err.value.message
    second.refresh_from_db()
    r.refresh_from_db()
    assert (second.status, r.remaining, Match.objects.count()) == ("open", 5, 1)
    with pytest.raises(Conflict):
        matching.accept(actor=co.p["community_officer"], need=first, resource=r, amount="1")
    with pytest.raises(NotAllowed):
        matching.accept(actor=co.p["grid_worker_b"], need=first, resource=r, amount="1")
    with pytest.raises(CogovError) as err:
        matching.accept(actor=co.p["community_officer"], need=second, resource=r, amount="0")
    assert err.value.field == "amount"
    assert Match.objects.count() == 1


def test_a_match_to_a_closed_need_is_refused(co):
    n, r = need(co), resource(co)
    services.close_need(actor=co.p["community_officer"], need=n, reason="居民已自行解决")
    with pytest.raises(Conflict) as err:
        matching.accept(actor=co.p["community_officer"], need=n, resource=r, amount="2")
    assert "已满足或已关闭" in err.value.message
    r.refresh_from_db()
    assert r.remaining == 20 and not Match.objects.exists()


def test_the_liaison_confirms_or_declines_and_a_decline_gives_capacity_back(co):
    n, r = need(co), resource(co)
    m = matching.accept(actor=co.p["community_officer"], need=n, resource=r, amount="8")
    for other in ("liaison_theatre", "community_officer"):
        with pytest.raises(NotAllowed):
            matching.confirm(actor=co.p[other], match=m)
    with pytest.raises(CogovError):
        matching.decline(actor=co.p["liaison_904"], match=m, reason="")
    matching.decline(actor=co.p["liaison_904"], match=m, reason="本月医生排班已满")
    r.refresh_from_db()
    n.refresh_from_db()
    m.refresh_from_db()
    assert (m.status, r.remaining, n.status) == ("declined", 20, "open")
    with pytest.raises(Conflict):
        matching.confirm(actor=co.p["liaison_904"], match=m)
    again = matching.accept(actor=co.p["community_officer"], need=n, resource=r, amount="8")
    assert matching.confirm(actor=co.p["liaison_904"], match=again).status == "confirmed"


def test_completing_meets_the_need_and_its_rating_ranks_the_unit_next_time(co):
    n, r = need(co), resource(co)
    spare = resource(co, provider=co.theatre, who="liaison_theatre", reach_m="2000")
    m = matching.accept(actor=co.p["community_officer"], need=n, resource=r, amount="8")
    other = matching.accept(actor=co.p["community_officer"], need=n, resource=spare, amount="3")
    with pytest.raises(Conflict):  # not confirmed yet
        matching.complete(actor=co.p["community_officer"], match=m, rating="5")
    matching.confirm(actor=co.p["liaison_904"], match=m)
    with pytest.raises(CogovError):
        matching.complete(actor=co.p["community_officer"], match=m, rating="6")
    matching.complete(actor=co.p["community_officer"], match=m, rating="1")
    n.refresh_from_db()
    other.refresh_from_db()
    spare.refresh_from_db()
    assert (n.status, other.status, spare.remaining) == (NeedStatus.MET, "cancelled", 20)
    assert Resource.objects.get(pk=r.pk).remaining == 12  # used, not given back
    assert matching.ratings([co.hospital.pk]) == {co.hospital.pk: 1.0}
    later = need(co, title="骑手复诊")
    assert [s.resource for s in matching.suggest(later)][0] == r  # nearer still wins
    assert matching.suggest(later)[0].score < matching.score(1, 170, 1125, 12, float("nan"), 3)


def test_needs_for_a_resource(co):
    a = need(co)
    b = need(co, node=co.world.grid_b, building=co.world.building_b, title="骑手驿站体检")
    c = need(
        co,
        node=co.world.grid_c,
        building=co.world.building_c,
        title="北区骑手",
        who="street_officer",
    )
    need(co, title="老人助餐", field="elderly", wants="goods")  # no fit
    r = resource(co)
    assert [s.need for s in matching.needs_for(r)] == [a, b]
    assert c not in [s.need for s in matching.needs_for(r)]  # 1.3 km by the lane


def test_closing_a_need_cancels_its_matches_and_gives_capacity_back(co):
    n, r = need(co), resource(co)
    m = matching.accept(actor=co.p["community_officer"], need=n, resource=r, amount="8")
    with pytest.raises(NotAllowed):
        services.close_need(actor=co.p["liaison_904"], need=n, reason="不需要了")
    services.close_need(actor=co.p["community_officer"], need=n, reason="居民搬离")
    m.refresh_from_db()
    r.refresh_from_db()
    assert (m.status, r.remaining) == (MatchStatus.CANCELLED, 20)
    assert Need.objects.get(pk=n.pk).closed_reason == "居民搬离"


SEES = {
    # persona: (needs of grid A, needs of grid C, the hospital's resource, the match); the
    # hospital offers to the whole street, so staff of every part of it see the offer.
    "community_officer": (True, False, True, True),
    "street_officer": (True, True, True, True),
    "grid_worker_a": (True, False, True, True),
    "grid_worker_b": (False, False, True, False),
    "liaison_904": (True, False, True, True),
    "liaison_theatre": (False, False, False, False),
    "resident": (False, False, False, False),
    "party_member": (False, False, False, False),
    "outsider": (False, False, False, False),
    "system_admin": (False, False, False, False),
    "security_admin": (False, False, False, False),
    "audit_admin": (False, False, False, False),
}


@pytest.mark.parametrize("persona", sorted(SEES))
def test_who_sees_which_rows(co, persona):
    a = need(co)
    c = need(co, node=co.world.grid_c, building=co.world.building_c, who="street_officer")
    r = resource(co)
    m = matching.accept(actor=co.p["community_officer"], need=a, resource=r, amount="2")
    user = co.p[persona]
    seen = (
        Need.objects.visible_to(user).filter(pk=a.pk).exists(),
        Need.objects.visible_to(user).filter(pk=c.pk).exists(),
        Resource.objects.visible_to(user).filter(pk=r.pk).exists(),
        Match.objects.visible_to(user).filter(pk=m.pk).exists(),
    )
    assert seen == SEES[persona]


def test_suggestions_for_all_needs_at_once_equal_one_by_one(co):
    from doorstep.cogov import ranking

    made = [
        need(co),
        need(co, node=co.world.grid_b, building=co.world.building_b, title="骑手驿站体检"),
        need(co, node=co.world.grid_c, building=co.world.building_c, who="street_officer"),
        need(co, title="老人助餐", field="elderly", wants="goods", amount="30", unit="items"),
        need(co, title="夏季义诊", window_start="2026-07-01", window_end="2026-07-31"),
    ]
    clinic = resource(co)
    theatre = resource(co, provider=co.theatre, who="liaison_theatre", reach_m="2550")
    goods = resource(
        co, title="冬季物资", kind="goods", fields=["elderly"], capacity="100", unit="items"
    )
    winter = resource(co, title="冬季义诊", available_from="2026-12-01", available_to="2027-02-28")
    resource(co, title="助餐券", kind="goods", fields=["elderly"], capacity="50", unit="yuan")
    matching.accept(actor=co.p["community_officer"], need=made[0], resource=clinic, amount="1")
    found = {}
    for net in ("latest", None):
        found[net] = ranking.suggest_all(made, net=net)
        for n in made:
            n.refresh_from_db()
            one = [s.resource.pk for s in matching.suggest(n, net=net)]
            assert found[net][n.pk] == one, (n.title, net)
    walked = found["latest"]
    assert clinic.pk not in walked[made[0].pk]  # already matched to it
    assert walked[made[2].pk] == []  # grid C: the theatre is 2.65 km on foot
    assert walked[made[3].pk] == [goods.pk]  # items, not yuan
    assert winter.pk not in walked[made[4].pk] and theatre.pk in walked[made[4].pk]


def test_a_community_using_its_own_resource_needs_no_one_to_confirm(co):
    room = services.offer_resource(
        actor=co.p["community_officer"],
        provider=co.world.community_1,
        title="党群服务站活动室",
        kind="venue",
        fields=["new_workers", "culture"],
        capacity="10",
        unit="sessions",
    )
    n = need(co, wants="venue", title="骑手歇脚")
    m = matching.accept(actor=co.p["community_officer"], need=n, resource=room, amount="2")
    assert (m.status, m.decided_by) == ("confirmed", co.p["community_officer"])
    with pytest.raises(NotAllowed):  # a liaison of another unit still may not act on it
        matching.decline(actor=co.p["liaison_904"], match=m, reason="不是我们的")
    # The street keeps the hospital's list, but the hospital still takes its matches on.
    clinic = resource(co, who="street_officer")
    m = matching.accept(actor=co.p["street_officer"], need=n, resource=clinic, amount="2")
    assert m.status == "accepted" and m.decided_by is None
