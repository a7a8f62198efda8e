"""The engine against networkx, snapping, and greedy coverage (no database)."""

from __future__ import annotations

import math
from unittest.mock import patch

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorstep.nearby.circle import engine

LAT0, LON0 = 39.99, 116.33


def nx_walk(net: engine.Network, times: engine.Times) -> list[tuple[float, set[int]]]:
    """Per building: networkx's best total metres and the set of sites achieving it."""
    g = nx.DiGraph()
    g.add_nodes_from(range(net.node_count))
    u, v, w = net.edges()
    for a, b, length in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        g.add_edge(a, b, weight=length)
        g.add_edge(b, a, weight=length)
    sources = []
    for i, (node, snap) in enumerate(zip(times.site_node, times.site_snap_m, strict=True)):
        if times.site_far[i]:
            continue
        g.add_edge(("site", i), int(node), weight=float(snap))
        sources.append(("site", i))
    out: list[tuple[float, set[int]]] = []
    if not sources:
        return [(math.inf, set()) for _ in times.node]
    dist, _paths = nx.multi_source_dijkstra(g, set(sources))
    per_site = {
        s[1]: nx.single_source_dijkstra_path_length(g, s) for s in sources
    }  # to check which sites tie for nearest
    for node, snap, far in zip(times.node, times.snap_m, times.far, strict=True):
        if far or int(node) not in dist:
            out.append((math.inf, set()))
            continue
        best = float(snap) + dist[int(node)]
        tied = {
            i
            for i, d in per_site.items()
            if int(node) in d
            and math.isclose(float(snap) + d[int(node)], best, rel_tol=1e-9, abs_tol=1e-6)
        }
        out.append((best, tied))
    return out


