"""Who should handle a case: the dispatcher's first choices (派单建议).

Learned from the street's own history: for each category, where its dispatched cases
were finally handled (the lead assignment that finished the work), told apart by what
matters for the next case — *its own grid*, *its grid's party branch*, or one named unit
or person. Ranked for a case: what handled most of its category, then its top-level
category, then the category's default handler (默认承办单位), the case's grid and that
grid's branch. `History.without(case)` holds a case's own history out, for the hit-rate
benchmark (`bench/dispatch_suggest.py`).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction

from doorstep.atlas.organisations.models import Kind, Organisation

from .models import Assignment, AssignmentRole, AssignmentState, Case, Category

GRID = "grid"
BRANCH = "branch"


@dataclass(frozen=True)
class Suggestion:
    key: str  # "o:<id>" or "u:<id>", the value the dispatch form posts
    target: Any  # Organisation or User
    reason: str


@dataclass
class Outcome:
    case_id: int
    category_id: int
    top_id: int
    community_id: int
    channel: str  # "hotline" or "" (how the case came in: a 12345 order is routed its own way)
    outcome: str


@dataclass
class History:
    """Outcome counts per category and per top-level category of one street's cases."""

    rows: list[Outcome] = field(default_factory=list)
    by_category: Counter[tuple[int, str]] = field(default_factory=Counter)
    by_top: Counter[tuple[int, str]] = field(default_factory=Counter)
    # (community, category, channel): each community's own practice.
    by_place: Counter[tuple[int, int, str, str]] = field(default_factory=Counter)

    def add(self, row: Outcome, n: int = 1) -> None:
        self.by_category[(row.category_id, row.outcome)] += n
        self.by_top[(row.top_id, row.outcome)] += n
        self.by_place[(row.community_id, row.category_id, row.channel, row.outcome)] += n

    def without(self, case_id: int) -> History:
        """The same history with one case's own outcome taken out."""
        out = History(
            self.rows, Counter(self.by_category), Counter(self.by_top), Counter(self.by_place)
        )
        for row in self.rows:
            if row.case_id == case_id:
                out.add(row, -1)
        return out


def top_ids() -> dict[int, int]:
    """Each category id → its top-level category id."""
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    out = {}
    for pk in parents:
        top, hops = pk, 0
        while parents.get(top) is not None and hops < 10:
            top, hops = parents[top], hops + 1
        out[pk] = top
    return out


def branches() -> dict[int, int]:
    """Each grid id → its party branch (网格党支部) id, where it has one."""
    return dict(
        Organisation.objects.filter(kind=Kind.GRID_BRANCH, parent__kind=Kind.GRID).values_list(
            "parent_id", "pk"
        )
    )


def outcome(territory_id: int, org_id: int | None, user_id: int | None, branch: dict) -> str:
    if user_id:
        return f"u:{user_id}"
    if org_id == territory_id:
        return GRID
    if org_id is not None and branch.get(territory_id) == org_id:
        return BRANCH
    return f"o:{org_id}"


def channel(source: str) -> str:
    return "hotline" if source == "hotline" else ""


def history(street_path: str) -> History:
    """The street's dispatched cases that were handled to the end, and by whom."""
    tops, branch = top_ids(), branches()
    done = (
        Assignment.objects.filter(
            role=AssignmentRole.LEAD,
            state=AssignmentState.DONE,
            via="dispatch",
            case__territory_path__startswith=street_path,
        )
        .order_by("-ended_at", "-id")
        .values_list(
            "case_id",
            "case__category_id",
            "case__territory_id",
            "case__territory__parent_id",
            "case__source",
            "organisation_id",
            "user_id",
        )
    )
    h = History()
    for case_id, category_id, territory_id, parent_id, source, org_id, user_id in done[:5000]:
        top = tops.get(category_id, category_id)
        row = Outcome(case_id, category_id, top, parent_id or territory_id, channel(source), "")
        row.outcome = outcome(territory_id, org_id, user_id, branch)
        h.rows.append(row)
        h.add(row)
    return h


# A street's history is read on every page of a case its dispatcher may dispatch; it only
# changes when one of its cases is closed (moves._close calls `history_changed`). Kept in
# the cache (Redis in production) under a token per node that each closing renews.
HISTORY_SECONDS = 24 * 3600


