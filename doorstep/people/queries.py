"""Live counts over the governance map (subtree figures for the organisation tree).

Every figure is computed per grid with one GROUP BY per table, restricted to the subtree
by materialised path, then summed up the tree in Python. The tree of a whole district is a
handful of indexed queries, never a walk node by node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count

from doorstep.organisations.models import BRANCH_KINDS, Kind, Organisation
from doorstep.places.models import Building, Household

from .models import HouseholdLink, PartyMember, Resident


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

    def add(self, other: Counts) -> None:
        for name in (
            "communities",
            "grids",
            "grids_with_branch",
            "grids_with_party_group",
            "buildings",
            "households",
            "households_linked",
            "residents",
            "party_members",
            "party_organisations",
            "party_branches",
            "central_households",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.by_type.items():
            self.by_type[k] += v

    @property
    def grids_without_branch(self) -> int:
        return self.grids - self.grids_with_branch


def _per_grid(root_path: str) -> dict[int, Counts]:
    per: dict[int, Counts] = defaultdict(Counts)
    under = {"grid__path__startswith": root_path}
    for row in Building.objects.filter(**under).values("grid_id").annotate(n=Count("id")):
        per[row["grid_id"]].buildings = row["n"]
    for row in Household.objects.filter(**under).values("grid_id").annotate(n=Count("id")):
        per[row["grid_id"]].households = row["n"]
    linked = HouseholdLink.objects.filter(household__grid__path__startswith=root_path)
    for row in linked.values("household__grid_id").annotate(n=Count("id")):
        per[row["household__grid_id"]].households_linked = row["n"]
    residents = Resident.objects.filter(**under).values("grid_id", "residence_type")
    for row in residents.annotate(n=Count("id")):
        c = per[row["grid_id"]]
        c.residents += row["n"]
        c.by_type[row["residence_type"]] += row["n"]
    members = PartyMember.objects.filter(resident__grid__path__startswith=root_path)
    for row in members.values("resident__grid_id").annotate(n=Count("id")):
        per[row["resident__grid_id"]].party_members = row["n"]
    return per


def subtree_counts(root: Organisation, nodes: Iterable[Organisation]) -> dict[int, Counts]:
    """Counts for each of `nodes` (all inside `root`'s subtree), keyed by node id."""
    nodes = list(nodes)
    per_grid = _per_grid(root.path)
    orgs = list(
        Organisation.objects.under(root).values_list("id", "kind", "path", "parent_id")
    )
    path_of = {oid: path for oid, _, path, _ in orgs}
    # Per-grid figures that come from the organisation tree itself.
    for _, kind, _path, parent_id in orgs:
        if parent_id in per_grid or kind in {Kind.GRID_BRANCH, Kind.PARTY_GROUP}:
            if kind == Kind.GRID_BRANCH:
                per_grid[parent_id].grids_with_branch = 1
            elif kind == Kind.PARTY_GROUP:
                per_grid[parent_id].grids_with_party_group = 1
    result: dict[int, Counts] = {}
    for node in nodes:
        total = Counts()
        for gid, c in per_grid.items():
            gpath = path_of.get(gid)
            if gpath and gpath.startswith(node.path):
                total.add(c)
        for _, kind, path, _ in orgs:
            if not path.startswith(node.path):
                continue
            if kind == Kind.COMMUNITY:
                total.communities += 1
            elif kind == Kind.GRID:
                total.grids += 1
            elif kind == Kind.CENTRAL_HOUSEHOLD:
                total.central_households += 1
            if kind in BRANCH_KINDS or kind == Kind.GENERAL_BRANCH:
                total.party_branches += 1
            if kind not in {Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY, Kind.GRID,
                            Kind.DEPARTMENT, Kind.CO_BUILDING, Kind.CENTRAL_HOUSEHOLD}:
                total.party_organisations += 1
        result[node.pk] = total
    return result
