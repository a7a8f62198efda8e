"""The 15-minute service circle page: coverage map, shares, suggestions, bad input, scope."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from doorstep.atlas.people import households
from doorstep.atlas.places.models import Building, Household, Unit
from doorstep.nearby.circle.models import RoadNetwork
from doorstep.nearby.circle.store import import_roads, load_network
from doorstep.nearby.sites.services import create_site

OSM = settings.SHARED_DIR / "data/osm/beijing-xueyuanlu.osm"
URL = "/circle/"


@pytest.fixture
def circle_world(world):
    """The persona world placed on the real 学院路 road network, with one station."""
    network, _ = import_roads(OSM, name="学院路")
    net = load_network(network)
    far = int(((net.lat - 40.0150) ** 2 + (net.lon - 116.3520) ** 2).argmin())
    places = {
        world.building_a.pk: (40.0010, 116.3500),  # ~110 m from the station
        world.building_b.pk: (40.0020, 116.3510),  # ~230 m
        # on a road node about 1.7 km north: not covered
        world.building_c.pk: (round(float(net.lat[far]), 6), round(float(net.lon[far]), 6)),
    }
    for pk, (lat, lon) in places.items():
        Building.objects.filter(pk=pk).update(lat=lat, lon=lon)
    lonely = Building.objects.create(
        name="山后孤楼", grid=world.grid_c, address="北京市海淀区山后", lat=40.0600, lon=116.3500
    )
    unit = Unit.objects.create(building=lonely, number="1单元")
    households.save_household(household=Household(unit=unit, room="101"))
    world.lonely = lonely
    world.site = create_site(
        actor=None,
        name="清华东路社区党群服务站",
        kind="station",
        organisation=world.community_1,
        territory=world.community_1,
        lat=40.0000,
        lon=116.3500,
        services=["water"],
    )
    return world


def _data(response) -> dict:
    html = response.content.decode()
    start = html.index('id="circle-data"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_street_officer_sees_map_shares_farthest_and_suggestions(circle_world, login):
    w = circle_world
    client = login("street_officer", w)
    r = client.get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert "15分钟党群便民服务圈" in html and "© OpenStreetMap contributors" in html
    data = _data(r)
    states = {b[3]: b[2] for b in data["buildings"]}
    assert states == {"静淑苑1号楼": 0, "学知园2号楼": 0, "二里庄3号楼": 1, "山后孤楼": 2}
    assert data["sites"] == [[40.0, 116.35, "清华东路社区党群服务站"]]
    roads = data["roads"]
    assert len(roads["edges"]) > 100 and len(roads["lat"]) == len(roads["lon"])
    assert max(roads["edges"]) < len(roads["lat"])
    # 4 households: a(2) and b(1) covered → 75.0%; per community: 清华东路 100%, 二里庄 0%.
    assert 'data-share="households"><b>60.0%' in html  # 3 of 5 with the lonely one
    assert "清华东路社区" in html and "100.0%" in html and "0.0%" in html
    assert "距离最远的楼栋" in html and "远离道路" in html
    # Suggestions: the greedy pick covers 二里庄3号楼 (the lonely one is off the roads).
    assert "建议新增站点" in html
    assert len(data["suggestions"]) == 1 and data["suggestions"][0][2] == 1
    assert '<td data-label="建议位置">二里庄3号楼</td><td data-label="新增覆盖户数">1</td>' in html


def test_choices_change_the_result(circle_world, login):
    client = login("street_officer", circle_world)
    r = client.get(URL, {"kind": "station", "minutes": "1", "speed": "4.5", "k": "2"})
    assert r.status_code == 200
    states = {b[3]: b[2] for b in _data(r)["buildings"]}
    assert states["静淑苑1号楼"] == 1 and states["学知园2号楼"] == 1  # 1 minute: 75 m
    assert "1 分钟" in r.content.decode()
    r = client.get(URL, {"kind": "canteen"})
    assert r.status_code == 200 and "所选类型暂无已定位的服务阵地" in r.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"minutes": "0"}, "服务圈时间（分钟）应在 1 到 120 之间"),
        ({"minutes": "500"}, "服务圈时间（分钟）应在 1 到 120 之间"),
        ({"speed": "0"}, "步行速度（公里/小时）应在 0.5 到 15 之间"),
        ({"speed": "abc"}, "步行速度（公里/小时）须为数字"),
        ({"minutes": "15\x00"}, "含有非法字符"),
        ({"kind": "station\x00"}, "含有非法字符"),
        ({"kind": "castle"}, "未知的阵地类型"),
        ({"k": "0"}, "建议站点数应在 1 到 20 之间"),
        ({"minutes": "nan"}, "服务圈时间（分钟）应在 1 到 120 之间"),
    ],
)
def test_bad_input_is_400_with_a_chinese_message(circle_world, login, query, message):
    r = login("street_officer", circle_world).get(URL, query)
    assert r.status_code == 400
    assert message in r.content.decode()


def test_without_a_network_the_page_says_to_import_roads(world, login):
    assert not RoadNetwork.objects.exists()
    r = login("street_officer", world).get(URL)
    assert r.status_code == 409
    assert "尚未导入路网" in r.content.decode() and "import_roads" in r.content.decode()


def test_community_staff_see_only_their_subtree(circle_world, login):
    r = login("community_officer", circle_world).get(URL)
    assert r.status_code == 200
    names = {b[3] for b in _data(r)["buildings"]}
    assert names == {"静淑苑1号楼", "学知园2号楼"}
    html = r.content.decode()
    assert "二里庄3号楼" not in html and "山后孤楼" not in html and "二里庄社区" not in html
    r = login("grid_worker_a", circle_world).get(URL)
    assert {b[3] for b in _data(r)["buildings"]} == {"静淑苑1号楼"}


@pytest.mark.parametrize("persona", ["resident", "party_member", "outsider"])
def test_residents_and_outsiders_are_refused(circle_world, login, persona):
    assert login(persona, circle_world).get(URL).status_code == 403


def test_anonymous_must_log_in(client):
    r = client.get(URL)
    assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_staff_whose_buildings_have_no_coordinates_get_a_page_not_an_error(circle_world, login):
    Building.objects.filter(pk=circle_world.building_b.pk).update(lat=None, lon=None)
    r = login("grid_worker_b", circle_world).get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert _data(r)["buildings"] == [] and "另有 1 栋住宅楼没有坐标" in html


def test_a_site_far_from_any_road_is_named_as_not_counted(circle_world, login):
    create_site(
        actor=None,
        name="山后驿站",
        kind="station",
        organisation=circle_world.community_2,
        territory=circle_world.community_2,
        lat=40.0600,
        lon=116.3600,
    )
    r = login("street_officer", circle_world).get(URL)
    assert r.status_code == 200
    assert "有 1 个阵地距离道路超过 500 米，未计入覆盖" in r.content.decode()


# -- whole-area runs in the background ---------------------------------------------------


def test_staff_queue_a_whole_area_run_and_see_the_latest(
    circle_world, login, django_capture_on_commit_callbacks
):
    from doorstep.nearby.circle.models import CoverageRun

    client = login("street_officer", circle_world)
    assert "尚无全区计算结果" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as jobs:
        r = client.post(
            "/circle/recompute/", {"kind": ["station"], "minutes": "15", "speed": "4.5"}
        )
    assert r.status_code == 302 and len(jobs) == 1  # the job is handed over after commit
    run = CoverageRun.objects.get()
    assert run.status == "done" and run.requested_by == circle_world.personas["street_officer"]
    assert run.kinds == ["station"] and [s[0] for s in run.sites] == [circle_world.site.pk]
    assert run.summary["totals"]["households"] == 5
    assert run.summary["totals"]["households_covered"] == 3
    html = client.get(URL).content.decode()
    assert 'data-run-status="done"' in html and "全区户覆盖率 <b>60.0%" in html
    assert 'id="run-communities"' in html and "二里庄社区" in html


def test_community_staff_see_only_their_rows_of_the_run(
    circle_world, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login("street_officer", circle_world).post("/circle/recompute/", {"kind": ["station"]})
    html = login("community_officer", circle_world).get(URL).content.decode()
    table = html[html.index('id="run-communities"') :]
    table = table[: table.index("</table>")]
    assert "清华东路社区" in table and "二里庄社区" not in table


def test_one_run_at_a_time_and_bad_requests_write_nothing(circle_world, login):
    from doorstep.nearby.circle.models import CoverageRun, RoadNetwork
    from doorstep.nearby.circle.runs import fill_run

    network = RoadNetwork.objects.get()
    queued = CoverageRun.objects.create(
        network=network, minutes=15, walking_speed_kmh=4.5, status="queued"
    )
    client = login("street_officer", circle_world)
    r = client.post("/circle/recompute/", {"kind": ["station"]})
    assert r.status_code == 409 and "正在进行" in r.content.decode()
    assert CoverageRun.objects.count() == 1
    assert 'data-run-status="queued"' in client.get(URL).content.decode()
    fill_run(queued.pk)  # no sites given: nothing is covered, but it finishes
    queued.refresh_from_db()
    assert queued.status == "done" and queued.finished_at is not None
    # bad input: a message and a 400, no run
    r = client.post("/circle/recompute/", {"kind": ["station"], "minutes": "600"})
    assert r.status_code == 400 and "服务圈时间" in r.content.decode()
    r = client.post("/circle/recompute/", {"kind": ["canteen"]})  # no such sites located
    assert r.status_code == 400 and "暂无已定位" in r.content.decode()
    # a run with impossible parameters fails with its reason
    bad = CoverageRun.objects.create(
        network=network, minutes=500, walking_speed_kmh=4.5, status="queued", sites=[]
    )
    assert fill_run(bad.pk).status == "failed"
    bad.refresh_from_db()
    assert "服务圈时间" in bad.error
    assert CoverageRun.objects.count() == 2
    # residents and grid staff without site management may not start one
    for persona in ("resident", "grid_worker_a"):
        r = login(persona, circle_world).post("/circle/recompute/", {"kind": ["station"]})
        assert r.status_code == 403, persona
    assert CoverageRun.objects.count() == 2
