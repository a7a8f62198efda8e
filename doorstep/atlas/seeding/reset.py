"""Removing a seeded subtree (重建演示数据), in an order the PROTECT foreign keys allow.

Users are kept (the append-only audit log may point at them); only their roles inside the
subtree go. The audit log itself is never touched.
"""

from __future__ import annotations

from django.db.models import Q

from doorstep.accounts.models import Membership
from doorstep.organisations.models import Organisation
from doorstep.people.models import CentralHousehold, HouseholdLink, PartyMember, Resident
from doorstep.places.models import Building, Compound, Household, Unit


def delete_subtree(root: Organisation) -> dict[str, int]:
    """Delete everything under `root` (and `root`); returns rows deleted per table."""
    path = root.path
    grid_q = Q(grid__path__startswith=path)
    done: dict[str, int] = {}

    def drop(label: str, qs: object) -> None:
        # only("pk"): the collector must not load (and decrypt) whole rows.
        done[label] = qs.only("pk").delete()[0]  # type: ignore[attr-defined]

    drop("membership", Membership.objects.filter(organisation__path__startswith=path))
    drop(
        "household_link",
        HouseholdLink.objects.filter(
            Q(household__grid__path__startswith=path)
            | Q(central__organisation__path__startswith=path)
        ),
    )
    drop("central_household", CentralHousehold.objects.filter(organisation__path__startswith=path))
    drop("party_member", PartyMember.objects.filter(resident__grid__path__startswith=path))
    drop("resident", Resident.objects.filter(grid_q))
    drop("household", Household.objects.filter(grid_q))
    drop("unit", Unit.objects.filter(building__grid__path__startswith=path))
    drop("building", Building.objects.filter(grid_q))
    drop("compound", Compound.objects.filter(community__path__startswith=path))
    orgs = Organisation.objects.filter(path__startswith=path)
    orgs.update(party_parent=None)
    depths = sorted(set(orgs.values_list("depth", flat=True)), reverse=True)
    done["organisation"] = 0
    for depth in depths:
        done["organisation"] += orgs.filter(depth=depth).only("pk").delete()[0]
    return done
