"""Matching needs with resources (供需对接): suggestions, and the capacity a match promises.

**Suggestions.** For an open need, the resources that could meet it are ranked by

- category fit: the kind of resource the need wants and the field it is in (both: 1,
  one of the two: 0.5, neither: not a candidate);
- walking distance over the road network of the 15-minute circle (one bounded Dijkstra
  from the need's point; a resource farther than its own reach is not a candidate; with no
  network imported, the straight-line distance stands in and the page says so);
- remaining capacity against the amount wanted;
- past ratings of the provider's completed matches (a provider without any counts as 3/5).

`score()` is the one formula, over arrays, so a page, the API and `bench/matching.py` rank
alike. For a resource, `needs_for` ranks the open needs it could meet the same way.

**Capacity.** `accept` takes the resource row under a lock (`select_for_update`; SQLite's
IMMEDIATE transactions are serial anyway), checks the amount against what remains and
takes it; two staff promising the same capacity to two needs cannot both win. A declined
or cancelled match gives it back (`release`). A check constraint keeps `remaining` within
0 and the capacity whatever writes the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone
from scipy.sparse.csgraph import dijkstra

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core import audit
from doorstep.core.access import prefixes, scope_of
from doorstep.inbox.services import notify
from doorstep.nearby.circle import engine
from doorstep.nearby.circle.models import RoadNetwork
from doorstep.nearby.circle.store import load_network

from .errors import CogovError, Conflict, NotAllowed
from .models import (
    LIVE_MATCH_STATUSES,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Resource,
    ResourceStatus,
)
from .services import may_offer, quantity, text

W_FIT, W_NEAR, W_CAPACITY, W_RATING = 0.4, 0.3, 0.15, 0.15
UNRATED = 3.0  # a provider with no rated match yet counts as 3 of 5
CONFIRM_DAYS = 3  # the unit's liaison confirms (认领) within this many days
# Straight-line metres times this stand in for walking when no road network is imported.
DETOUR = 1.3

OWN_KINDS = frozenset({Kind.STREET, Kind.COMMUNITY})
CANDIDATES = (
    "resources offered over an area that holds the need (a street-level unit's offer reaches "
    "every community of the street): suggestions for staff who keep the need's list"
)


def score(
    fit: npt.ArrayLike,
    metres: npt.ArrayLike,
    reach: npt.ArrayLike,
    remaining: npt.ArrayLike,
    wanted: npt.ArrayLike,
    rating: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """The match score in [0, 1] of each (need, resource) pair; -inf where the pair is not a
    candidate (no fit, out of reach). `wanted` is NaN where the need states no amount."""
    fit_a = np.asarray(fit, dtype=np.float64)
    m = np.asarray(metres, dtype=np.float64)
    r = np.asarray(reach, dtype=np.float64)
    rem = np.asarray(remaining, dtype=np.float64)
    want = np.asarray(wanted, dtype=np.float64)
    near = 1.0 - np.minimum(m / r, 1.0)
    cap = np.where(np.isnan(want), 1.0, np.minimum(rem / np.where(want > 0, want, 1.0), 1.0))
    value = (
        W_FIT * fit_a
        + W_NEAR * near
        + W_CAPACITY * cap
        + W_RATING * np.asarray(rating, dtype=np.float64) / 5.0
    )
    ok = (fit_a > 0) & (m <= r)
    return np.where(ok, np.round(value, 6), -np.inf)


def fit_of(need_wants: str, need_field: str, kind: str, fields: list[str]) -> float:
    return (0.5 if kind == need_wants else 0.0) + (0.5 if need_field in fields else 0.0)


@dataclass(frozen=True)
class Suggestion:
    resource: Resource
    score: float
    metres: float
    walked: bool  # over the road network (False: straight line × DETOUR)
    fit: float

    @property
    def minutes(self) -> int:
        return round(self.metres / engine.metres_per_minute(engine.DEFAULT_SPEED_KMH))


@dataclass(frozen=True)
class NeedSuggestion:
    need: Need
    score: float
    metres: float
    walked: bool
    fit: float


def network() -> engine.Network | None:
    rn = RoadNetwork.objects.order_by("-created_at", "-id").first()
    return load_network(rn) if rn is not None else None


def walking_metres(
    net: engine.Network | None,
    origin: tuple[float, float],
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    limit_m: float,
) -> tuple[npt.NDArray[np.float64], bool]:
    """Metres from `origin` to each point: over the network, bounded by `limit_m` (inf
    beyond, or for a point off every road); straight line × DETOUR without a network."""
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    if net is None or net.node_count == 0:
        straight = engine.haversine_m(origin[0], origin[1], lat_a, lon_a) * DETOUR
        return np.asarray(straight, dtype=np.float64), False
    node, snap = net.snap([origin[0]], [origin[1]])
    if len(lat_a) == 0 or snap[0] > engine.MAX_SNAP_M:
        return np.full(len(lat_a), np.inf), True
    dist = dijkstra(net.graph, directed=False, indices=int(node[0]), limit=limit_m)
    nodes, snaps = net.snap(lat_a, lon_a)
    metres = snap[0] + dist[nodes] + snaps
    metres = np.where((snaps > engine.MAX_SNAP_M) | (metres > limit_m), np.inf, metres)
    return metres, True


def _coords(values: list[float | None]) -> npt.NDArray[np.float64]:
    return np.array(values, dtype=np.float64)


def ratings(provider_ids: list[int]) -> dict[int, float]:
    """Average rating of each provider's rated matches (providers with none are absent)."""
    rows = (
        Match.objects.filter(resource__provider_id__in=provider_ids, rating__isnull=False)
        .values("resource__provider_id")
        .annotate(avg=Avg("rating"))
    )
    return {r["resource__provider_id"]: float(r["avg"]) for r in rows}


