"""The me page (hours never mixed, points, posts, linked households, certificates) and
the staff settings pages for points rules and rewards."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.service import records, teams, visits
from doorstep.service.models import PointRule, Reward
from doorstep.service.tests.helpers import hours_ago, photo

pytestmark = pytest.mark.django_db


def test_the_me_page_of_a_member_after_a_wish_and_a_self_report(
    cw, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    p, w = cw.personas, cw.world
    member = p["party_member"]
    case = cases.create_case(
        actor=p["resident"], category=cw.wish, description="帮忙修自行车",
        location=locate(building=w.building_a),
    )  # fmt: skip
    for code, who, extra in (
        ("accept", "community_officer", {}),
        ("publish", "community_officer", {}),
        ("claim", "party_member", {}),
        ("start", "party_member", {}),
        ("resolve", "party_member", {"note": "修好了"}),
        ("verify", "community_officer", {}),
        ("rate", "resident", {"rating": "satisfied", "solved": True}),
    ):
        with django_capture_on_commit_callbacks(execute=True):  # credits follow the commit
            case = cases.perform(case, code, actor=p[who], **extra)
    start, end = hours_ago(30, 28)
    records.self_report(
        user=member, organisation=w.community_1, started_at=start, ended_at=end,
        description="陪老人就医", evidence=photo(),
    )  # fmt: skip
    post = teams.create_post(actor=p["community_officer"], organisation=w.grid_a, title="楼道长")
    teams.approve(teams.apply(post, member), actor=p["community_officer"])
    visits.log_visit(
        actor=member, household=w.household_a, visited_on=timezone.localdate(), found="一切正常"
    )
    client.force_login(member)
    page = client.get(reverse("serve:me")).content.decode()
    assert '<div class="stat" id="verified-hours"><b>1</b>' in page
    assert '<div class="stat" id="pending-hours"><b>2</b>' in page
    assert '<div class="stat" id="points-balance"><b>17</b>' in page  # 10 + 5 + 2 (visit)
    assert "楼道长" in page and "帮忙修自行车" in page and "我的联系户（1户）" in page
    assert "静淑苑1号楼" in page
    # a resident's me page is empty but works
    client.force_login(p["resident"])
    page = client.get(reverse("serve:me")).content.decode()
    assert "还没有认领岗位" in page and "我的联系户" not in page


def test_staff_set_their_areas_rules_and_the_defaults_stay(world, login):
    client = login("community_officer", world)
    page = client.get(reverse("serve:rules")).content.decode()
    assert "接单办结" in page and "全区默认" in page
    r = client.post(
        reverse("serve:rules"),
        {"org": world.community_1.pk, "code": "case_resolved", "points": 20, "cap": 200,
         "period": "month", "active": "on"},
    )  # fmt: skip
    assert r.status_code == 302
    rule = PointRule.objects.get(organisation=world.community_1)
    assert (rule.points, rule.cap) == (20, 200)
    assert PointRule.objects.get(code="case_resolved", organisation__isnull=True).points == 10
    r = client.post(reverse("serve:rules"), {"org": world.community_2.pk, "code": "x"})
    assert r.status_code == 404  # not their area
    r = client.post(
        reverse("serve:rules"),
        {"org": world.community_1.pk, "code": "case_resolved", "points": -5, "period": "month"},
    )
    assert r.status_code == 400 and PointRule.objects.get(pk=rule.pk).points == 20
    assert login("resident", world).get(reverse("serve:rules")).status_code == 403


def test_staff_keep_the_reward_catalogue_of_their_area(world, login):
    client = login("community_officer", world)
    r = client.post(
        reverse("serve:rewards"),
        {"organisation": world.community_1.pk, "name": "雨伞", "cost": 5, "stock": 3,
         "active": "on"},
    )  # fmt: skip
    assert r.status_code == 302
    reward = Reward.objects.get()
    assert "雨伞" in client.get(reverse("serve:rewards")).content.decode()
    r = client.post(
        reverse("serve:rewards"),
        {"organisation": world.community_2.pk, "name": "米", "cost": 5, "stock": 3},
    )
    assert r.status_code == 400 and Reward.objects.count() == 1
    r = client.post(
        reverse("serve:rewards"),
        {"reward": reward.pk, "organisation": world.community_1.pk, "name": "雨伞",
         "cost": 6, "stock": 10, "active": "on"},
    )  # fmt: skip
    assert r.status_code == 302 and Reward.objects.get().stock == 10
    other = Reward.objects.create(organisation=world.community_2, name="米", cost=9, stock=1)
    r = client.post(reverse("serve:rewards"), {"reward": other.pk, "name": "改", "cost": 1})
    assert r.status_code == 404 and Reward.objects.get(pk=other.pk).name == "米"
    assert login("resident", world).get(reverse("serve:rewards")).status_code == 403


def test_a_visit_is_logged_with_its_follow_up_case(cw, client):
    from doorstep.service.models import Visit

    p, w = cw.personas, cw.world
    case = cases.create_case(
        actor=p["party_member"], category=cw.repair, description="联系户家水管漏水",
        location=locate(building=w.building_a),
    )  # fmt: skip
    client.force_login(p["party_member"])
    link = w.household_a.link
    form = {"household": link.pk, "visited_on": timezone.localdate().isoformat(),
            "found": "水管漏水，已点单"}  # fmt: skip
    r = client.post(reverse("serve:visit_new"), {**form, "follow_up": "110108000"})
    assert r.status_code == 400 and "找不到该工单" in r.content.decode()
    assert not Visit.objects.exists()
    r = client.post(reverse("serve:visit_new"), {**form, "follow_up": case.number})
    assert r.status_code == 302
    assert Visit.objects.get().follow_up_case == case
    page = client.get(reverse("serve:me")).content.decode()
    assert 'id="my-month-rank"><b>第1名</b>' in page


def test_setting_a_rule_is_audited_and_refused_outside_ones_area(world):
    from doorstep.core.models import AuditEntry
    from doorstep.service.errors import Denied
    from doorstep.service.rules import set_rule

    officer = world.personas["community_officer"]
    fields = {"code": "visit_logged", "points": 3, "cap": None, "period": "month", "active": True}
    with pytest.raises(Denied):
        set_rule(actor=officer, organisation=world.community_2, **fields)
    assert not PointRule.objects.filter(organisation__isnull=False).exists()
    rule = set_rule(actor=officer, organisation=world.community_1, **fields)
    entry = AuditEntry.objects.filter(action="update").latest("id")
    assert entry.target_id == str(rule.pk) and entry.detail["points"] == 3
