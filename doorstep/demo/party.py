"""Party organisations on the grids, party members, central households and their links.

支部建在网格上: most grids get a grid branch (网格党支部); a few only a party group (党小组),
so coverage figures have something to show. Members whose relationship (组织关系) is here
belong to their grid's branch, or to the community party committee where the grid has no
branch. In-service members (在职党员) keep theirs at their work unit and report to the
community they live in (双报到). A central household (党员中心户) keeps in touch with the
households around it (联户).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import (
    CentralHousehold,
    HouseholdLink,
    PartyMember,
    PartyStatus,
    ResidenceType,
    Resident,
)
from doorstep.atlas.places.models import Household

from .common import REFERENCE_DATE, bulk_insert
from .population import age_on


@dataclass
class GridParty:
    """The party organisations that sit on one grid."""

    grid: Organisation
    committee: Organisation  # the community party committee (社区党委)
    community: Organisation
    branch: Organisation | None = None
    group: Organisation | None = None

    @property
    def superior(self) -> Organisation:
        """Party superior of central households and building groups on this grid."""
        return self.branch or self.group or self.committee

    @property
    def home_org(self) -> Organisation:
        """Where a resident member's relationship sits (a branch, else the committee)."""
        return self.branch or self.committee


@dataclass(frozen=True)
class Candidate:
    """An adult resident who might be a party member."""

    resident_id: int
    household_id: int
    grid_id: int
    name: str
    age: int
    floating: bool


def adult_candidates(grids: Sequence[Organisation]) -> dict[int, Candidate]:
    """Adult residents of these grids, read back after the residents were inserted."""
    rows = (
        Resident.objects.filter(grid__in=grids)
        .order_by("id")
        .values_list("id", "household_id", "grid_id", "name", "birth_date", "residence_type")
    )
    out: dict[int, Candidate] = {}
    for rid, hid, gid, name, birth, kind in rows.iterator(chunk_size=5000):
        if birth is None:
            continue
        age = age_on(birth, REFERENCE_DATE)
        if age >= 18:
            out[rid] = Candidate(rid, hid, gid, name, age, kind == ResidenceType.FLOATING)
    return out


def grid_party(
    grid: Organisation,
    *,
    committee: Organisation,
    community: Organisation,
    with_branch: bool,
    secretary: str,
) -> GridParty:
    """Create the grid's branch (or, for a few grids, only a party group)."""
    if with_branch:
        branch = create_organisation(
            name=f"{grid.name}党支部",
            kind=Kind.GRID_BRANCH,
            parent=grid,
            party_parent=committee,
            secretary=secretary,
            lat=grid.lat,
            lon=grid.lon,
        )
        return GridParty(grid, committee, community, branch=branch)
    group = create_organisation(
        name=f"{grid.name}党小组",
        kind=Kind.PARTY_GROUP,
        parent=grid,
        party_parent=committee,
        secretary=secretary,
        lat=grid.lat,
        lon=grid.lon,
    )
    return GridParty(grid, committee, community, group=group)


def _joined(rng: random.Random, age: int, status: str) -> dt.date | None:
    if status == PartyStatus.ACTIVIST:
        return None
    if status == PartyStatus.PROBATIONARY:
        return REFERENCE_DATE - dt.timedelta(days=rng.randrange(30, 360))
    years_member = rng.randint(1, max(1, age - 19))
    return REFERENCE_DATE - dt.timedelta(days=365 * years_member + rng.randrange(365))


def make_members(
    rng: random.Random,
    chosen: Sequence[Candidate],
    *,
    parties: dict[int, GridParty],
    work_units: Sequence[str],
) -> list[PartyMember]:
    """Write party members for the chosen residents; returns them with ids."""
    rows = []
    for c in chosen:
        party = parties[c.grid_id]
        status = rng.choices(
            (PartyStatus.FORMAL, PartyStatus.PROBATIONARY, PartyStatus.ACTIVIST),
            weights=(85, 7, 8),
        )[0]
        if c.age < 19 and status == PartyStatus.FORMAL:
            status = PartyStatus.PROBATIONARY
        member = PartyMember(
            resident_id=c.resident_id,
            status=status,
            joined_on=_joined(rng, c.age, status),
            mobile=c.floating and rng.random() < 0.3,
        )
        if 23 <= c.age <= 60 and rng.random() < 0.35:
            unit = rng.choice(work_units)
            member.in_service = True
            member.work_unit = unit
            member.external_organisation = f"{unit}党委"
            if rng.random() < 0.85:
                member.reported_community = party.community
                member.reported_on = REFERENCE_DATE - dt.timedelta(days=rng.randrange(30, 1500))
        else:
            member.organisation = party.home_org
        rows.append(member)
    written = bulk_insert(PartyMember, rows)  # bulk: no signals, so counted here
    tallies.members(c.grid_id for c in chosen)
    return written