@st.composite
def graphs(
    draw: st.DrawFn, connected: bool
) -> tuple[engine.Network, list[float], list[float], list[float], list[float]]:
    n = draw(st.integers(2, 25))
    coord = st.floats(0.0, 0.01, allow_nan=False)
    lat = [LAT0 + draw(coord) for _ in range(n)]
    lon = [LON0 + draw(coord) for _ in range(n)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    if connected:
        order = draw(st.permutations(range(n)))
        pairs = [(order[i], order[i + 1]) for i in range(n - 1)] + pairs
    weights = [draw(st.floats(1.0, 800.0)) for _ in pairs]
    u = [p[0] for p in pairs]
    v = [p[1] for p in pairs]
    net = engine.Network.from_edges(lat, lon, u, v, weights if pairs else None)
    k = draw(st.integers(1, 4))
    site_lat = [LAT0 + draw(coord) for _ in range(k)]
    site_lon = [LON0 + draw(coord) for _ in range(k)]
    m = draw(st.integers(1, 12))
    b_lat = [LAT0 + draw(coord) for _ in range(m)]
    b_lon = [LON0 + draw(coord) for _ in range(m)]
    return net, site_lat, site_lon, b_lat, b_lon


def check_against_networkx(data: tuple, minutes: float) -> None:
    net, site_lat, site_lon, b_lat, b_lon = data
    speed = 4.5
    times = engine.walking_times(
        net, site_lat, site_lon, b_lat, b_lon, minutes=minutes, speed_kmh=speed
    )
    budget = engine.budget_m(minutes, speed)
    expected = nx_walk(net, times)
    for i, (best, tied) in enumerate(expected):
        got = float(times.metres[i])
        if best > budget + 1e-6:
            # beyond the search: reported as unreachable, never as covered
            assert not times.covered[i]
            assert math.isinf(got) or got == pytest.approx(best, rel=1e-9, abs=1e-6)
            continue
        assert got == pytest.approx(best, rel=1e-9, abs=1e-6), (i, got, best)
        assert int(times.site[i]) in tied
        assert bool(times.covered[i]) == (got <= budget)


@settings(max_examples=80, deadline=None)
@given(graphs(connected=True))
def test_connected_graphs_match_networkx_with_unbounded_budget(data: tuple) -> None:
    check_against_networkx(data, minutes=10_000)


@settings(max_examples=80, deadline=None)
@given(graphs(connected=False), st.sampled_from([1.0, 5.0, 15.0, 10_000.0]))
def test_disconnected_graphs_and_budgets_match_networkx(data: tuple, minutes: float) -> None:
    check_against_networkx(data, minutes=minutes)


@settings(max_examples=60, deadline=None)
@given(graphs(connected=False))
def test_snap_is_the_nearest_node_lowest_index_first(data: tuple) -> None:
    net, _sl, _so, b_lat, b_lon = data
    node, dist = net.snap(b_lat, b_lon)
    node2, dist2 = net.snap(b_lat, b_lon)
    assert node.tolist() == node2.tolist() and dist.tolist() == dist2.tolist()
    nodes_xy = net.project(net.lat, net.lon)
    for i, xy in enumerate(net.project(b_lat, b_lon)):
        d = np.hypot(*(nodes_xy - xy).T)
        assert dist[i] == pytest.approx(d[node[i]], abs=1e-6)
        assert d[node[i]] <= d.min() + engine.SNAP_TIE_M + 1e-9
        assert not (d < d[node[i]] - engine.SNAP_TIE_M).any()
        tied = np.flatnonzero(d <= d.min() + engine.SNAP_TIE_M)
        assert node[i] == tied.min()


@settings(max_examples=40, deadline=None)
@given(graphs(connected=False))
def test_snap_answers_the_same_sorted_or_not_and_threaded_or_not(data: tuple) -> None:
    """Big networks query the points in spatial order and on every core, small ones as
    given on one thread: the nodes and distances are the same either way."""
    net, _sl, _so, b_lat, b_lon = data
    small = net.snap(b_lat, b_lon)
    with (
        patch.object(engine, "SORTED_QUERY_NODES", 0),
        patch.object(engine, "THREADED_QUERY_POINTS", 0),
    ):
        big = net.snap(b_lat, b_lon)
    assert small[0].tolist() == big[0].tolist() and small[1].tolist() == big[1].tolist()


def test_snap_ties_go_to_the_lowest_index() -> None:
    # Four nodes at the corners of a square (given in a shuffled order), the point at its
    # centre: all four equidistant.
    d = 0.001
    lat = [LAT0 + d, LAT0 - d, LAT0 + d, LAT0 - d, LAT0 + 5 * d]
    lon = [LON0 + d, LON0 + d, LON0 - d, LON0 - d, LON0]
    net = engine.Network.from_edges(lat, lon, [0, 1, 2, 3], [1, 2, 3, 4])
    # Centre of the square in projected metres is the network centre's projection of
    # (LAT0, LON0) only if symmetric; build the point from the projection itself.
    lat0, lon0 = net.centre
    sq = net.project(lat[:4], lon[:4])
    centre = sq.mean(axis=0)
    k = np.pi / 180 * engine.EARTH_RADIUS_M
    plat = lat0 + centre[1] / k
    plon = lon0 + centre[0] / (k * math.cos(math.radians(lat0)))
    dists = np.hypot(*(sq - net.project([plat], [plon])[0]).T)
    assert np.ptp(dists) < 1e-6
    for _ in range(3):
        node, _ = net.snap([plat, plat], [plon, plon])
        lowest_tied = 0  # all four corners tie
        assert node.tolist() == [lowest_tied, lowest_tied]


def test_exact_ties_on_a_lattice_are_deterministic_and_lowest() -> None:
    # Nodes at identical coordinates: a perfect tie, whatever the tree does.
    lat = [LAT0, LAT0, LAT0, LAT0 + 0.01]
    lon = [LON0, LON0, LON0, LON0]
    net = engine.Network.from_edges(lat, lon, [2, 1, 0], [3, 3, 3])
    node, dist = net.snap([LAT0 + 0.001] * 3, [LON0] * 3)
    assert node.tolist() == [0, 0, 0]
    assert dist[0] == pytest.approx(111.2, abs=0.5)


def test_building_far_from_any_road_is_unreachable() -> None:
    net = engine.Network.from_edges([LAT0, LAT0 + 0.001], [LON0, LON0], [0], [1])
    # one building on the road, one ~2 km north of it
    times = engine.walking_times(net, [LAT0], [LON0], [LAT0 + 0.0005, LAT0 + 0.02], [LON0, LON0])
    assert times.covered.tolist() == [True, False]
    assert times.far.tolist() == [False, True]
    assert times.snap_m[1] > 1900
    assert math.isinf(times.metres[1]) and times.site[1] == -1


def test_no_sites_covers_nothing() -> None:
    net = engine.Network.from_edges([LAT0, LAT0 + 0.001], [LON0, LON0], [0], [1])
    times = engine.walking_times(net, [], [], [LAT0], [LON0])
    assert times.covered.tolist() == [False] and times.site.tolist() == [-1]


def test_largest_component_drops_the_rest() -> None:
    lat = [LAT0, LAT0 + 0.001, LAT0 + 0.002, LAT0 + 0.01, LAT0 + 0.011]
    net = engine.Network.from_edges(
        lat, [LON0] * 5, [0, 1, 3], [1, 2, 4], osm_ids=[10, 11, 12, 13, 14]
    )
    big, dropped = net.largest_component()
    assert (big.node_count, big.edge_count, dropped) == (3, 2, 2)
    assert big.osm_ids.tolist() == [10, 11, 12]


def test_parallel_edges_keep_the_shortest() -> None:
    net = engine.Network.from_edges(
        [LAT0, LAT0], [LON0, LON0 + 0.001], [0, 1, 0, 0], [1, 0, 1, 0], [50.0, 30.0, 70.0, 5.0]
    )
    u, v, w = net.edges()
    assert (u.tolist(), v.tolist(), w.tolist()) == ([0], [1], [30.0])


# -- greedy maximum coverage ----------------------------------------------------------


def test_greedy_known_optimum_k1_and_k2() -> None:
    # Buildings 0..5 with households; candidate 0 covers the heaviest single set, and the
    # best pair is {0, 2} (candidate 1 overlaps candidate 0 heavily).
    weights = [10, 10, 10, 1, 8, 8]
    covers = [
        np.array([0, 1, 2]),  # 30
        np.array([1, 2, 3]),  # 21, only 1 new after candidate 0
        np.array([4, 5]),  # 16
        np.array([3]),  # 1
    ]
    one = engine.greedy_max_coverage(covers, weights, 1)
    assert [(p.candidate, p.gain) for p in one] == [(0, 30.0)]
    two = engine.greedy_max_coverage(covers, weights, 2)
    assert [(p.candidate, p.gain) for p in two] == [(0, 30.0), (2, 16.0)]
    three = engine.greedy_max_coverage(covers, weights, 5)
    gains = [p.gain for p in three]
    assert gains == sorted(gains, reverse=True) and gains == [30.0, 16.0, 1.0]
    assert set(three[-1].buildings) == {3}


def test_greedy_skips_already_covered() -> None:
    covers = [np.array([0, 1]), np.array([2])]
    picks = engine.greedy_max_coverage(covers, [5, 5, 3], 2, already=np.array([True, True, False]))
    assert [(p.candidate, p.gain) for p in picks] == [(1, 3.0)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 14), max_size=8), min_size=1, max_size=8),
    st.lists(st.integers(0, 20), min_size=15, max_size=15),
    st.integers(1, 8),
)
def test_greedy_gains_non_increasing_and_match_plain_greedy(
    covers_l: list, weights: list, k: int
) -> None:
    covers = [np.unique(np.array(c, dtype=np.int64)) for c in covers_l]
    picks = engine.greedy_max_coverage(covers, weights, k)
    gains = [p.gain for p in picks]
    assert gains == sorted(gains, reverse=True)
    # plain (non-lazy) greedy with lowest index on ties gives the same picks
    covered: set[int] = set()
    plain = []
    for _ in range(k):
        best = max(
            range(len(covers)),
            key=lambda i: (sum(weights[b] for b in set(covers[i].tolist()) - covered), -i),
        )
        gain = sum(weights[b] for b in set(covers[best].tolist()) - covered)
        if gain <= 0:
            break
        covered |= set(covers[best].tolist())
        plain.append((best, float(gain)))
    assert [(p.candidate, p.gain) for p in picks] == plain


def test_candidate_coverage_on_a_line() -> None:
    # A straight road of 11 nodes 100 m apart; budget 250 m.
    k = 180 / math.pi / engine.EARTH_RADIUS_M
    lat = [LAT0 + i * 100 * k for i in range(11)]
    net = engine.Network.from_edges(lat, [LON0] * 11, list(range(10)), list(range(1, 11)))
    b_node, b_snap = net.snap(lat, [LON0] * 11)
    covers = engine.candidate_coverage(
        net, [lat[0], lat[5]], [LON0, LON0], b_node, b_snap, b_snap > 500, 250.0
    )
    assert covers[0].tolist() == [0, 1, 2]
    assert covers[1].tolist() == [3, 4, 5, 6, 7]