def _community_path(path: str) -> str:
    """The path of the community (or, above it, the node) a need's node lies in."""
    community = (
        Organisation.objects.outside_door("the community a need lies in: its path only")
        .filter(path__in=prefixes(path), kind=Kind.COMMUNITY)
        .values_list("path", flat=True)
        .first()
    )
    return community or path


def candidates(need: Need) -> list[Resource]:
    """Resources that could meet the need before distance is known: active, capacity left,
    the kind or the field fits, available in the need's window, in the same unit when the
    need states an amount, reaching the need's area, not already matched to it."""
    qs = (
        Resource.objects.outside_door(CANDIDATES)
        .available()
        .filter(Q(kind=need.wants) | Q(fields__contains=[need.field]) if _json_contains() else Q())
        .filter(Q(path__in=prefixes(need.path)) | Q(path__startswith=_community_path(need.path)))
        .exclude(matches__need=need, matches__status__in=LIVE_MATCH_STATUSES)
        .select_related("provider", "area")
    )
    if need.window_start:
        qs = qs.filter(Q(available_to__isnull=True) | Q(available_to__gte=need.window_start))
    if need.window_end:
        qs = qs.filter(Q(available_from__isnull=True) | Q(available_from__lte=need.window_end))
    if need.amount is not None and need.unit:
        qs = qs.filter(unit=need.unit)
    found = [r for r in qs if fit_of(need.wants, need.field, r.kind, r.fields) > 0]
    return found


def _json_contains() -> bool:
    # JSON `contains` works on PostgreSQL but not on SQLite: filter by kind or field in
    # Python there (the candidates of one need are a few hundred rows at most).
    from django.db import connection

    return connection.vendor == "postgresql"


def suggest(need: Need, *, limit: int = 10, net: Any = "latest") -> list[Suggestion]:
    """Ranked resources for an open need (best first)."""
    if not need.is_open:
        return []
    found = candidates(need)
    if not found or need.lat is None or need.lon is None:
        return []
    net = network() if net == "latest" else net
    placed = [r for r in found if r.lat is not None and r.lon is not None]
    if not placed:
        return []
    reach = np.array([r.reach_m for r in placed], dtype=np.float64)
    metres, walked = walking_metres(
        net,
        (need.lat, need.lon),
        _coords([r.lat for r in placed]),
        _coords([r.lon for r in placed]),
        reach.max(),
    )
    rated = ratings(sorted({r.provider_id for r in placed}))
    fits = np.array([fit_of(need.wants, need.field, r.kind, r.fields) for r in placed])
    wanted = float(need.amount) if need.amount is not None else np.nan
    scores = score(
        fits,
        metres,
        reach,
        [float(r.remaining) for r in placed],
        np.full(len(placed), wanted),
        [rated.get(r.provider_id, UNRATED) for r in placed],
    )
    order = np.lexsort((np.array([r.pk for r in placed]), -scores))
    out = [
        Suggestion(placed[i], float(scores[i]), float(metres[i]), walked, float(fits[i]))
        for i in order
        if np.isfinite(scores[i])
    ]
    return out[:limit]