def _token_key(path: str) -> str:
    return f"suggest:token:{path}"


def cached_history(street_path: str) -> History:
    """`history(street_path)`, from the cache unless a case of the street has closed since."""
    token = cache.get(_token_key(street_path), "")
    key = f"suggest:history:{street_path}:{token}"
    found = cache.get(key)
    if isinstance(found, History):
        return found
    h = history(street_path)
    cache.set(key, h, HISTORY_SECONDS)
    return h


def history_changed(territory_path: str) -> None:
    """A case under `territory_path` finished: every ancestor's history is renewed (the
    street's among them). Now and again at commit, so a page that read the rows before
    the commit cannot keep them under the new token."""

    def renew() -> None:
        ids = [x for x in territory_path.strip("/").split("/") if x]
        paths = ["/" + "/".join(ids[: i + 1]) + "/" for i in range(len(ids))]
        cache.set_many({_token_key(p): uuid.uuid4().hex for p in paths}, HISTORY_SECONDS)

    renew()
    transaction.on_commit(renew)


def suggestions(case: Case, h: History, limit: int = 4) -> list[Suggestion]:
    """The first choices for dispatching `case`, best first, each with its reason."""
    from doorstep.accounts.models import User

    branch = branches()
    tops = top_ids()
    out: dict[str, Suggestion] = {}

    def target_of(o: str) -> Any:
        if o == GRID:
            return case.territory if case.territory.kind == Kind.GRID else None
        if o == BRANCH:
            branch_id = branch.get(case.territory_id)
            return Organisation.objects.filter(pk=branch_id).first() if branch_id else None
        kind, _, raw = o.partition(":")
        if kind == "u":
            return User.objects.filter(pk=int(raw), is_active=True).first()
        return Organisation.objects.filter(pk=int(raw)).first()

    def put(o: str, reason: str) -> None:
        target = target_of(o)
        if target is None:
            return
        key = f"{'u' if isinstance(target, User) else 'o'}:{target.pk}"
        if key not in out:
            out[key] = Suggestion(key, target, reason)

    # Evidence per outcome: the category's own history counts fully, its top-level
    # category's a little, and what a dispatcher would pick without history (the default
    # handler, else the grid) starts ahead, so a few odd cases do not outvote it.
    default = case.category.default_handler_id
    scores: dict[str, float] = defaultdict(float)
    reasons: dict[str, str] = {}
    prior = {GRID: 1.0, BRANCH: 0.25}
    if default:
        prior[f"o:{default}"] = 2.0
    else:
        prior[GRID] = 2.0
    for o, weight in prior.items():
        scores[o] += weight
    reasons[f"o:{default}"] = "该分类的默认承办单位"
    reasons[GRID] = "工单所在网格"
    reasons[BRANCH] = "所在网格的党支部"
    top = tops.get(case.category_id, case.category_id)
    community = case.territory.parent_id or case.territory_id
    via = channel(case.source)
    for (place, key, ch, o), n in h.by_place.items():
        if place == community and key == case.category_id and ch == via and n > 0:
            scores[o] += 3 * n  # this community's own practice for the category
            reasons[o] = f"本社区同类工单近期有 {n} 件由其办结"
    for (key, o), n in h.by_category.items():
        if key == case.category_id and n > 0:
            scores[o] += n
            reasons.setdefault(o, f"近期同类工单有 {n} 件由其办结")
    for (key, o), n in h.by_top.items():
        if key == top and n > 0:
            scores[o] += 0.2 * n
            reasons.setdefault(o, f"近期同大类工单有 {n} 件由其办结")
    for o, _score in sorted(scores.items(), key=lambda x: (-x[1], x[0])):
        put(o, reasons.get(o, "近期办过类似工单"))
        if len(out) >= limit:
            break
    return list(out.values())[:limit]


def target_key(case: Case, o: str, branch: dict[int, int] | None = None) -> str:
    """The form value ("o:<id>" / "u:<id>") an outcome stands for, for this case."""
    if o == GRID:
        return f"o:{case.territory_id}"
    if o == BRANCH:
        branch = branches() if branch is None else branch
        return f"o:{branch.get(case.territory_id)}"
    return o
