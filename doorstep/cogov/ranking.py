"""Suggestions for many open needs at once: the matching page's figures, the benchmark.

The same rules and the same `matching.score` as `matching.suggest` for one need, over
arrays, a community's needs at a time (`rank`): which resources reach a need's area, kind
or field fit (a bit mask of fields), the time window and unit, the pairs already matched,
and walking metres from bounded Dijkstra searches — only for pairs within reach as the
crow flies, from whichever side has fewer distinct road nodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core.access import prefixes
from doorstep.nearby.circle import engine

from .matching import CANDIDATES, DETOUR, UNRATED, network, ratings, score
from .models import LIVE_MATCH_STATUSES, Field, Match, Need, Resource

FIELD_BIT = {code: 1 << i for i, code in enumerate(Field.values)}
CHUNK = 64  # sources per Dijkstra call: 64 × nodes × 8 bytes of distances at a time
NO_DAY = np.int64(-(2**40))


@dataclass
class NeedRows:
    """Open needs as arrays (one row per need)."""

    ids: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    wants: npt.NDArray[np.str_]
    field_bit: npt.NDArray[np.int64]
    wanted: npt.NDArray[np.float64]  # NaN: no amount stated
    unit: npt.NDArray[np.str_]  # "" when no amount
    start: npt.NDArray[np.int64]  # ordinal day, NO_DAY when open
    end: npt.NDArray[np.int64]
    community: list[str]  # the path of the community a need lies in (or its node's)


@dataclass
class ResourceRows:
    ids: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    kind: npt.NDArray[np.str_]
    field_mask: npt.NDArray[np.int64]
    reach: npt.NDArray[np.float64]
    remaining: npt.NDArray[np.float64]
    unit: npt.NDArray[np.str_]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    area: list[str]  # the path of the community an area lies in (or the area's, above one)
    rating: npt.NDArray[np.float64]


def ordinal(day: dt.date | None, default: np.int64) -> np.int64:
    return np.int64(day.toordinal()) if day is not None else default


def field_mask(fields: Iterable[str]) -> int:
    mask = 0
    for f in fields:
        mask |= FIELD_BIT.get(f, 0)
    return mask


def reach_table(need_comm: list[str], res_area: list[str]) -> npt.NDArray[np.bool_]:
    """communities × areas: the area holds the community or lies in it."""
    return np.array(
        [[c.startswith(a) or a.startswith(c) for a in res_area] for c in need_comm], dtype=bool
    ).reshape(len(need_comm), len(res_area))


def _ordered_window(
    needs: NeedRows, rows: npt.NDArray[np.intp], res: ResourceRows, cols: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    n_start, n_end = needs.start[rows][:, None], needs.end[rows][:, None]
    r_start, r_end = res.start[cols][None, :], res.end[cols][None, :]
    late_enough = (r_end == NO_DAY) | (n_start == NO_DAY) | (r_end >= n_start)
    early_enough = (r_start == NO_DAY) | (n_end == NO_DAY) | (r_start <= n_end)
    return late_enough & early_enough


@dataclass
class Snapped:
    need_node: npt.NDArray[np.int64]
    need_snap: npt.NDArray[np.float64]
    res_node: npt.NDArray[np.int64]
    res_snap: npt.NDArray[np.float64]


def _walk(
    net: engine.Network,
    snapped: Snapped,
    rows: npt.NDArray[np.intp],
    cols: npt.NDArray[np.intp],
    limit: float,
) -> npt.NDArray[np.float64]:
    """Walking metres rows × cols over the network, inf beyond `limit` or off the roads.

    Bounded Dijkstra searches from whichever side has fewer distinct road nodes (the
    distances are symmetric: the network is undirected), a chunk of sources at a time."""
    need_node, need_snap = snapped.need_node[rows], snapped.need_snap[rows]
    res_node, res_snap = snapped.res_node[cols], snapped.res_snap[cols]
    out = np.full((len(rows), len(cols)), np.inf)
    by_need = len(np.unique(need_node)) <= len(np.unique(res_node))
    src, src_snap, dst, dst_snap = (
        (need_node, need_snap, res_node, res_snap)
        if by_need
        else (res_node, res_snap, need_node, need_snap)
    )
    uniq, inverse = np.unique(src, return_inverse=True)
    graph = net.graph
    for lo in range(0, len(uniq), CHUNK):
        part = uniq[lo : lo + CHUNK]
        dist = dijkstra(graph, directed=False, indices=part, limit=limit)
        for j in np.flatnonzero((inverse >= lo) & (inverse < lo + len(part))):
            metres = src_snap[j] + dist[inverse[j] - lo][dst] + dst_snap
            if by_need:
                out[j, :] = metres
            else:
                out[:, j] = metres
    out[need_snap > engine.MAX_SNAP_M, :] = np.inf
    out[:, res_snap > engine.MAX_SNAP_M] = np.inf
    return out


def rank(
    needs: NeedRows,
    res: ResourceRows,
    net: engine.Network | None,
    taken: set[tuple[int, int]] | None = None,
    k: int = 10,
) -> list[list[int]]:
    """Per need (in order), the ids of its best k resources: score, then lower id first.

    Needs are taken a community at a time, against the resources whose area holds that
    community or lies in it (the only ones that may reach them), so the arrays stay a block
    of the pairs, not all of them. With a network, a pair farther apart as the crow flies
    than the resource reaches is dropped before any walking is worked out: a walk over roads
    (with its two legs to and from them) is never shorter than the straight line."""
    out: list[list[int]] = [[] for _ in range(len(needs.ids))]
    if not len(needs.ids) or not len(res.ids):
        return out
    snapped = None
    if net is not None and net.node_count:
        need_node, need_snap = net.snap(needs.lat, needs.lon)
        res_node, res_snap = net.snap(res.lat, res.lon)
        snapped = Snapped(need_node, need_snap, res_node, res_snap)
    comms, ci = np.unique(np.array(needs.community, dtype=object), return_inverse=True)
    areas, ai = np.unique(np.array(res.area, dtype=object), return_inverse=True)
    table = reach_table(list(comms), list(areas))
    skip: dict[int, set[int]] = {}
    for need_id, res_id in taken or ():
        skip.setdefault(need_id, set()).add(res_id)
    for b in range(len(comms)):
        rows = np.flatnonzero(ci == b)
        cols = np.flatnonzero(table[b][ai])
        if not len(cols):
            continue
        kind_fit = needs.wants[rows][:, None] == res.kind[cols][None, :]
        field_fit = (needs.field_bit[rows][:, None] & res.field_mask[cols][None, :]) != 0
        fit = 0.5 * kind_fit + 0.5 * field_fit
        unit = needs.unit[rows][:, None]
        ok = (fit > 0) & _ordered_window(needs, rows, res, cols)
        ok &= (unit == "") | (unit == res.unit[cols][None, :])
        straight = np.asarray(
            engine.haversine_m(
                needs.lat[rows][:, None],
                needs.lon[rows][:, None],
                res.lat[cols][None, :],
                res.lon[cols][None, :],
            ),
            dtype=np.float64,
        ).reshape(len(rows), len(cols))
        reach = res.reach[cols][None, :]
        if snapped is None or net is None:
            metres = straight * DETOUR
        else:
            ok &= straight <= reach + 1.0  # 1 m for rounding: never drops a real candidate
            live_r = np.flatnonzero(ok.any(axis=1))
            metres = np.full((len(rows), len(cols)), np.inf)
            # Each need searches only as far as its farthest-reaching candidate: needs are
            # grouped by that bound, so a need whose candidates reach 600 m does not walk 2 km.
            bound = np.where(ok, reach, 0.0).max(axis=1)
            for limit in np.unique(bound[live_r]):
                group = live_r[bound[live_r] == limit]
                cand = np.flatnonzero(ok[group].any(axis=0))
                metres[np.ix_(group, cand)] = _walk(
                    net, snapped, rows[group], cols[cand], float(limit)
                )
        scores = score(
            fit,
            metres,
            reach,
            res.remaining[cols][None, :],
            needs.wanted[rows][:, None],
            res.rating[cols][None, :],
        )
        scores = np.where(ok, scores, -np.inf)
        ids = res.ids[cols]
        for i, row in enumerate(rows):
            good = np.flatnonzero(np.isfinite(scores[i]))
            excluded = skip.get(int(needs.ids[row]))
            if excluded:
                good = good[~np.isin(ids[good], list(excluded))]
            order = good[np.lexsort((ids[good], -scores[i][good]))][:k]
            out[row] = [int(ids[j]) for j in order]
    return out


# -- from the database -------------------------------------------------------------------


def community_paths() -> set[str]:
    return set(
        Organisation.objects.outside_door("community paths: where a need or an area lies")
        .filter(kind=Kind.COMMUNITY)
        .values_list("path", flat=True)
    )


def community_of(path: str, communities: set[str]) -> str:
    """The path of the community at or above `path`, else `path` itself."""
    return next((p for p in reversed(prefixes(path)) if p in communities), path)


def need_rows(needs: list[Need], communities: set[str]) -> NeedRows:
    return NeedRows(
        ids=np.array([n.pk for n in needs], dtype=np.int64),
        lat=np.array([n.lat for n in needs], dtype=np.float64),
        lon=np.array([n.lon for n in needs], dtype=np.float64),
        wants=np.array([n.wants for n in needs], dtype=str),
        field_bit=np.array([FIELD_BIT.get(n.field, 0) for n in needs], dtype=np.int64),
        wanted=np.array(
            [float(n.amount) if n.amount is not None else np.nan for n in needs],
            dtype=np.float64,
        ),
        unit=np.array([n.unit if n.amount is not None else "" for n in needs], dtype=str),
        start=np.array([ordinal(n.window_start, NO_DAY) for n in needs], dtype=np.int64),
        end=np.array([ordinal(n.window_end, NO_DAY) for n in needs], dtype=np.int64),
        community=[community_of(n.path, communities) for n in needs],
    )


RESOURCE_COLUMNS = (
    "id", "lat", "lon", "kind", "fields", "reach_m", "remaining", "unit",
    "available_from", "available_to", "path", "provider_id",
)  # fmt: skip


def resource_rows(
    resources: list[tuple[Any, ...]], communities: set[str], rated: dict[int, float]
) -> ResourceRows:
    """Arrays from rows of `RESOURCE_COLUMNS` (read with values_list: no model instances)."""
    cols = list(zip(*resources, strict=True)) if resources else [()] * len(RESOURCE_COLUMNS)
    (ids, lat, lon, kind, fields, reach, remaining, unit, start, end, path, provider) = cols
    return ResourceRows(
        ids=np.array(ids, dtype=np.int64),
        lat=np.array(lat, dtype=np.float64),
        lon=np.array(lon, dtype=np.float64),
        kind=np.array(kind, dtype=str),
        field_mask=np.array([field_mask(f) for f in fields], dtype=np.int64),
        reach=np.array(reach, dtype=np.float64),
        remaining=np.array([float(r) for r in remaining], dtype=np.float64),
        unit=np.array(unit, dtype=str),
        start=np.array([ordinal(d, NO_DAY) for d in start], dtype=np.int64),
        end=np.array([ordinal(d, NO_DAY) for d in end], dtype=np.int64),
        area=[community_of(p, communities) for p in path],
        rating=np.array([rated.get(p, UNRATED) for p in provider], dtype=np.float64),
    )


def available_resources() -> list[tuple[Any, ...]]:
    return list(
        Resource.objects.outside_door(CANDIDATES)
        .available()
        .filter(lat__isnull=False, lon__isnull=False)
        .order_by("id")
        .values_list(*RESOURCE_COLUMNS)
    )


def suggest_all(needs: list[Need], *, k: int = 10, net: Any = "latest") -> dict[int, list[int]]:
    """For each open need with a place, the ids of its best k resources (as `suggest`)."""
    placed = [n for n in needs if n.is_open and n.lat is not None and n.lon is not None]
    if not placed:
        return {}
    resources = available_resources()
    if not resources:
        return {n.pk: [] for n in placed}
    communities = community_paths()
    rated = ratings(sorted({r[-1] for r in resources}))
    taken = set(
        Match.objects.filter(
            need_id__in=[n.pk for n in placed], status__in=LIVE_MATCH_STATUSES
        ).values_list("need_id", "resource_id")
    )
    net = network() if net == "latest" else net
    nr, rr = need_rows(placed, communities), resource_rows(resources, communities, rated)
    return dict(zip([n.pk for n in placed], rank(nr, rr, net, taken, k), strict=True))
