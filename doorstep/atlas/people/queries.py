"""Live counts over the governance map (subtree figures for the organisation tree).

Every figure is computed per grid by three GROUP BY queries (buildings; households with
their links; residents with their party memberships), restricted to the subtree's grids,
then summed up the tree in Python along each row's materialised path. The tree of a whole
district is a handful of indexed queries, never a walk node by node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from django.db import connection
from django.db.models import Count

from doorstep.atlas.organisations.models import BRANCH_KINDS, Kind, Organisation
from doorstep.atlas.places.models import Building, Household

from .models import PartyMember, Resident


@dataclass
class Counts:
    """Figures for one subtree of the organisation tree."""

    communities: int = 0
    grids: int = 0
    grids_with_branch: int = 0
    grids_with_party_group: int = 0
    buildings: int = 0
    households: int = 0
    households_linked: int = 0
    residents: int = 0
    by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    party_members: int = 0
    party_organisations: int = 0
    party_branches: int = 0
    central_households: int = 0
    # For party organisations: members whose relationship (组织关系) is held here or in a
    # subordinate party organisation, and how many subordinate organisations there are.
    org_members: int = 0
    org_descendants: int = 0

    def add(self, other: Counts) -> None:
        for name in SUMMED_FIELDS:
            value = getattr(other, name)
            if value:  # most of a grid's figures are nought when read from the counters
                setattr(self, name, getattr(self, name) + value)
        for k, v in other.by_type.items():
            self.by_type[k] += v

    @property
    def grids_without_branch(self) -> int:
        return self.grids - self.grids_with_branch


# Figures that add up from grids to their ancestors (the party-chain ones are set per node).
SUMMED_FIELDS = tuple(
    f.name for f in fields(Counts) if f.type == "int" and not f.name.startswith("org_")
)


def _per_grid(root_path: str, residents: bool = True) -> dict[int, Counts]:
    """Per grid: buildings always; households, links, residents and members unless
    residents=False (those then come from the population counters)."""
    # Filter on "grid_id IN (grids of the subtree)", not on a join to the grid's path: the
    # database then seeks the subtree's grids in each table's grid index, instead of
    # scanning every row of the district and looking its grid up (SQLite chose the scan,
    # and a street's counts cost as much as the whole district's).
    grids = Organisation.objects.filter(path__startswith=root_path, kind=Kind.GRID).values("id")
    per: dict[int, Counts] = defaultdict(Counts)
    for row in Building.objects.filter(grid_id__in=grids).values("grid_id").annotate(n=Count("id")):
        per[row["grid_id"]].buildings = row["n"]
    if not residents:
        return per
    # Links and memberships are one-to-one: counted on the same pass as their parent rows.
    households = Household.objects.filter(grid_id__in=grids).values("grid_id")
    for row in households.annotate(n=Count("id"), linked=Count("link")):
        c = per[row["grid_id"]]
        c.households = row["n"]
        c.households_linked = row["linked"]
    rows = Resident.objects.filter(grid_id__in=grids).values("grid_id", "residence_type")
    for row in rows.annotate(n=Count("id"), members=Count("party_member")):
        c = per[row["grid_id"]]
        c.residents += row["n"]
        c.by_type[row["residence_type"]] += row["n"]
        c.party_members += row["members"]
    return per


# Kinds that are not party organisations (for the party_organisations figure).
_NOT_PARTY = frozenset(
    {
        Kind.DISTRICT,
        Kind.STREET,
        Kind.COMMUNITY,
        Kind.GRID,
        Kind.DEPARTMENT,
        Kind.CO_BUILDING,
        Kind.CENTRAL_HOUSEHOLD,
    }
)


def subtree_counts(
    root: Organisation, nodes: Iterable[Organisation], *, from_counters: bool = False
) -> dict[int, Counts]:
    """Counts for each of `nodes` (all inside `root`'s subtree), keyed by node id.

    With from_counters=True the passes over the households and residents are skipped and those
    figures (households, households_linked, residents, by_type, party_members) come from each
    node's population counters instead (people.tallies): one small read, whatever the size."""
    result: dict[int, Counts] = {node.pk: Counts() for node in nodes}
    if from_counters:
        per_grid: dict[int, Counts] = defaultdict(Counts)
        orgs: list[tuple[Any, ...]] = []
        for oid, kind, path, parent_id, n in _tree_with_buildings(root.path):
            orgs.append((oid, kind, path, parent_id))
            if n:
                per_grid[oid].buildings = n
    else:
        per_grid = _per_grid(root.path)
        orgs = list(
            Organisation.objects.under(root)
            .order_by()
            .values_list("id", "kind", "path", "parent_id")
        )

    def owners(path: str) -> list[Counts]:
        # A row counts for every asked-for node on its materialised path (itself included).
        return [result[int(x)] for x in path.strip("/").split("/") if int(x) in result]

    # Per-grid figures that come from the organisation tree itself.
    for _, kind, _, parent_id in orgs:
        if kind == Kind.GRID_BRANCH:
            per_grid[parent_id].grids_with_branch = 1
        elif kind == Kind.PARTY_GROUP:
            per_grid[parent_id].grids_with_party_group = 1
    for oid, kind, path, _ in orgs:
        totals = owners(path)
        if not totals:
            continue
        grid = per_grid.get(oid) if kind == Kind.GRID else None
        branch = kind in BRANCH_KINDS or kind == Kind.GENERAL_BRANCH
        party = kind not in _NOT_PARTY
        for total in totals:
            if grid is not None:
                total.add(grid)
            if kind == Kind.COMMUNITY:
                total.communities += 1
            elif kind == Kind.GRID:
                total.grids += 1
            elif kind == Kind.CENTRAL_HOUSEHOLD:
                total.central_households += 1
            total.party_branches += branch
            total.party_organisations += party
    if from_counters:
        _from_counters(result)
    _add_party_chain(result, [n for n in nodes if n.is_party])
    return result


def _tree_with_buildings(root_path: str) -> list[tuple[int, str, str, int | None, int]]:
    """(id, kind, path, parent, buildings) of every organisation under `root_path`, the
    buildings counted per organisation through the building table's grid index.

    Hand-written: as the ORM's correlated subquery, compiling the statement cost twice
    what the database took to answer it (the organisation page asks on every view). A
    path holds digits and slashes only, so it needs no LIKE escaping."""
    org = connection.ops.quote_name(Organisation._meta.db_table)
    building = connection.ops.quote_name(Building._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.id, o.kind, o.path, o.parent_id,"
            f" (SELECT COUNT(*) FROM {building} b WHERE b.grid_id = o.id)"
            f" FROM {org} o WHERE o.path LIKE %s",
            [root_path + "%"],
        )
        return cursor.fetchall()


def _from_counters(result: dict[int, Counts]) -> None:
    """Residents by type, party members, households and linked households of each asked
    node, read from its population counters (one query for all nodes)."""
    from .counters import Dimension, PopulationTally

    # hand-written, as _tree_with_buildings: the ORM's statement cost more to build than
    # the counters cost to read
    ids = list(result)
    if not ids:  # `IN ()` is an error on PostgreSQL (a leaf's children are none)
        return
    dimensions = [Dimension.TYPE, Dimension.MEMBER, Dimension.TENURE, Dimension.LINKED]
    table = connection.ops.quote_name(PopulationTally._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organisation_id, dimension, {connection.ops.quote_name('key')}, n"
            f" FROM {table} WHERE organisation_id IN ({', '.join(['%s'] * len(ids))})"
            f" AND dimension IN ({', '.join(['%s'] * len(dimensions))})",
            [*ids, *[str(d) for d in dimensions]],
        )
        rows = cursor.fetchall()
    for org_id, dimension, key, n in rows:
        if not n:
            continue
        c = result[org_id]
        if dimension == Dimension.TYPE:
            c.residents += n
            c.by_type[key] += n
        elif dimension == Dimension.MEMBER:
            c.party_members += n
        elif dimension == Dimension.TENURE:
            c.households += n
        else:
            c.households_linked += n


def _add_party_chain(result: dict[int, Counts], party_nodes: list[Organisation]) -> None:
    """Fill org_members/org_descendants: each party node's chain (its party organisations
    down the party_parent links) walked by the database in one recursive query, with the
    members of the organisations on it. UNION drops a row already reached, so a cycle (a
    data error) ends the walk instead of looping."""
    if not party_nodes:
        return
    org = connection.ops.quote_name(Organisation._meta.db_table)
    member = connection.ops.quote_name(PartyMember._meta.db_table)
    roots = [node.pk for node in party_nodes]
    not_party = sorted(_NOT_PARTY)
    sql = (
        "WITH RECURSIVE chain(root, id) AS ("
        f" SELECT id, id FROM {org} WHERE id IN ({', '.join(['%s'] * len(roots))})"
        f" UNION SELECT chain.root, o.id FROM {org} o JOIN chain ON o.party_parent_id = chain.id"
        f" WHERE o.kind NOT IN ({', '.join(['%s'] * len(not_party))})"
        ") SELECT chain.root, COUNT(DISTINCT chain.id), COUNT(m.id) FROM chain"
        f" LEFT JOIN {member} m ON m.organisation_id = chain.id GROUP BY chain.root"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*roots, *not_party])
        for root_id, reached, members in cursor.fetchall():
            result[root_id].org_descendants = reached - 1
            result[root_id].org_members = members
