"""Shared helpers for the case pages: finding a case in scope, handlers to choose from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.cases import moves
from doorstep.cases.models import Case
from doorstep.cases.services import top_of
from doorstep.core.access import held_key
from doorstep.core.figure_cache import remembered
from doorstep.core.ids import parse_id

# Organisation kinds a case may be dispatched to, and summoned by a whistle.
DISPATCH_KINDS = tuple(sorted(moves.DISPATCH_KINDS))
SUMMON_KINDS = tuple(sorted(moves.SUMMON_KINDS))
# Roles whose holders take orders as persons (党员、志愿者).
PERSON_ROLES = ("party_member", "volunteer")
STAFF_PERMS = (
    "cases.receive_case",
    "cases.handle_case",
    "cases.report_patrol",
    "cases.report_whistle",
    "cases.whistle_case",
)


# Why some reads here are outside the access door (core/access.py: outside_door).
TARGETS = "dispatch and summons targets: the case's street, beyond the dispatcher's scope"
MEMBER_OF = "the organisations the user belongs to"


def require_any(user: Any, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise PermissionDenied("没有使用该页面的权限")


def is_case_staff(user: Any) -> bool:
    return any(user.has_perm(p) for p in STAFF_PERMS)


def visible_cases(user: Any) -> QuerySet[Case]:
    """Cases through the access door (view permission and scope: the three admins hold
    ALL scope for their duties, not to read cases)."""
    return Case.objects.visible_to(user)


def check_number(number: str) -> str:
    """A tracking number from a URL or a form; NUL (which PostgreSQL refuses) is a 404."""
    if "\x00" in number or len(number) > 64:
        raise Http404("工单不存在")
    return number


def case_in_scope(request: HttpRequest, number: str) -> Case:
    """The case with this number if the user may see it; 404 otherwise (never 403)."""
    check_number(number)
    case = (
        visible_cases(request.user)
        .select_related("category", "territory", "owner", "owner__parent", "building", "reporter")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404("工单不存在")
    return case


def street_of(org: Organisation) -> Organisation:
    return top_of(org)


def dispatch_orgs(case: Case) -> list[Organisation]:
    """Organisations in the case's street that may take a dispatch."""
    street = street_of(case.territory)
    return list(
        Organisation.objects.outside_door(TARGETS)
        .filter(path__startswith=street.path, kind__in=DISPATCH_KINDS)
        .exclude(pk=case.owner_id)
        .defer("outline")  # 250 grid outlines weigh more than the rest of the page
        .order_by("depth", "kind", "name")[:500]
    )


def dispatch_people(case: Case) -> list[Any]:
    """Party members and volunteers in the case's street who may handle orders."""
    street = street_of(case.territory)
    rows = (
        Membership.objects.active()
        .filter(organisation__path__startswith=street.path, role__code__in=PERSON_ROLES)
        .select_related("user", "role")
        .order_by("role__code", "user__display_name")
    )
    seen: dict[int, Any] = {}
    for m in rows:
        if m.user.is_active and m.user_id not in seen:
            setattr(m.user, "role_name", m.role.name)  # noqa: B010
            seen[m.user_id] = m.user
    return list(seen.values())[:500]


def summon_orgs(case: Case) -> list[Organisation]:
    street = street_of(case.territory)
    return list(
        Organisation.objects.outside_door(TARGETS)
        .filter(path__startswith=street.path, kind__in=SUMMON_KINDS)
        .order_by("kind", "name")
    )


@dataclass(frozen=True)
class BuildingChoice:
    """A building a filer may pick: what the picker and the map show, nothing else."""

    pk: int
    name: str
    grid_name: str
    lat: float | None
    lon: float | None

    @classmethod
    def of(cls, b: Building) -> BuildingChoice:
        return cls(b.pk, b.name, b.grid.name if b.grid_id else "", b.lat, b.lon)


def _filer_buildings(user: Any, home: Building | None) -> QuerySet[Building] | None:
    """Buildings a filer may choose: their own street's (or the ones in their scope)."""
    paths: set[str] = set()
    if home is not None:
        paths.add(street_of(home.grid).path)
    mine = Membership.objects.active().filter(user=user).values("organisation_id")
    for org in Organisation.objects.outside_door(MEMBER_OF).filter(pk__in=mine):
        paths.add(street_of(org).path)
    if not paths:
        return None
    q = Q()
    for p in paths:
        q |= Q(grid__path__startswith=p)
    return Building.objects.outside_door(
        "the buildings of the filer's street, to say where the need is (names only)"
    ).filter(q)


def buildings_for(user: Any, home: Building | None) -> list[BuildingChoice]:
    """The picker's buildings, by name (the first 1,000), as plain rows: a street has
    hundreds, and a model instance each was most of the filing form's time. Kept in the
    figure cache until a building or organisation is written; what the user holds is in
    the key, as a membership may begin or end with the clock."""
    key = (*held_key(user), home.pk if home is not None else None)
    return remembered("cases:filer_buildings", key, lambda: _buildings_for(user, home))


def _buildings_for(user: Any, home: Building | None) -> list[BuildingChoice]:
    rows = _filer_buildings(user, home)
    if rows is None:
        return []
    fields = ("pk", "name", "grid__name", "lat", "lon")
    return [BuildingChoice(*row) for row in rows.order_by("name").values_list(*fields)[:1000]]


def building_for(user: Any, home: Building | None, raw: str) -> Building | None:
    """The building `raw` names if the filer may choose it (as `buildings_for` offers,
    their home among them), else None."""
    pk = parse_id(raw)
    if pk is None:
        return None
    if home is not None and home.pk == pk:
        return home
    rows = _filer_buildings(user, home)
    if rows is None:
        return None
    return (
        rows.select_related("grid")
        .defer("outline", "search_text", "grid__outline")
        .filter(pk=pk)
        .first()
    )
