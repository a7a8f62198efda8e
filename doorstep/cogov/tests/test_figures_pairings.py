"""The cockpit's alliance, pairing and 三结三问 figures, and the units' volunteer 人次 at
their activities: each equals the list it drills to, and the briefing says them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cockpit.briefing import compose
from doorstep.cogov import figures, pairings
from doorstep.cogov.models import Need, NeedStatus
from doorstep.cogov.tests.test_alliances import community_alliance, sign
from doorstep.core.testing import make_user
from doorstep.nearby.activities import services as activities

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


def _tile(body: str, figure: str) -> tuple[str, str]:
    """(the tile's number, its link) on the cockpit page."""
    found = re.search(
        rf'<a class="tile" data-figure="{figure}" href="([^"]+)"><b>([^<]*)</b>', body
    )
    assert found, f"{figure} is not a link"
    return found.group(2), found.group(1).replace("&amp;", "&")


def _figure_line(page: str, anchor: str) -> str:
    found = re.search(rf'id="{anchor}"[^>]*>(.*?)</p>', page, re.S)
    assert found, anchor
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_alliances_pairings_and_cadres_visits_drill_to_lists_that_say_the_same(co, client):
    street = co.p["street_officer"]
    alliance = community_alliance(co)
    sign(
        co,
        alliance,
        co.hospital,
        start=TODAY - dt.timedelta(days=10),
        end=TODAY + dt.timedelta(days=300),
    )
    sign(
        co,
        alliance,
        co.theatre,
        start=TODAY - dt.timedelta(days=400),
        end=TODAY - dt.timedelta(days=5),
    )
    district = create_organisation(name="海淀区", kind=Kind.DISTRICT, parent=None)
    bureau = create_organisation(name="区民政局", kind=Kind.DEPARTMENT, parent=district)
    pairings.pair_department(
        actor=street, department=bureau, node=co.world.community_1,
        starts_on=TODAY - dt.timedelta(days=20), ends_on=TODAY + dt.timedelta(days=345),
    )  # fmt: skip
    cadre = co.p["cadre"]
    pairings.link_cadre(
        actor=street, cadre=cadre, node=co.world.community_1, level="district", post="区民政局副局长",
        starts_on=TODAY - dt.timedelta(days=60), ends_on=TODAY + dt.timedelta(days=300),
    )  # fmt: skip
    ask = {"actor": cadre, "asks": ["need"], "found": "骑手反映夜间就医难"}
    first = pairings.record_cadre_visit(
        node=co.world.grid_a, visited_on=TODAY - dt.timedelta(days=45), **ask,
        need={"title": "骑手夜间就医", "field": "new_workers", "wants": "service"},
    )  # fmt: skip
    Need.objects.filter(visit=first).update(status=NeedStatus.MET)  # pushed to closure
    pairings.record_cadre_visit(node=co.world.grid_a, visited_on=TODAY, **ask)

    got = figures.cogov(co.world.community_1, MONTH, TODAY)
    assert (got["alliances"], got["alliance_units"]) == (1, 1)  # the theatre's term ran out
    assert (got["paired_departments"], got["linked_cadres"]) == (1, 1)
    assert (got["cadre_visits"], got["cadre_deeds"]) == (1, 1)  # one this month; one deed so far
    # a grid under the community: nothing is paired there, the visits are its own
    grid = figures.cogov(co.world.grid_a, MONTH, TODAY)
    assert (grid["alliances"], grid["paired_departments"], grid["cadre_visits"]) == (0, 0, 1)

    client.force_login(street)
    body = client.get(reverse("cockpit:node", args=[co.world.community_1.pk])).content.decode()
    shown, url = _tile(body, "cogov_alliances")
    assert shown == "1"
    line = _figure_line(client.get(url).content.decode(), "alliance-figures")
    assert "党建联盟 1 个" in line and "在期成员单位 1 家" in line
    shown, url = _tile(body, "cogov_linked_cadres")
    assert shown == "1" and _tile(body, "cogov_paired_departments")[0] == "1"
    line = _figure_line(client.get(url).content.decode(), "pairing-figures")
    assert "结对部门 1 个" in line and "联系干部 1 名" in line
    shown, url = _tile(body, "cogov_cadre_visits")
    page = client.get(url).content.decode()
    assert shown == "1" and "走访 1 次" in _figure_line(page, "visit-figures")
    shown, url = _tile(body, "cogov_cadre_deeds")
    page = client.get(url).content.decode()
    assert shown == "1" and "推动民生实事的走访 1 次" in _figure_line(page, "visit-figures")
    assert "骑手夜间就医" in page

    text = " ".join(
        s
        for section in compose(co.world.community_1, TODAY, TODAY).sections
        for s in section.sentences
    )
    assert "组建党建联盟 1 个，在期成员单位 1 家" in text
    assert "区、街两级机关干部 1 名联系社区、挂钩网格" in text
    assert "累计推动解决民生实事 1 件" in text


def test_units_volunteers_count_check_ins_at_their_activities_and_drill_to_both(co, client):
    liaison = co.p["liaison_904"]
    start = timezone.now() + dt.timedelta(days=1)
    activity = activities.publish(
        actor=liaison, title="夜间义诊", kind="volunteer", organiser=co.hospital,
        territory=co.world.grid_a, address="静淑苑1号楼前", starts_at=start,
        ends_at=start + dt.timedelta(hours=3), capacity=10,
    )  # fmt: skip
    doctors = [make_user(f"doc{n}", f"医生{n}") for n in range(3)]
    for doctor in doctors:
        activities.sign_up(activity, doctor, as_volunteer=True)
    with time_machine.travel(start + dt.timedelta(minutes=10)):
        for doctor in doctors[:2]:  # the third did not come
            activities.check_in(activity, doctor, by=liaison)
    got = figures.cogov(co.world.community_1, MONTH, TODAY)
    assert (got["unit_volunteers"], got["unit_volunteers_activities"]) == (2, 2)
    assert figures.cogov(co.world.grid_c, MONTH, TODAY)["unit_volunteers"] == 0  # elsewhere

    client.force_login(co.p["community_officer"])
    body = client.get(reverse("cockpit:node", args=[co.world.community_1.pk])).content.decode()
    shown, url = _tile(body, "cogov_unit_volunteers")
    page = client.get(url).content.decode()
    assert shown == "2"
    assert "累计 2 人次" in _figure_line(page, "turnout-figures") and "夜间义诊" in page
    text = " ".join(
        s
        for section in compose(co.world.community_1, TODAY, TODAY).sections
        for s in section.sentences
    )
    assert "累计 2 人次参与志愿服务" in text
    # a resident may not open the list
    client.force_login(co.p["resident"])
    assert client.get(url).status_code == 403
