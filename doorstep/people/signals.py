"""Party members, households and household links counted as they come and go one row at a
time (the admin, the ledger pages, moving a household, the test world, a cascade). Bulk
inserts call `tallies.members`, `tallies.households` and `tallies.links` themselves."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from doorstep.places.models import Household

from . import tallies
from .models import HouseholdLink, PartyMember, Resident


def _grid_of(resident_id: int) -> int | None:
    return Resident.objects.filter(pk=resident_id).values_list("grid_id", flat=True).first()


@receiver(pre_save, sender=PartyMember)
def _before_member_saved(sender: Any, instance: PartyMember, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    # A membership moved to another person (the admin allows it): remember whose it was.
    instance._counted_resident_id = (  # type: ignore[attr-defined]
        PartyMember.objects.filter(pk=instance.pk).values_list("resident_id", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=PartyMember)
def _member_saved(sender: Any, instance: PartyMember, created: bool, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    before = getattr(instance, "_counted_resident_id", None)
    if not created and before == instance.resident_id:
        return
    if not created and before is not None:
        old = _grid_of(before)
        if old is not None:
            tallies.members([old], -1)
    now = _grid_of(instance.resident_id)  # as stored: the caller's object may predate a move
    if now is not None:
        tallies.members([now])


@receiver(post_delete, sender=PartyMember)
def _member_deleted(sender: Any, instance: PartyMember, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    # In a resident's cascade the membership goes first, so the resident's row is still there.
    grid_id = _grid_of(instance.resident_id)
    if grid_id is not None:
        tallies.members([grid_id], -1)


@receiver(pre_save, sender=Household)
def _before_household_saved(sender: Any, instance: Household, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    instance._counted_as = (  # type: ignore[attr-defined]
        Household.objects.filter(pk=instance.pk).values_list("grid_id", "tenure").first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Household)
def _household_saved(sender: Any, instance: Household, created: bool, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    before = None if created else getattr(instance, "_counted_as", None)
    now = (instance.grid_id, instance.tenure)
    if before == now:
        return
    if before is not None:
        tallies.households([before], -1)
    tallies.households([now])
    if (
        before is not None
        and before[0] != now[0]
        and HouseholdLink.objects.filter(household_id=instance.pk).exists()
    ):  # moved to another grid with its link
        tallies.links([before[0]], -1)
        tallies.links([now[0]])


@receiver(post_delete, sender=Household)
def _household_deleted(sender: Any, instance: Household, **kwargs: Any) -> None:
    if not tallies.is_muted():
        tallies.households([(instance.grid_id, instance.tenure)], -1)


def _household_grid(household_id: int) -> int | None:
    return Household.objects.filter(pk=household_id).values_list("grid_id", flat=True).first()


@receiver(pre_save, sender=HouseholdLink)
def _before_link_saved(sender: Any, instance: HouseholdLink, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    instance._counted_household_id = (  # type: ignore[attr-defined]
        HouseholdLink.objects.filter(pk=instance.pk).values_list("household_id", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=HouseholdLink)
def _link_saved(sender: Any, instance: HouseholdLink, created: bool, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    before = None if created else getattr(instance, "_counted_household_id", None)
    if before == instance.household_id:
        return
    if before is not None:
        old = _household_grid(before)
        if old is not None:
            tallies.links([old], -1)
    now = _household_grid(instance.household_id)
    if now is not None:
        tallies.links([now])


@receiver(post_delete, sender=HouseholdLink)
def _link_deleted(sender: Any, instance: HouseholdLink, **kwargs: Any) -> None:
    if tallies.is_muted():
        return
    # In a household's cascade the link goes first, so the household's row is still there.
    grid_id = _household_grid(instance.household_id)
    if grid_id is not None:
        tallies.links([grid_id], -1)
