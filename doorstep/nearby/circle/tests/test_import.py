"""Importing road networks from OSM files, storing them, and the real xueyuanlu network."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import osmium
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from doorstep.nearby.circle import engine
from doorstep.nearby.circle.errors import BadOsmFile, CircleError, NoRoads
from doorstep.nearby.circle.models import RoadNetwork, RoadNetworkData
from doorstep.nearby.circle.osm import read_roads
from doorstep.nearby.circle.store import from_npz, import_roads, load_network, to_npz

from .test_engine import check_against_networkx, nx_walk

XUEYUANLU = settings.SHARED_DIR / "data/osm/beijing-xueyuanlu.osm"


def osm_xml(tmp_path: Path, body: str, name: str = "t.osm") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n{body}\n</osm>\n',
        encoding="utf-8",
    )
    return path


NODES = "\n".join(
    f'<node id="{i}" version="1" lat="{39.99 + i * 0.001:.6f}" lon="116.33"/>' for i in range(1, 9)
)


@pytest.fixture(scope="module")
def real() -> engine.Network:
    return read_roads(XUEYUANLU).network


def test_reads_the_real_network(real: engine.Network) -> None:
    imported = read_roads(XUEYUANLU)
    assert imported.network.node_count > 500 and imported.network.edge_count > 500
    assert imported.ways > 100
    # the extract has pieces cut off by its boundary: reported, not fatal
    assert imported.dropped_nodes > 0
    # one connected component is kept
    from scipy.sparse.csgraph import connected_components

    assert connected_components(imported.network.graph, directed=False)[0] == 1
    # lengths are haversine metres, positive, and plausible for city blocks
    _u, _v, w = imported.network.edges()
    assert (w > 0).all() and w.max() < 2000


def test_motorways_are_not_walkable(tmp_path: Path) -> None:
    path = osm_xml(
        tmp_path,
        NODES
        + '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>'
        + '<way id="2" version="1"><nd ref="3"/><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>',
    )
    net = read_roads(path).network
    assert sorted(net.osm_ids.tolist()) == [3, 4, 5]
    assert net.edge_count == 2


def test_disconnected_network_keeps_the_largest_part(tmp_path: Path) -> None:
    path = osm_xml(
        tmp_path,
        NODES
        + '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>'
        + '<way id="2" version="1"><nd ref="6"/><nd ref="7"/><tag k="highway" v="path"/></way>',
    )
    imported = read_roads(path)
    assert imported.network.osm_ids.tolist() == [1, 2, 3]
    assert imported.dropped_nodes == 2


@pytest.mark.django_db
def test_import_command_stores_the_network(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_roads", str(XUEYUANLU), "--name", "学院路", stdout=out)
    rn = RoadNetwork.objects.get()
    assert rn.name == "学院路" and rn.source_name == "beijing-xueyuanlu.osm"
    assert rn.node_count > 0 and rn.edge_count > 0 and rn.dropped_nodes > 0
    assert rn.walking_speed_kmh == 4.5 and rn.minutes == 15
    assert len(rn.bbox) == 4 and rn.bbox[0] < rn.bbox[2]
    assert "已导入路网" in out.getvalue() and "舍弃" in out.getvalue()
    net = load_network(RoadNetwork.objects.get(pk=rn.pk))  # read back from the database
    fresh = read_roads(XUEYUANLU).network
    for name in ("lat", "lon", "indptr", "indices", "weights", "osm_ids"):
        assert np.array_equal(getattr(net, name), getattr(fresh, name)), name
    assert (net.node_count, net.edge_count) == (rn.node_count, rn.edge_count)


def test_npz_round_trip(real: engine.Network) -> None:
    back = from_npz(to_npz(real))
    assert np.array_equal(back.weights, real.weights) and np.array_equal(back.indptr, real.indptr)


@pytest.mark.django_db
def test_file_without_roads_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    path = osm_xml(
        tmp_path,
        NODES
        + '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>'
        + '<tag k="building" v="yes"/></way>',
        name="buildings-only.osm",
    )
    with pytest.raises(NoRoads) as caught:
        import_roads(path)
    assert isinstance(caught.value, CircleError)
    assert "没有可步行的道路" in caught.value.message
    with pytest.raises(CommandError, match="没有可步行的道路"):
        call_command("import_roads", str(path), stdout=StringIO())
    assert not RoadNetwork.objects.exists() and not RoadNetworkData.objects.exists()


@pytest.mark.django_db
def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.osm"
    path.write_bytes(b"this is not xml <<<")
    with pytest.raises(BadOsmFile) as caught:
        import_roads(path)
    assert "无法读取" in caught.value.message
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_roads", str(tmp_path / "missing.osm"), stdout=StringIO())
    assert not RoadNetwork.objects.exists()


@pytest.fixture(scope="module")
def real_buildings() -> tuple[list[float], list[float]]:
    """Centres (mean of the outline's nodes) of the extract's building ways."""
    lat: list[float] = []
    lon: list[float] = []
    processor = (
        osmium.FileProcessor(str(XUEYUANLU))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("building"))
    )
    for way in processor:
        if isinstance(way, osmium.osm.Way):
            locs = [n.location for n in way.nodes if n.location.valid()]
            if locs:
                lat.append(sum(loc.lat for loc in locs) / len(locs))
                lon.append(sum(loc.lon for loc in locs) / len(locs))
    assert len(lat) > 100
    return lat, lon


def test_real_buildings_match_networkx(real: engine.Network, real_buildings: tuple) -> None:
    b_lat, b_lon = real_buildings
    # sites: five buildings spread over the extract
    step = len(b_lat) // 5
    site_lat, site_lon = b_lat[::step][:5], b_lon[::step][:5]
    for minutes in (15.0, 10_000.0):
        check_against_networkx((real, site_lat, site_lon, b_lat, b_lon), minutes=minutes)
    times = engine.walking_times(real, site_lat, site_lon, b_lat, b_lon, minutes=10_000)
    expected = nx_walk(real, times)
    reachable = [i for i, (best, _) in enumerate(expected) if np.isfinite(best)]
    assert len(reachable) > 0.9 * len(b_lat)


def test_real_snapping_is_deterministic(real: engine.Network, real_buildings: tuple) -> None:
    b_lat, b_lon = real_buildings
    first = real.snap(b_lat, b_lon)
    again = read_roads(XUEYUANLU).network.snap(b_lat, b_lon)  # a fresh tree
    assert first[0].tolist() == again[0].tolist()
    assert first[1].tolist() == again[1].tolist()


def test_pbf_reads_the_same_network(tmp_path: Path, real: engine.Network) -> None:
    pbf = tmp_path / "xueyuanlu.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(XUEYUANLU)):
        writer.add(obj)
    writer.close()
    net = read_roads(pbf).network
    assert np.array_equal(net.osm_ids, real.osm_ids)
    assert np.array_equal(net.weights, real.weights)


def _way(refs: list[int], way_id: int = 1) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    return f'<way id="{way_id}" version="1">{nds}<tag k="highway" v="footway"/></way>'


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["391.99", "abc"])
def test_an_invalid_coordinate_is_refused_clearly(tmp_path: Path, value: str) -> None:
    """Trust probe, finding 8: an invalid coordinate crashed import_roads with a traceback."""
    body = NODES.replace('lat="39.992000"', f'lat="{value}"') + _way([1, 2, 3])
    path = osm_xml(tmp_path, body, name="bad.osm")
    with pytest.raises(CommandError, match=f"无效的坐标 {value}"):
        call_command("import_roads", str(path), stdout=StringIO())
    assert not RoadNetwork.objects.exists()


@pytest.mark.django_db
def test_ways_missing_their_nodes_are_refused_unless_forced(tmp_path: Path) -> None:
    """Trust probe, finding 8: a file whose ways referred to missing nodes was imported as
    a 4-node network."""
    path = osm_xml(tmp_path, NODES + _way([1, 2, 50, 51, 52, 53, 3, 4]), name="cut.osm")
    with pytest.raises(CommandError, match="4 个文件中没有的节点"):
        call_command("import_roads", str(path), stdout=StringIO())
    assert not RoadNetwork.objects.exists()
    out = StringIO()
    call_command("import_roads", str(path), "--force", stdout=out)
    assert RoadNetwork.objects.count() == 1 and "4 处道路引用的节点不在文件中" in out.getvalue()


@pytest.mark.django_db
def test_a_much_smaller_network_does_not_replace_the_one_in_use(tmp_path: Path) -> None:
    whole = osm_xml(tmp_path, NODES + _way(list(range(1, 9))), name="whole.osm")
    call_command("import_roads", str(whole), stdout=StringIO())
    small = osm_xml(tmp_path, NODES + _way([1, 2, 3]), name="small.osm")
    with pytest.raises(
        CommandError, match="新路网只有 3 个节点，不到当前路网“whole”（8 个节点）的一半"
    ):
        call_command("import_roads", str(small), stdout=StringIO())
    assert list(RoadNetwork.objects.values_list("name", flat=True)) == ["whole"]
    call_command("import_roads", str(small), "--force", stdout=StringIO())
    newest = RoadNetwork.objects.order_by("-created_at", "-id").first()
    assert newest.name == "small" and newest.node_count == 3
