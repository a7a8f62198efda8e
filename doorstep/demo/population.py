"""Synthetic residents (居民): names, ID-card numbers, phones, families, vulnerable tags.

Everything draws from one seeded `random.Random`, so a seed always builds the same people.
Names come from Faker's zh_CN surname and given-name lists (surnames weighted by
frequency), drawn directly: calling Faker per person is ten times slower.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from faker.providers.person.zh_CN import Provider as ZhNames

from doorstep.atlas.people.models import Relation, ResidenceType, Resident
from doorstep.atlas.places.models import Household, Tenure
from doorstep.core.crypto import lookup_hash
from doorstep.core.idcard import check_digit

from .common import REFERENCE_DATE, cached_search_text

# Where people registered elsewhere come from (prefecture-level district codes).
ELSEWHERE = (
    "130102", "130602", "140105", "210102", "230102", "320102", "330106", "340104",
    "360102", "370102", "410105", "420106", "430102", "510107", "610113", "620102",
)  # fmt: skip
_SURNAMES = list(ZhNames.last_names)
_SURNAME_CUMULATIVE = list(accumulate(float(w) for w in ZhNames.last_names.values()))
_MALE = list(ZhNames.first_names_male)
_FEMALE = list(ZhNames.first_names_female)


@dataclass
class Person:
    """One resident before it is written: plain values, numbers in clear."""

    name: str
    gender: str
    birth: dt.date
    relation: str
    residence_type: str
    id_card: str
    phone: str
    tags: list[str] = field(default_factory=list)

    @property
    def age(self) -> int:
        return age_on(self.birth, REFERENCE_DATE)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class PeopleMaker:
    """Makes plausible households of people for one place (its own region code)."""

    def __init__(
        self, rng: random.Random, home_region: str, taken_hashes: frozenset[str] = frozenset()
    ) -> None:
        self.rng = rng
        self.home_region = home_region
        self.used_ids: set[str] = set()
        # Lookup hashes of numbers already in the database (another preset, real entries).
        self.taken_hashes = taken_hashes

    def name(self, gender: str) -> str:
        surname = self.rng.choices(_SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]
        return surname + self.rng.choice(_MALE if gender == "M" else _FEMALE)

    def birth(self, age: int) -> dt.date:
        year = REFERENCE_DATE.year - age - 1
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def id_number(self, birth: dt.date, gender: str, region: str) -> str:
        """A valid, unused 18-digit number (GB 11643) for this birth date and gender."""
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if gender == "M" else 0)
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_digit(first17)
            if number in self.used_ids:
                continue
            if self.taken_hashes and lookup_hash(number) in self.taken_hashes:
                continue
            self.used_ids.add(number)
            return number

    def phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    def _residence(self, tenure: str) -> str:
        r = self.rng.random()
        if tenure == Tenure.RENTED:
            return ResidenceType.TENANT if r < 0.8 else ResidenceType.FLOATING
        return ResidenceType.REGISTERED if r < 0.88 else ResidenceType.FLOATING

    def person(self, age: int, gender: str, relation: str, residence: str) -> Person:
        birth = self.birth(age)
        region = (
            self.home_region
            if residence == ResidenceType.REGISTERED
            else self.rng.choice(ELSEWHERE)
        )
        has_phone = age >= 14 and self.rng.random() < 0.93
        return Person(
            name=self.name(gender),
            gender=gender,
            birth=birth,
            relation=relation,
            residence_type=residence,
            id_card=self.id_number(birth, gender, region),
            phone=self.phone() if has_phone else "",
        )

    def household(self, tenure: str, size: int) -> list[Person]:
        """A family of `size` people living in a home of this tenure."""
        rng = self.rng
        residence = self._residence(tenure)
        head_age = int(rng.triangular(24, 88, 52))
        head_gender = "M" if rng.random() < 0.6 else "F"
        people = [self.person(head_age, head_gender, Relation.HEAD, residence)]
        if size >= 2:
            if rng.random() < 0.75:
                age = max(20, head_age + rng.randint(-5, 5))
                other = "F" if head_gender == "M" else "M"
                people.append(self.person(age, other, Relation.SPOUSE, residence))
            else:
                people.append(self._child(head_age, residence))
        while len(people) < size:
            if head_age < 45 and rng.random() < 0.3:
                age = min(95, head_age + rng.randint(24, 32))
                gender = rng.choice("MF")
                people.append(self.person(age, gender, Relation.PARENT, residence))
            else:
                people.append(self._child(head_age, residence))
        self._tag(people)
        return people

    def _child(self, head_age: int, residence: str) -> Person:
        age = max(0, head_age - self.rng.randint(22, 36))
        return self.person(age, self.rng.choice("MF"), Relation.CHILD, residence)

    def _tag(self, people: list[Person]) -> None:
        """Vulnerable-group tags (重点人群) at rates a community ledger might show."""
        rng = self.rng
        ages = [p.age for p in people]
        if len(people) == 1 and ages[0] >= 70 and rng.random() < 0.8:
            people[0].tags.append("elderly_alone")
        elif len(people) == 2 and min(ages) >= 60 and rng.random() < 0.6:
            for p in people:
                p.tags.append("empty_nest")
        for p in people:
            r = rng.random()
            if r < 0.015:
                p.tags.append("disabled")
            elif r < 0.025 and p.age >= 18:
                p.tags.append("subsistence")
            elif r < 0.032 and p.age >= 18:
                p.tags.append("serious_illness")
            elif r < 0.035 and p.age >= 18:
                p.tags.append("special_hardship")
            if p.gender == "M" and p.age >= 40 and rng.random() < 0.03:
                p.tags.append("veteran")
        adults = [a for a in ages if a >= 18]
        for p in people:
            # Children living with grandparents only: parents work elsewhere.
            if p.age < 16 and adults and min(adults) >= 55 and rng.random() < 0.5:
                p.tags.append("left_behind_child")


def homes_by_grid(grids: Sequence[Any]) -> dict[int, list[tuple[int, str]]]:
    """Households of these grids as (id, tenure), in the order they were inserted."""
    out: dict[int, list[tuple[int, str]]] = {}
    rows = Household.objects.filter(grid__in=grids).order_by("id")
    for hid, grid_id, kind in rows.values_list("id", "grid_id", "tenure").iterator(
        chunk_size=10_000
    ):
        out.setdefault(grid_id, []).append((hid, kind))
    return out


def taken_id_hashes() -> frozenset[str]:
    """The lookup hashes of every ID-card number already registered."""
    rows = Resident.objects.exclude(id_card_hash=None).values_list("id_card_hash", flat=True)
    return frozenset(h for h in rows.iterator(chunk_size=10_000) if h)


def household_size(rng: random.Random) -> int:
    """How many people live in an occupied home (mean about 2.65)."""
    return rng.choices((1, 2, 3, 4), weights=(15, 30, 30, 25))[0]


def tenure(rng: random.Random) -> str:
    """自住 / 出租 / 空置, in the mix of an older Beijing neighbourhood."""
    return rng.choices((Tenure.OWNER, Tenure.RENTED, Tenure.VACANT), weights=(70, 24, 6))[0]


def resident_row(person: Person, *, household_id: int, grid_id: int) -> dict[str, Any]:
    """A resident row for fast_insert, with every derived field the service would fill."""
    return {
        "household_id": household_id,
        "grid_id": grid_id,
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth,
        "id_card": person.id_card,
        "id_card_hash": lookup_hash(person.id_card),
        "id_last4": person.id_card[-4:],
        "phone": person.phone,
        "phone_hash": lookup_hash(person.phone) if person.phone else "",
        "phone_last4": person.phone[-4:] if person.phone else "",
        "residence_type": person.residence_type,
        "relation": person.relation,
        # No tags is stored as NULL: one Fernet token fewer per resident.
        "tags": sorted(set(person.tags)) or None,
        "search_text": cached_search_text(person.name),
    }