def needs_for(resource: Resource, *, limit: int = 10, net: Any = "latest") -> list[NeedSuggestion]:
    """The open needs a resource could meet, ranked the same way (best first)."""
    if resource.status != ResourceStatus.ACTIVE or resource.remaining <= 0:
        return []
    if resource.lat is None or resource.lon is None:
        return []
    qs = (
        Need.objects.outside_door("open needs a resource reaches: suggestions for its keeper")
        .open()
        .filter(path__startswith=resource.path, lat__isnull=False)
        .filter(Q(wants=resource.kind) | Q(field__in=resource.fields))
        .exclude(matches__resource=resource, matches__status__in=LIVE_MATCH_STATUSES)
        .select_related("node")
    )
    if resource.available_from:
        qs = qs.filter(Q(window_end__isnull=True) | Q(window_end__gte=resource.available_from))
    if resource.available_to:
        qs = qs.filter(Q(window_start__isnull=True) | Q(window_start__lte=resource.available_to))
    needs = [n for n in qs[:2000] if n.amount is None or n.unit == resource.unit]
    if not needs:
        return []
    net = network() if net == "latest" else net
    metres, walked = walking_metres(
        net,
        (resource.lat, resource.lon),
        _coords([n.lat for n in needs]),
        _coords([n.lon for n in needs]),
        float(resource.reach_m),
    )
    rating = ratings([resource.provider_id]).get(resource.provider_id, UNRATED)
    fits = np.array([fit_of(n.wants, n.field, resource.kind, resource.fields) for n in needs])
    scores = score(
        fits,
        metres,
        np.full(len(needs), float(resource.reach_m)),
        np.full(len(needs), float(resource.remaining)),
        [float(n.amount) if n.amount is not None else np.nan for n in needs],
        np.full(len(needs), rating),
    )
    order = np.lexsort((np.array([n.pk for n in needs]), -scores))
    out = [
        NeedSuggestion(needs[i], float(scores[i]), float(metres[i]), walked, float(fits[i]))
        for i in order
        if np.isfinite(scores[i])
    ]
    return out[:limit]


# -- writes ------------------------------------------------------------------------------


def may_match(actor: Actor, need: Need) -> bool:
    perm = "cogov.add_match"
    return bool(actor.has_perm(perm)) and scope_of(actor, perm).covers(need.path)


def may_confirm(actor: Actor, resource: Resource) -> bool:
    perm = "cogov.confirm_match"
    if not actor.has_perm(perm):
        return False
    scope = scope_of(actor, perm)
    return resource.provider_id in scope.node_ids or scope.covers(resource.provider.path)


def _unit_label(resource: Resource) -> str:
    return resource.get_unit_display()


def accept(*, actor: Actor, need: Need, resource: Resource, amount: Any) -> Match:
    """Staff accept a resource for a need, promising `amount` of its capacity."""
    if not may_match(actor, need):
        raise NotAllowed("您不能为该需求对接资源")
    wanted = quantity(amount, "amount", "占用数量", required=True)
    assert wanted is not None
    found = next((s for s in suggest(need, limit=1000) if s.resource.pk == resource.pk), None)
    with transaction.atomic():
        locked_need = Need.objects.select_for_update().get(pk=need.pk)
        if not locked_need.is_open:
            raise Conflict("该需求已满足或已关闭，不能再对接")
        res = Resource.objects.select_for_update().get(pk=resource.pk)
        if res.status != ResourceStatus.ACTIVE:
            raise Conflict("该资源已暂停或撤回")
        if Match.objects.filter(need=need, resource=res, status__in=LIVE_MATCH_STATUSES).exists():
            raise Conflict("该资源已对接到这条需求")
        if wanted > res.remaining:
            unit = _unit_label(res)
            raise Conflict(
                f"该资源剩余容量不足：剩余{_num(res.remaining)}{unit}，"
                f"本次需要{_num(wanted)}{unit}。请刷新后改选其他资源或减少数量",
                "amount",
            )
        if found is None:
            raise CogovError("该资源与这条需求不匹配（类型、领域、时间或距离不符）", "resource")
        res.remaining -= wanted
        res.save(update_fields=["remaining"])
        # A street or community using its own resource (its own room) needs no one else to
        # take the match on: it starts confirmed. A unit's or department's liaison always
        # confirms, even when staff above keep the unit's list.
        own = res.provider.kind in OWN_KINDS and may_offer(actor, res.provider)
        match = Match.objects.create(
            need=locked_need,
            resource=res,
            amount=wanted,
            score=found.score,
            distance_m=found.metres if np.isfinite(found.metres) else None,
            due_on=timezone.localdate() + dt.timedelta(days=CONFIRM_DAYS),
            accepted_by=actor,
            status=MatchStatus.CONFIRMED if own else MatchStatus.ACCEPTED,
            decided_by=actor if own else None,
            decided_at=timezone.now() if own else None,
        )
        if locked_need.status == NeedStatus.OPEN:
            locked_need.status = NeedStatus.MATCHED
            locked_need.save(update_fields=["status"])
        audit.record(
            actor=actor,
            action="create",
            target=match,
            detail={"need": need.pk, "resource": res.pk, "amount": str(wanted)},
        )
    if own:
        return match
    from doorstep.accounts.queries import members_with_permission

    notify(
        members_with_permission(res.provider_id, "cogov.confirm_match"),
        kind="cogov_match",
        title=f"供需对接待认领：{locked_need.title}",
        body=f"社区希望使用贵单位的“{res.title}”（{_num(wanted)}{_unit_label(res)}），"
        f"请在{match.due_on:%m月%d日}前认领",
        url="/cogov/matches/",
    )
    return match


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _decide(match: Match, actor: Actor) -> Match:
    locked = Match.objects.select_for_update().select_related("resource__provider").get(pk=match.pk)
    if not may_confirm(actor, locked.resource):
        raise NotAllowed("只有提供单位的联络员可以认领或婉拒")
    if locked.status != MatchStatus.ACCEPTED:
        raise Conflict("该对接已处理")
    return locked


