"""Suggestions for many open needs at once: the matching page's figures, the benchmark.

The same rules and the same `matching.score` as `matching.suggest` for one need, over
arrays: which resources reach a need's area (a table over the distinct communities and
areas), kind or field fit (a bit mask of fields), the time window and unit, the pairs
already matched, and walking metres from bounded Dijkstra searches — run from whichever
side has fewer distinct road nodes, in chunks so the distance matrix stays small.
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
    """needs × resources: the resource's area holds the need's community or lies in it."""
    comms, ci = np.unique(np.array(need_comm, dtype=object), return_inverse=True)
    areas, ai = np.unique(np.array(res_area, dtype=object), return_inverse=True)
    table = np.array(
        [[c.startswith(a) or a.startswith(c) for a in areas] for c in comms], dtype=bool
    ).reshape(len(comms), len(areas))
    return table[np.ix_(ci, ai)] if len(comms) and len(areas) else table


def fit_matrix(needs: NeedRows, res: ResourceRows) -> npt.NDArray[np.float64]:
    kind = needs.wants[:, None] == res.kind[None, :]
    field = (needs.field_bit[:, None] & res.field_mask[None, :]) != 0
    return 0.5 * kind + 0.5 * field


def metres_matrix(
    net: engine.Network | None, needs: NeedRows, res: ResourceRows
) -> tuple[npt.NDArray[np.float64], bool]:
    """Walking metres needs × resources, bounded by each resource's reach (inf beyond)."""
    n, m = len(needs.ids), len(res.ids)
    if net is None or net.node_count == 0:
        straight = engine.haversine_m(
            needs.lat[:, None], needs.lon[:, None], res.lat[None, :], res.lon[None, :]
        )
        return np.asarray(straight, dtype=np.float64).reshape(n, m) * DETOUR, False
    need_node, need_snap = net.snap(needs.lat, needs.lon)
    res_node, res_snap = net.snap(res.lat, res.lon)
    out = np.full((n, m), np.inf)
    limit = float(res.reach.max()) if m else 0.0
    need_ok = need_snap <= engine.MAX_SNAP_M
    res_ok = res_snap <= engine.MAX_SNAP_M
    graph = net.graph
    # Search from the side with fewer distinct nodes; distances are symmetric (undirected).
    if len(np.unique(need_node)) <= len(np.unique(res_node)):
        src, src_snap, dst, dst_snap, rows = need_node, need_snap, res_node, res_snap, True
    else:
        src, src_snap, dst, dst_snap, rows = res_node, res_snap, need_node, need_snap, False
    uniq, inverse = np.unique(src, return_inverse=True)
    for lo in range(0, len(uniq), CHUNK):
        part = uniq[lo : lo + CHUNK]
        dist = dijkstra(graph, directed=False, indices=part, limit=limit)
        for j in np.flatnonzero((inverse >= lo) & (inverse < lo + len(part))):
            metres = src_snap[j] + dist[inverse[j] - lo][dst] + dst_snap
            if rows:
                out[j, :] = metres
            else:
                out[:, j] = metres
    out[~need_ok, :] = np.inf
    out[:, ~res_ok] = np.inf
    return out, True


def score_matrix(
    needs: NeedRows,
    res: ResourceRows,
    net: engine.Network | None,
    taken: set[tuple[int, int]] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], bool]:
    """Scores (needs × resources; -inf where not a candidate) and walking metres."""
    fit = fit_matrix(needs, res)
    window = ((res.end[None, :] == NO_DAY) | (needs.start[:, None] == NO_DAY)) | (
        res.end[None, :] >= needs.start[:, None]
    )
    window &= ((res.start[None, :] == NO_DAY) | (needs.end[:, None] == NO_DAY)) | (
        res.start[None, :] <= needs.end[:, None]
    )
    ok = reach_table(needs.community, res.area) & (fit > 0) & window
    ok &= (needs.unit[:, None] == "") | (needs.unit[:, None] == res.unit[None, :])
    metres, walked = metres_matrix(net, needs, res)
    scores = score(
        fit,
        metres,
        res.reach[None, :],
        res.remaining[None, :],
        needs.wanted[:, None],
        res.rating[None, :],
    )
    scores = np.where(ok, scores, -np.inf)
    if taken:
        n_index = {int(v): i for i, v in enumerate(needs.ids)}
        r_index = {int(v): j for j, v in enumerate(res.ids)}
        for need_id, res_id in taken:
            if need_id in n_index and res_id in r_index:
                scores[n_index[need_id], r_index[res_id]] = -np.inf
    return scores, metres, walked


def top(scores: npt.NDArray[np.float64], res_ids: npt.NDArray[np.int64], k: int) -> list[list[int]]:
    """Per need, the ids of its best k resources (score, then lower id first)."""
    out: list[list[int]] = []
    for row in scores:
        good = np.flatnonzero(np.isfinite(row))
        order = good[np.lexsort((res_ids[good], -row[good]))][:k]
        out.append([int(res_ids[j]) for j in order])
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
    ids = [x for x in path.strip("/").split("/") if x]
    for i in range(len(ids), 0, -1):
        candidate = "/" + "/".join(ids[:i]) + "/"
        if candidate in communities:
            return candidate
    return path


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


def resource_rows(
    resources: list[Resource], communities: set[str], rated: dict[int, float]
) -> ResourceRows:
    return ResourceRows(
        ids=np.array([r.pk for r in resources], dtype=np.int64),
        lat=np.array([r.lat for r in resources], dtype=np.float64),
        lon=np.array([r.lon for r in resources], dtype=np.float64),
        kind=np.array([r.kind for r in resources], dtype=str),
        field_mask=np.array([field_mask(r.fields) for r in resources], dtype=np.int64),
        reach=np.array([r.reach_m for r in resources], dtype=np.float64),
        remaining=np.array([float(r.remaining) for r in resources], dtype=np.float64),
        unit=np.array([r.unit for r in resources], dtype=str),
        start=np.array([ordinal(r.available_from, NO_DAY) for r in resources], dtype=np.int64),
        end=np.array([ordinal(r.available_to, NO_DAY) for r in resources], dtype=np.int64),
        area=[community_of(r.path, communities) for r in resources],
        rating=np.array([rated.get(r.provider_id, UNRATED) for r in resources]),
    )


def suggest_all(needs: list[Need], *, k: int = 10, net: Any = "latest") -> dict[int, list[int]]:
    """For each open need with a place, the ids of its best k resources (as `suggest`)."""
    placed = [n for n in needs if n.is_open and n.lat is not None and n.lon is not None]
    if not placed:
        return {}
    resources = list(
        Resource.objects.outside_door(CANDIDATES)
        .available()
        .filter(lat__isnull=False, lon__isnull=False)
        .order_by("id")
    )
    if not resources:
        return {n.pk: [] for n in placed}
    communities = community_paths()
    rated = ratings(sorted({r.provider_id for r in resources}))
    taken = set(
        Match.objects.filter(
            need_id__in=[n.pk for n in placed], status__in=LIVE_MATCH_STATUSES
        ).values_list("need_id", "resource_id")
    )
    net = network() if net == "latest" else net
    nr, rr = need_rows(placed, communities), resource_rows(resources, communities, rated)
    scores, _metres, _walked = score_matrix(nr, rr, net, taken)
    return dict(zip([n.pk for n in placed], top(scores, rr.ids, k), strict=True))
