"""One-row writes of households, party members, central households and their links (the
back office, the test world): the one door for them, each keeping the population
counters (people.tallies) in its own transaction. Bulk paths (the ledger import, the demo
seeding) count their batches themselves; nothing is counted by a signal."""

from __future__ import annotations

from django.db import transaction

from doorstep.accounts.typing import Actor
from doorstep.atlas.places.models import Household

from . import tallies
from .models import CentralHousehold, HouseholdLink, PartyMember, Resident


def _resident_grid(resident_id: int) -> int:
    return Resident.objects.filter(pk=resident_id).values_list("grid_id", flat=True).get()


def _household_grid(household_id: int) -> int:
    return Household.objects.filter(pk=household_id).values_list("grid_id", flat=True).get()


@transaction.atomic
def save_household(*, household: Household, actor: Actor | None = None) -> Household:
    """Register a household (户) or change its tenure; its grid is its building's."""
    before = (
        Household.objects.filter(pk=household.pk).values_list("grid_id", "tenure").first()
        if household.pk
        else None
    )
    household.grid_id = household.unit.building.grid_id
    household.save()
    count_household(household, before)
    return household


def count_household(household: Household, before: tuple[int, str] | None) -> None:
    """Count a household saved as it is now, having been counted as `before` (grid,
    tenure; None if new): its tenure, and its link when it moved to another grid. Called
    in the write's transaction (save_household, people.services.move_household)."""
    now = (household.grid_id, household.tenure)
    if before == now:
        return
    if before is not None:
        tallies.households([before], -1)
    tallies.households([now])
    if (
        before is not None
        and before[0] != now[0]
        and HouseholdLink.objects.filter(household_id=household.pk).exists()
    ):
        tallies.links([before[0]], -1)
        tallies.links([now[0]])


@transaction.atomic
def delete_household(*, household: Household, actor: Actor | None = None) -> None:
    """Remove an empty household (its residents protect it), with its link if it has one."""
    counted = (household.grid_id, household.tenure)
    linked = HouseholdLink.objects.filter(household_id=household.pk).count()
    household.delete()  # ProtectedError while residents live there
    tallies.households([counted], -1)
    tallies.links([counted[0]] * linked, -1)


@transaction.atomic
def save_party_member(*, member: PartyMember, actor: Actor | None = None) -> PartyMember:
    """Record a party member (党员) or change one; counted under the resident's grid."""
    before = (
        PartyMember.objects.filter(pk=member.pk).values_list("resident_id", flat=True).first()
        if member.pk
        else None
    )
    member.save()
    if before != member.resident_id:
        if before is not None:
            tallies.members([_resident_grid(before)], -1)
        tallies.members([_resident_grid(member.resident_id)])
    return member


@transaction.atomic
def delete_party_member(*, member: PartyMember, actor: Actor | None = None) -> None:
    """Remove a party member's record (the resident stays)."""
    grid_id = _resident_grid(member.resident_id)
    member.delete()  # ProtectedError while they keep a central household
    tallies.members([grid_id], -1)


@transaction.atomic
def save_link(*, link: HouseholdLink, actor: Actor | None = None) -> HouseholdLink:
    """Link a household to a central household (联户), or move the link to another one."""
    before = (
        HouseholdLink.objects.filter(pk=link.pk).values_list("household_id", flat=True).first()
        if link.pk
        else None
    )
    link.save()
    if before != link.household_id:
        if before is not None:
            tallies.links([_household_grid(before)], -1)
        tallies.links([_household_grid(link.household_id)])
    return link


@transaction.atomic
def delete_link(*, link: HouseholdLink, actor: Actor | None = None) -> None:
    grid_id = _household_grid(link.household_id)
    link.delete()
    tallies.links([grid_id], -1)


@transaction.atomic
def delete_central_household(*, central: CentralHousehold, actor: Actor | None = None) -> None:
    """Remove a central household (党员中心户) with its links."""
    grids = list(central.links.values_list("household__grid_id", flat=True))
    central.delete()
    tallies.links(grids, -1)
