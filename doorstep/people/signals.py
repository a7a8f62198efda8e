"""Party members counted as they join and leave (one row at a time: the admin, the test
world, a resident's deletion cascading to their membership). Bulk inserts call
`tallies.members` themselves."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import tallies
from .models import PartyMember, Resident


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
