"""Site list and map, a site's page, and the "nearest station" page (with and without a
road network); every site query is scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.core.testing import make_user
from doorstep.nearby.circle.engine import Network
from doorstep.nearby.circle.osm import RoadImport
from doorstep.nearby.circle.store import save_network
from doorstep.nearby.sites.models import ServiceSite, SiteKind, SpecialDay
from doorstep.nearby.sites.services import create_site
from doorstep.nearby.sites.tests.helpers import build_site_world, weekly

pytestmark = pytest.mark.django_db

HOME = (40.0, 116.35)


@pytest.fixture
def sw(world):
    sw = build_site_world(world)
    type(world.building_a).objects.filter(pk=world.building_a.pk).update(lat=HOME[0], lon=HOME[1])
    # the station ~85 m east of home; the rider station 555 m north (straight line)
    ServiceSite.objects.filter(pk=sw.site.pk).update(lat=40.0, lon=116.351)
    ServiceSite.objects.filter(pk=sw.other_site.pk).update(lat=40.005, lon=116.35)
    return sw


def test_list_map_and_filters(sw, client):
    client.force_login(sw.p["resident"])
    r = client.get(reverse("nearby:sites"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "清华东路社区党群服务站" in body and "二里庄小蜜蜂驿站" in body
    assert "vendor/leaflet/leaflet.js" in body and "© OpenStreetMap contributors" in body
    # sorted by distance from home: the station (85 m) comes before the rider station
    assert body.index("清华东路社区党群服务站") < body.index("二里庄小蜜蜂驿站</strong>")
    body = client.get(reverse("nearby:sites"), {"kind": "rider_station"}).content.decode()
    assert "二里庄小蜜蜂驿站" in body and "清华东路社区党群服务站</strong>" not in body
    body = client.get(reverse("nearby:sites"), {"service": "water"}).content.decode()
    assert "清华东路社区党群服务站</strong>" in body and "二里庄小蜜蜂驿站</strong>" not in body
    # open now: the site with closed special day today disappears
    from django.utils import timezone

    SpecialDay.objects.create(site=sw.site, date=timezone.localdate(), closed=True)
    body = client.get(reverse("nearby:sites"), {"open": "1"}).content.decode()
    assert "清华东路社区党群服务站</strong>" not in body
    for bad in ({"kind": "\x00"}, {"service": "9" * 400}, {"open": "\x00"}):
        assert client.get(reverse("nearby:sites"), bad).status_code == 200


def test_site_page_shows_week_contact_masked_and_rooms(sw, client):
    from django.utils import timezone

    SpecialDay.objects.create(site=sw.site, date=timezone.localdate(), closed=True, note="设备检修")
    client.force_login(sw.p["resident"])
    r = client.get(reverse("nearby:site", args=[sw.site.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "13811112222" not in body and "2222" in body  # masked phone
    assert "设备检修" in body and "饮水" in body and "多功能厅" in body
    assert "未开放" in body  # closed today by the special day


def test_sites_outside_scope_are_404(sw, client):
    other_street = create_organisation(name="别的街道", kind=Kind.STREET, parent=None)
    far = create_site(
        actor=None,
        name="别处的站",
        kind=SiteKind.STATION,
        organisation=other_street,
        territory=other_street,
        lat=40.0,
        lon=116.3501,
    )
    weekly(site=far)
    client.force_login(sw.p["resident"])
    assert client.get(reverse("nearby:site", args=[far.pk])).status_code == 404
    assert "别处的站" not in client.get(reverse("nearby:sites")).content.decode()
    assert "别处的站" not in client.get(reverse("nearby:nearest")).content.decode()
    assert client.post(reverse("nearby:site_book", args=[far.pk])).status_code == 404
    assert client.get(reverse("nearby:site", args=[10**12])).status_code == 404
    client.logout()
    for name in ("nearby:sites", "nearby:nearest"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_nearest_without_a_network_uses_straight_lines(sw, client):
    client.force_login(sw.p["resident"])
    r = client.get(reverse("nearby:nearest"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "尚未导入路网" in body
    assert "清华东路社区党群服务站" in body and "二里庄小蜜蜂驿站" in body  # 555 m straight
    body = client.get(reverse("nearby:nearest"), {"kind": "rider_station"}).content.decode()
    assert "二里庄小蜜蜂驿站" in body and "清华东路社区党群服务站</strong>" not in body
    assert client.get(reverse("nearby:nearest"), {"kind": "\x00" * 3}).status_code == 200


def test_nearest_with_a_network_walks_the_roads(sw, client):
    # home → east 85 m → station; the rider station is 555 m north as the crow flies but
    # the road goes round: east 850 m, north 555 m, west 850 m (beyond 15 minutes).
    lat = [40.0, 40.0, 40.0, 40.005, 40.005]
    lon = [116.35, 116.351, 116.36, 116.36, 116.35]
    net = Network.from_edges(lat, lon, [0, 1, 2, 3], [1, 2, 3, 4])
    rn = save_network(RoadImport(net, 0, 4), name="测试路网")
    client.force_login(sw.p["resident"])
    body = client.get(reverse("nearby:nearest")).content.decode()
    assert "测试路网" in body and "尚未导入路网" not in body
    assert "清华东路社区党群服务站" in body and "二里庄小蜜蜂驿站" not in body
    assert "步行约1分钟（85米）" in body
    assert rn.walking_speed_kmh == 4.5


def test_nearest_without_a_home(sw, client):
    someone = make_user("nohome", "无住址", ("resident", sw.world.community_1))
    client.force_login(someone)
    r = client.get(reverse("nearby:nearest"))
    assert r.status_code == 200 and "还没有关联住址" in r.content.decode()


def test_staff_see_sites_of_their_subtree(sw, client):
    client.force_login(sw.p["community_officer"])
    body = client.get(reverse("nearby:sites")).content.decode()
    assert "清华东路社区党群服务站" in body


def test_nearest_on_the_real_xueyuanlu_network_matches_the_engine(sw, client):
    from django.conf import settings
    from scipy.sparse.csgraph import dijkstra

    from doorstep.nearby.circle import engine
    from doorstep.nearby.circle.store import import_roads, load_network

    rn, _ = import_roads(settings.SHARED_DIR / "data/osm/beijing-xueyuanlu.osm", name="学院路")
    net = load_network(rn)
    dist = dijkstra(net.graph, indices=0)
    near, far = int(abs(dist - 600).argmin()), int(abs(dist - 1500).argmin())
    home = (float(net.lat[0]) + 0.0001, float(net.lon[0]))  # ~11 m off the road
    type(sw.world.building_a).objects.filter(pk=sw.world.building_a.pk).update(
        lat=home[0], lon=home[1]
    )
    ServiceSite.objects.filter(pk=sw.site.pk).update(lat=net.lat[near], lon=net.lon[near])
    ServiceSite.objects.filter(pk=sw.other_site.pk).update(lat=net.lat[far], lon=net.lon[far])
    times = engine.walking_times(net, [net.lat[near]], [net.lon[near]], [home[0]], [home[1]])
    metres = float(times.metres[0])
    assert metres < engine.budget_m(15, 4.5)
    client.force_login(sw.p["resident"])
    body = client.get(reverse("nearby:nearest")).content.decode()
    assert "学院路" in body and "尚未导入路网" not in body
    assert f"（{round(metres)}米）" in body and "清华东路社区党群服务站" in body
    assert "二里庄小蜜蜂驿站" not in body  # 1.5 km of road: 20 minutes


def test_nearest_open_now_filter(sw, client):
    from django.utils import timezone

    SpecialDay.objects.create(site=sw.site, date=timezone.localdate(), closed=True)
    client.force_login(sw.p["resident"])
    body = client.get(reverse("nearby:nearest"), {"open": "1"}).content.decode()
    assert "清华东路社区党群服务站</strong>" not in body
    body = client.get(reverse("nearby:nearest")).content.decode()
    assert "清华东路社区党群服务站</strong>" in body and "未开放" in body
