"""The offline basemap: read from the real OpenStreetMap extract, names in Chinese only,
served by the project for a box, and refused with a Chinese message for a bad one."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from doorstep.atlas.places import basemap
from doorstep.atlas.places.models import FeatureKind, MapFeature

OSM = settings.SHARED_DIR / "data/osm/beijing-xueyuanlu.osm"
BOX = "39.99767,116.34403,40.00888,116.35974"  # the extract's bounds


@pytest.fixture(scope="module")
def shapes():
    return basemap.read_shapes(OSM)


def test_the_extract_gives_roads_buildings_water_and_green(shapes):
    kinds = Counter(s.kind for s in shapes)
    assert kinds[FeatureKind.ROAD] > 100 and kinds[FeatureKind.BUILDING] > 100
    assert kinds[FeatureKind.WATER] >= 1 and kinds[FeatureKind.GREEN] >= 1
    names = {s.name for s in shapes}
    assert {"学院路", "清华东路", "小月河"} <= names
    # English-only names are left out, never shown
    assert "Teaching Building 3" not in names
    assert all(not n or basemap.CJK.search(n) for n in names)
    assert all(
        s.closed == (s.kind not in (FeatureKind.ROAD, FeatureKind.RAIL))
        for s in shapes
        if s.kind != FeatureKind.WATER
    )


def test_chinese_names_prefer_zh_and_are_simplified():
    assert basemap.chinese_name({"name": "Tsinghua East Road", "name:zh": "清華東路"}) == "清华东路"
    assert basemap.chinese_name({"name": "学院路", "name:en": "Xueyuan Road"}) == "学院路"
    assert basemap.chinese_name({"name": "Teaching Building 3"}) == ""


@pytest.mark.django_db
def test_import_replaces_the_same_source_and_a_bad_file_is_refused(tmp_path):
    first = basemap.import_osm(OSM)
    assert first == MapFeature.objects.filter(source="osm:beijing-xueyuanlu.osm").count() > 500
    assert basemap.import_osm(OSM) == first  # again: replaced, not doubled
    assert MapFeature.objects.count() == first
    bad = tmp_path / "broken.osm"
    bad.write_text("<osm><node id='1' lat='391.99' lon='1'/></osm>")
    with pytest.raises(CommandError, match="无法读取OSM文件“broken.osm”"):
        call_command("import_basemap", str(bad))
    assert MapFeature.objects.count() == first


@pytest.mark.django_db
def test_the_basemap_is_served_for_a_box(client, world):
    basemap.import_osm(OSM)
    url = "/map/basemap.json"
    assert client.get(url, {"bbox": BOX}).status_code == 302  # signed in only
    client.force_login(world.personas["resident"])
    got = client.get(url, {"bbox": BOX})
    assert got.status_code == 200
    body = got.json()
    assert body["attribution"] == "© OpenStreetMap contributors"
    assert len(body["features"]) == MapFeature.objects.count()
    # a box around 学院路's crossing with 清华东路 holds fewer shapes, all touching it
    south, west, north, east = 40.0, 116.350, 40.002, 116.352
    small = client.get(url, {"bbox": f"{south},{west},{north},{east}"}).json()["features"]
    assert 0 < len(small) < len(body["features"])
    for _kind, _rank, _name, _closed, points in small:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        assert max(lats) >= south and min(lats) <= north
        assert max(lons) >= west and min(lons) <= east
    # a wide box (a district) leaves buildings out
    wide = client.get(url, {"bbox": "39.9,116.2,40.1,116.5"}).json()["features"]
    assert wide and all(f[0] != "building" for f in wide)
    # unchanged data: the browser's copy is still good
    again = client.get(url, {"bbox": BOX}, headers={"If-None-Match": got["ETag"]})
    assert again.status_code == 304


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bbox", ["", "1,2,3", "北,西,南,东", "40.1,116.3,40.0,116.4", "0,0,10,10", "1,2,3,4\x00"]
)
def test_a_bad_box_gets_a_chinese_json_error(client, world, bbox):
    client.force_login(world.personas["resident"])
    got = client.get("/map/basemap.json", {"bbox": bbox})
    assert got.status_code == 400
    assert "bbox 参数应为" in got.json()["detail"]