@transaction.atomic
def confirm(*, actor: Actor, match: Match) -> Match:
    """The unit's liaison takes the match on (认领)."""
    locked = _decide(match, actor)
    locked.status, locked.decided_by, locked.decided_at = (
        MatchStatus.CONFIRMED,
        actor,
        timezone.now(),
    )
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(actor=actor, action="update", target=locked, detail={"status": "confirmed"})
    return locked


@transaction.atomic
def decline(*, actor: Actor, match: Match, reason: Any) -> Match:
    """The unit's liaison declines (with a reason); the capacity goes back to the resource."""
    why = text(reason, "reason", "婉拒原因", 200)
    locked = _decide(match, actor)
    return release(locked, actor=actor, status=MatchStatus.DECLINED, reason=why)


@transaction.atomic
def cancel(*, actor: Actor, match: Match, reason: Any) -> Match:
    """Staff withdraw a match still live; the capacity goes back."""
    if not may_match(actor, match.need):
        raise NotAllowed("您不能取消该对接")
    why = text(reason, "reason", "取消原因", 200)
    locked = Match.objects.select_for_update().get(pk=match.pk)
    if not locked.is_live:
        raise Conflict("该对接已结束")
    return release(locked, actor=actor, status=MatchStatus.CANCELLED, reason=why)


def release(match: Match, *, actor: Actor | None, status: str, reason: str) -> Match:
    """Give a live match's amount back to its resource and end the match (in a transaction)."""
    res = Resource.objects.select_for_update().get(pk=match.resource_id)
    res.remaining = min(res.capacity, res.remaining + match.amount)
    res.save(update_fields=["remaining"])
    match.status, match.reason = status, reason
    match.decided_by, match.decided_at = actor, timezone.now()
    match.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    need = Need.objects.select_for_update().get(pk=match.need_id)
    if need.status == NeedStatus.MATCHED and not need.matches.live().exists():
        need.status = NeedStatus.OPEN
        need.save(update_fields=["status"])
    audit.record(actor=actor, action="update", target=match, detail={"status": status})
    return match


@transaction.atomic
def complete(*, actor: Actor, match: Match, rating: Any = None, met: bool = True) -> Match:
    """Staff record a confirmed match as done, with the residents' rating (1–5); the need is
    met unless staff say it still wants more."""
    if not may_match(actor, match.need):
        raise NotAllowed("您不能办结该对接")
    stars = None
    if rating not in (None, ""):
        raw = str(rating).strip()
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 5):
            raise CogovError("评价应为1–5星", "rating")
        stars = int(raw)
    locked = Match.objects.select_for_update().get(pk=match.pk)
    if locked.status != MatchStatus.CONFIRMED:
        raise Conflict("只有已认领的对接可以办结")
    return finish(locked, actor=actor, stars=stars, met=met)


def finish(
    locked: Match, *, actor: Actor | None, stars: int | None = None, met: bool = True
) -> Match:
    """A confirmed match (row locked by the caller) is done: by staff (`complete`), or when
    the case or activity it became is closed or held (`cogov.follow`, actor None)."""
    locked.status, locked.rating, locked.done_at = MatchStatus.DONE, stars, timezone.now()
    locked.save(update_fields=["status", "rating", "done_at"])
    need = Need.objects.select_for_update().get(pk=locked.need_id)
    if met and need.is_open:
        need.status, need.met_at = NeedStatus.MET, timezone.now()
        need.save(update_fields=["status", "met_at"])
        for other in need.matches.live().exclude(pk=locked.pk):
            release(other, actor=actor, status=MatchStatus.CANCELLED, reason="需求已满足")
    audit.record(actor=actor, action="update", target=locked, detail={"status": "done"})
    return locked