def building_groups(
    rng: random.Random, party: GridParty, buildings: Sequence[tuple[int, str]]
) -> dict[int, Organisation]:
    """A 楼栋党小组 on one or two buildings of a grid with a branch; building id → group."""
    if party.branch is None or not buildings:
        return {}
    covered: dict[int, Organisation] = {}
    picks = rng.sample(list(buildings), k=min(len(buildings), rng.randint(1, 2)))
    for building_id, name in picks:
        covered[building_id] = create_organisation(
            name=f"{name}党小组",
            kind=Kind.BUILDING_GROUP,
            parent=party.grid,
            party_parent=party.branch,
        )
    return covered


def _nearest_free(order: list[int], start: int, taken: set[int], k: int) -> list[int]:
    """Up to k households closest to position `start` in `order` that nobody keeps yet."""
    picked: list[int] = []
    for step in range(1, len(order)):
        for pos in (start + step, start - step):
            if 0 <= pos < len(order) and order[pos] not in taken and len(picked) < k:
                picked.append(order[pos])
        if len(picked) >= k:
            break
    return picked


def central_households(
    rng: random.Random,
    members: Sequence[PartyMember],
    *,
    candidates: dict[int, Candidate],
    parties: dict[int, GridParty],
    per_grid: dict[int, int],
    households: dict[int, list[int]],
    links: tuple[int, int] | None,
) -> list[CentralHousehold]:
    """党员中心户 per grid, each linked to nearby households of the same grid.

    `households[grid]` lists the grid's households in walking order (building, unit, room);
    `links` is how many each central household keeps in touch with, or None for all of the
    grid's households shared out among its central households.
    """
    by_grid: dict[int, list[PartyMember]] = defaultdict(list)
    for m in members:
        if m.status == PartyStatus.FORMAL:
            by_grid[candidates[m.resident_id].grid_id].append(m)
    centrals: list[CentralHousehold] = []
    link_rows: list[HouseholdLink] = []
    for grid_id in sorted(per_grid):
        order = households.get(grid_id, [])
        position = {h: i for i, h in enumerate(order)}
        keepers: list[PartyMember] = []
        seen: set[int] = set()
        pool = sorted(by_grid[grid_id], key=lambda m: (m.in_service, m.resident_id))
        for m in pool:
            home = candidates[m.resident_id].household_id
            if home not in seen and len(keepers) < per_grid[grid_id]:
                keepers.append(m)
                seen.add(home)
        keepers.sort(key=lambda m: position.get(candidates[m.resident_id].household_id, 0))
        party = parties[grid_id]
        grid_centrals = []
        for keeper in keepers:
            cand = candidates[keeper.resident_id]
            org = create_organisation(
                name=f"{cand.name}党员中心户",
                kind=Kind.CENTRAL_HOUSEHOLD,
                parent=party.grid,
                party_parent=party.superior,
            )
            grid_centrals.append(
                CentralHousehold(organisation=org, household_id=cand.household_id, keeper=keeper)
            )
        grid_centrals = bulk_insert(CentralHousehold, grid_centrals)
        centrals.extend(grid_centrals)
        taken = {c.household_id for c in grid_centrals}
        if links is None:
            rest = [h for h in order if h not in taken]
            # Contiguous runs, not every n-th household: a keeper's households are neighbours.
            size = -(-len(rest) // max(1, len(grid_centrals)))
            share = [rest[i * size : (i + 1) * size] for i in range(len(grid_centrals))]
        else:
            share = []
            for c in grid_centrals:
                picked = _nearest_free(
                    order, position.get(c.household_id, 0), taken, rng.randint(*links)
                )
                taken.update(picked)
                share.append(picked)
        for c, kept in zip(grid_centrals, share, strict=True):
            since = REFERENCE_DATE - dt.timedelta(days=rng.randrange(60, 1200))
            link_rows.extend(HouseholdLink(central=c, household_id=h, since=since) for h in kept)
    bulk_insert(HouseholdLink, link_rows)  # bulk: no signals, so counted here
    linked = Household.objects.filter(pk__in=[r.household_id for r in link_rows])
    tallies.links(linked.values_list("grid_id", flat=True))
    return centrals
