"""Honour pages per persona: staff rankings with publishing, a member's own community with
their own place highlighted, the public pages without login, and bad input."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.service import honours, ledger
from doorstep.service.models import HonourList

pytestmark = pytest.mark.django_db

URL = "/service/honours/"


def _month() -> str:
    return timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def _this_month() -> dt.date:
    return timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date().replace(day=1)


def _points(user, org, n: int, tag: str = "p") -> None:
    for i in range(n):
        assert ledger.grant(
            user=user, code="case_resolved", source=f"case:{tag}{user.pk}-{i}", organisation=org
        )


@pytest.fixture
def vol(world):
    user = make_user("volunteer", "志愿者小陈", ("volunteer", world.grid_a))
    world.personas["volunteer"] = user
    return user


def _publish_data(world, org=None, kind="volunteer", **extra):
    org = org or world.community_1
    return {"org": org.pk, "kind": kind, "period": "month", "start": _month(), **extra}


def test_urls_are_where_the_brief_says():
    assert reverse("serve:honours") == URL
    assert reverse("serve:honour_publish") == "/service/honours/publish/"
    assert reverse("serve:honour_public", args=[3]) == "/honours/3/"
    assert reverse("serve:honour_public_list") == "/honours/"


def test_staff_see_their_first_scope_root_with_a_publish_button(world, login, vol):
    _points(vol, world.grid_a, 2)
    _points(world.personas["party_member"], world.grid_a, 1)
    page = login("community_officer", world).get(URL, {"kind": "volunteer"})
    assert page.status_code == 200
    assert page.context["org"] == world.community_1
    assert [(e.name, e.points) for e in page.context["entries"]] == [("志愿者小陈", 20)]
    html = page.content.decode()
    assert "志愿者小陈" in html and "党员李建国" not in html and 'id="publish-form"' in html


def test_staff_pick_an_org_in_scope_and_one_outside_is_404(world, login, vol):
    _points(vol, world.grid_c, 1)
    officer = login("community_officer", world)
    assert officer.get(URL, {"org": world.community_2.pk}).status_code == 404
    assert officer.get(URL, {"org": "99999999"}).status_code == 404  # no such organisation
    assert officer.get(URL, {"org": "99999999999999999999999"}).status_code == 400  # not an id
    assert officer.get(URL, {"org": world.grid_b.pk}).context["org"] == world.grid_b
    street = login("street_officer", world)
    page = street.get(URL, {"org": world.community_2.pk, "kind": "volunteer"})
    assert page.status_code == 200 and page.context["entries"][0].user_id == vol.pk


def test_a_party_member_sees_their_community_and_their_own_place(world, login, vol):
    member = world.personas["party_member"]
    _points(member, world.grid_a, 1)
    client = login("party_member", world)
    page = client.get(URL, {"kind": "pioneer", "period": "year"})
    assert page.status_code == 200 and page.context["org"] == world.community_1
    html = page.content.decode()
    assert 'class="mine"' in html and "我的名次：第 <b>1</b> 名" in html
    assert 'id="publish-form"' not in html
    assert client.get(URL, {"org": world.community_2.pk}).status_code == 404
    assert client.get(URL, {"org": world.community_1.pk}).status_code == 200


def test_a_volunteer_below_the_top_still_sees_their_own_place(world, login, vol, monkeypatch):
    other = make_user("vol2", "志愿者老王", ("volunteer", world.grid_a))
    _points(other, world.grid_a, 2)
    _points(vol, world.grid_a, 1)
    monkeypatch.setattr(honours, "LIMIT", 1)
    page = login("volunteer", world).get(URL, {"kind": "volunteer"})
    assert [e.name for e in page.context["entries"]] == ["志愿者老王"]
    assert page.context["mine_below"] and page.context["mine"].rank == 2
    assert page.content.decode().count('class="mine"') == 1


def test_the_monthly_ranking_updates_when_a_member_earns_points(world, login, vol):
    client = login("volunteer", world)
    assert client.get(URL, {"kind": "volunteer"}).context["mine"] is None
    _points(vol, world.grid_a, 1)
    assert client.get(URL, {"kind": "volunteer"}).context["mine"].points == 10
    _points(vol, world.grid_b, 2, tag="more")
    page = client.get(URL, {"kind": "volunteer", "start": _month()})
    assert page.context["mine"].points == 30 and "30" in page.content.decode()


def test_someone_without_a_community_sees_an_explanation(world, login):
    page = login("outsider", world).get(URL)
    assert page.status_code == 200 and "还没有关联到社区" in page.content.decode()


def test_pages_need_a_login_but_the_public_ones_do_not(world):
    assert Client().get(URL).status_code == 302
    assert Client().post("/service/honours/publish/", _publish_data(world)).status_code == 302
    assert not HonourList.objects.exists()


@pytest.mark.parametrize(
    "query, message",
    [
        ({"kind": "best"}, "榜单只能是先锋榜样"),
        ({"period": "week"}, "周期只能是月度"),
        ({"start": "2025-13"}, "月份应在1到12之间"),
        ({"start": "abc"}, "时间格式不正确"),
        ({"period": "year", "start": "2025-01"}, "时间格式不正确，应形如2025"),
        ({"start": "2999-01"}, "不能查看尚未开始的周期"),
        ({"org": "abc"}, "组织编号不正确"),
        ({"start": "2025-03\x00"}, "时间格式不正确"),
    ],
)
def test_bad_query_values_are_400_in_chinese(world, login, query, message):
    page = login("community_officer", world).get(URL, query)
    assert page.status_code == 400 and message in page.content.decode()


def test_staff_publish_and_anyone_reads_the_public_page(world, login, vol):
    _points(vol, world.grid_a, 1)
    _points(world.personas["party_member"], world.grid_a, 2)
    officer = login("community_officer", world)
    done = officer.post("/service/honours/publish/", _publish_data(world, kind="pioneer"))
    honour_list = HonourList.objects.get()
    assert done.status_code == 302 and done.url == f"/honours/{honour_list.pk}/"
    assert honour_list.entries[0]["name"] == "党员李建国"
    _points(world.personas["party_member"], world.grid_a, 1, tag="later")
    public = Client().get(f"/honours/{honour_list.pk}/")
    html = public.content.decode()
    assert public.status_code == 200 and "党员李建国" in html and "先锋榜样" in html
    assert ">20<" in html and ">30<" not in html  # frozen at publishing
    assert "13800000017" not in html and "110108196001010016" not in html
    index = Client().get("/honours/").content.decode()
    assert f"/honours/{honour_list.pk}/" in index and "清华东路社区" in index
    assert Client().get("/honours/999999/").status_code == 404
    live = officer.get(URL, {"kind": "pioneer"})
    assert live.context["published"] == honour_list


def test_publishing_is_refused_outside_scope_and_to_non_staff(world, login, vol):
    _points(vol, world.grid_c, 1)
    assert (
        login("community_officer", world)
        .post("/service/honours/publish/", _publish_data(world, world.community_2))
        .status_code
        == 404
    )
    denied = login("party_member", world).post("/service/honours/publish/", _publish_data(world))
    assert denied.status_code == 403
    bad = login("street_officer", world).post(
        "/service/honours/publish/", _publish_data(world, start="2999-01")
    )
    assert bad.status_code == 400 and "不能查看尚未开始的周期" in bad.content.decode()
    assert not HonourList.objects.exists()


def test_republishing_needs_the_replace_box(world, login, vol):
    _points(vol, world.grid_a, 1)
    officer = login("community_officer", world)
    officer.post("/service/honours/publish/", _publish_data(world))
    first = HonourList.objects.get()
    _points(vol, world.grid_a, 1, tag="more")
    again = officer.post("/service/honours/publish/", _publish_data(world), follow=True)
    assert "该期榜单已发布" in again.content.decode()
    assert list(HonourList.objects.values_list("pk", flat=True)) == [first.pk]
    officer.post("/service/honours/publish/", _publish_data(world, replace="1"))
    now = HonourList.objects.get()
    assert now.pk != first.pk and now.entries[0]["points"] == 20
    assert now.period_start == _this_month()
