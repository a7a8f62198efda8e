"""Search across the governance map, forgiving script and spelling, always scoped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Building, Compound
from doorstep.core.crypto import lookup_hash
from doorstep.core.search import digits_query, normalise_query

LIMIT = 10  # rows of each kind on the overview; "全部" pages through the rest
KINDS = ("residents", "buildings", "compounds", "organisations")
KIND_LABELS = {
    "residents": "居民",
    "buildings": "楼栋",
    "compounds": "小区",
    "organisations": "组织",
}


@dataclass(frozen=True)
class Results:
    """The first rows of each kind and the true number of matches of each."""

    residents: list[Resident]
    buildings: list[Building]
    compounds: list[Compound]
    organisations: list[Organisation]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def resident_matches(user: Any, query: str) -> Any:
    """Residents by name (simplified/traditional/pinyin/initials), address, or number tail."""
    qs = Resident.objects.visible_to(user)
    tail = digits_query(query)
    if tail:
        cond = Q(id_last4=tail) | Q(phone_last4=tail)
        digits = query.strip().upper()
        if len(digits) == 18:
            cond |= Q(id_card_hash=lookup_hash(digits))
        elif len(digits) == 11:
            cond |= Q(phone_hash=lookup_hash(digits))
        return qs.filter(cond)
    needle = normalise_query(query)
    return qs.filter(
        Q(search_text__contains=needle) | Q(household__unit__building__search_text__contains=needle)
    )


def matches(user: Any, query: str, kind: str) -> Any:
    """Every match of one kind, in a stable order (what a page of "全部" reads)."""
    if kind == "residents":
        return resident_matches(user, query).select_related("household__unit__building")
    qs = {
        "buildings": Building.objects,
        "compounds": Compound.objects,
        "organisations": Organisation.objects,
    }[kind].visible_to(user)
    if digits_query(query):  # a number names people only
        return qs.none()
    qs = qs.filter(search_text__contains=normalise_query(query))
    return qs if qs.ordered else qs.order_by("pk")


def search_all(user: Any, query: str, limit: int = LIMIT) -> Results:
    """Everything the user may see that matches (each kind through the access door): the
    first `limit` of each kind and how many there are in all."""
    found: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    for kind in KINDS:
        qs = matches(user, query, kind)
        found[kind] = list(qs[:limit])
        counts[kind] = len(found[kind]) if len(found[kind]) < limit else qs.count()
    return Results(**found, counts=counts)
