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

LIMIT = 50


@dataclass(frozen=True)
class Results:
    residents: list[Resident]
    buildings: list[Building]
    compounds: list[Compound]
    organisations: list[Organisation]

    @property
    def total(self) -> int:
        return (
            len(self.residents)
            + len(self.buildings)
            + len(self.compounds)
            + len(self.organisations)
        )


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


def search_all(user: Any, query: str) -> Results:
    """Everything the user may see that matches (each kind through the access door)."""
    needle = normalise_query(query)
    matches = resident_matches(user, query).select_related("household__unit__building")
    residents = list(matches[:LIMIT])
    if digits_query(query):
        return Results(residents, [], [], [])

    def find(model: Any) -> list[Any]:
        return list(model.objects.visible_to(user).filter(search_text__contains=needle)[:LIMIT])

    return Results(
        residents=residents,
        buildings=find(Building),
        compounds=find(Compound),
        organisations=find(Organisation),
    )
