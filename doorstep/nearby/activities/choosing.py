"""What a publisher may pick: the areas, the organising body, the partner organisations.

Staff publish in their own area, for an organisation there (the community, its party
committee …). A co-building unit's or department's liaison publishes for the unit, in the
area the unit is paired with. Partners (协办) may be any organisation of those areas or any
co-building unit or department of the same district.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import ADMIN_KINDS, PARTY_KINDS, Organisation

from .services import TERRITORY_KINDS, UNIT_KINDS, unit_home

# These are choices offered to a publisher, not rows shown (core/access.py: outside_door).
CHOICES = "what a publisher may pick"


def own_units(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.outside_door(CHOICES).filter(
        pk__in=scope_of(user).node_ids, kind__in=UNIT_KINDS
    )


def _areas_q(user: Any) -> Q:
    scope = scope_of(user)
    if scope.everything:
        return Q()
    q = Q(pk__in=[])
    for p in scope.paths:
        q |= Q(path__startswith=p)
    for unit in own_units(user):
        q |= Q(path__startswith=unit_home(unit))
    return q


def territories(user: Any) -> QuerySet[Organisation]:
    return (
        Organisation.objects.outside_door(CHOICES)
        .filter(_areas_q(user), kind__in=TERRITORY_KINDS)
        .order_by("path")
    )


def organisers(user: Any) -> QuerySet[Organisation]:
    scope = scope_of(user)
    if scope.everything or scope.paths:
        in_scope = Q(pk__in=[])
        for p in scope.paths:
            in_scope |= Q(path__startswith=p)
        if scope.everything:
            in_scope = Q()
        return (
            Organisation.objects.outside_door(CHOICES)
            .filter((in_scope & Q(kind__in=ADMIN_KINDS | PARTY_KINDS)) | Q(pk__in=scope.node_ids))
            .order_by("path")
        )
    return own_units(user).order_by("path")


def partners(user: Any) -> QuerySet[Organisation]:
    scope = scope_of(user)
    districts = {"/" + p.strip("/").split("/")[0] + "/" for p in scope.paths if p.strip("/")}
    districts |= {
        "/" + u.path.strip("/").split("/")[0] + "/" for u in own_units(user) if u.path.strip("/")
    }
    units = Q(pk__in=[])
    for d in districts:
        units |= Q(path__startswith=d, kind__in=UNIT_KINDS)
    if scope.everything:
        units = Q(kind__in=UNIT_KINDS)
    nearby = _areas_q(user) & Q(kind__in=ADMIN_KINDS | PARTY_KINDS) & ~Q(kind="grid")
    return (
        Organisation.objects.outside_door(CHOICES).filter(units | nearby).order_by("kind", "path")
    )
