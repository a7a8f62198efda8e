"""Dispatching without a drop-down of 250 units: the suggestions first, then a type-ahead
over the units and people who may take the case (names, pinyin or initials), each unit
shown with its full path so two 党员中心户 of the same name are told apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.atlas.organisations.models import Organisation
from doorstep.cases import suggest
from doorstep.cases.models import Case
from doorstep.cases.services import moves_for
from doorstep.core.search import normalise_query, search_text_for

from .views_common import TARGETS, case_in_scope, dispatch_orgs, dispatch_people, require_any

SHOWN = 30  # results of one search
QUERY_LIMIT = 50  # characters of a query
LEVELS = {  # the groups of the results, in order
    "community": "社区",
    "grid": "网格",
    "department": "职能部门",
    "co_building": "共建单位",
    "party_committee": "党组织",
    "general_branch": "党组织",
    "grid_branch": "党组织",
    "compound_branch": "党组织",
    "party_group": "党组织",
    "building_group": "党组织",
    "central_household": "党员中心户",
}


@dataclass(frozen=True)
class Choice:
    key: str  # the form value: "o:<id>" or "u:<id>"
    name: str
    path: str  # the units above it, below the street ("清华东路社区 › 第一网格")
    group: str
    reason: str = ""


def org_paths(orgs: list[Organisation], below: Organisation | None = None) -> dict[int, str]:
    """Each organisation's ancestors' names below `below` (the street), joined by " › "."""
    ids = {int(x) for o in orgs for x in o.path.strip("/").split("/") if x}
    names = dict(
        Organisation.objects.outside_door(TARGETS).filter(pk__in=ids).values_list("pk", "name")
    )
    top = below.depth if below is not None else 0
    out = {}
    for o in orgs:
        chain = [int(x) for x in o.path.strip("/").split("/") if x][top + 1 : -1]
        out[o.pk] = " › ".join(names.get(pk, "") for pk in chain)
    return out


def may_dispatch(case: Case, user: Any) -> bool:
    return any(m.code in ("dispatch", "set_handlers") for m in moves_for(case, user))


def choices(case: Case, query: str = "") -> list[Choice]:
    """Everyone the case may be dispatched to (matching `query`, when given)."""
    from .views_common import street_of

    needle = normalise_query(query) if query else ""
    orgs = dispatch_orgs(case)
    if needle:
        orgs = [o for o in orgs if needle in o.search_text or needle in o.name.lower()]
    street = street_of(case.territory)
    paths = org_paths(orgs, street)
    out = [
        # (get_kind_display only when LEVELS lacks the kind: it translates every choice)
        Choice(f"o:{o.pk}", o.name, paths[o.pk], LEVELS.get(o.kind) or o.get_kind_display())
        for o in orgs
    ]
    for u in dispatch_people(case):
        name = str(u)
        if needle and needle not in search_text_for(name):
            continue
        out.append(Choice(f"u:{u.pk}", name, getattr(u, "role_name", ""), "党员、志愿者"))
    order = list(dict.fromkeys([*LEVELS.values(), "党员、志愿者"]))
    out.sort(key=lambda c: (order.index(c.group) if c.group in order else 99, c.path, c.name))
    return out


def suggested(case: Case) -> list[Choice]:
    """The first choices for the dispatch form, each with its reason and full path."""
    from .views_common import street_of

    allowed = {c.key: c for c in choices(case)}
    street = street_of(case.territory)
    out = []
    for s in suggest.suggestions(case, suggest.cached_history(street.path)):
        c = allowed.get(s.key)
        if c is not None:
            out.append(Choice(c.key, c.name, c.path, c.group, s.reason))
    return out


@login_required
def handler_search(request: HttpRequest, number: str) -> HttpResponse:
    """GET ?q=&name=lead|co → the matching choices as radio buttons or check boxes."""
    require_any(request.user, "cases.view_case")
    case = case_in_scope(request, number)  # 404 for a case the user cannot see
    if not may_dispatch(case, request.user):
        raise PermissionDenied("该工单当前不能派单")
    query = str(request.GET.get("q") or "").strip()[:QUERY_LIMIT]
    if any(ord(ch) < 32 for ch in query):
        query = ""
    name = request.GET.get("name")
    name = name if name in ("lead", "co", "add_co") else "co"
    found = choices(case, query) if query else []
    return render(
        request,
        "cases/_handler_choices.html",
        {
            "found": found[:SHOWN],
            "more": max(len(found) - SHOWN, 0),
            "query": query,
            "name": name,
            "kind": "radio" if name == "lead" else "checkbox",
        },
    )
