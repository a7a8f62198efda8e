"""Writes to the resident ledger (人口台账): every rule and audit entry lives here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from doorstep.accounts.typing import Actor
from doorstep.atlas.places.models import Building, Household, Unit
from doorstep.core import audit, idcard
from doorstep.core.crypto import lookup_hash
from doorstep.core.models import AuditAction
from doorstep.core.search import search_text_for

from . import conflicts, households, tallies
from .models import VULNERABLE_TAGS, PartyMember, Resident

TAG_CODES = {code for code, _ in VULNERABLE_TAGS}
EDITABLE = ("name", "gender", "birth_date", "residence_type", "relation", "note")


def _apply_numbers(resident: Resident, *, id_card: str | None, phone: str | None) -> None:
    if id_card is not None:
        if id_card.strip():
            try:
                number = idcard.validate(id_card)
            except idcard.IdCardError as exc:
                raise ValidationError({"id_card": str(exc)}) from exc
            resident.id_card = number
            resident.id_card_hash = lookup_hash(number)
            resident.id_last4 = number[-4:]
            resident.birth_date = resident.birth_date or idcard.birth_date(number)
            resident.gender = resident.gender or idcard.gender(number)
        else:
            resident.id_card, resident.id_card_hash, resident.id_last4 = "", None, ""
    if phone is not None:
        if phone.strip():
            try:
                number = idcard.validate_phone(phone)
            except ValueError as exc:
                raise ValidationError({"phone": str(exc)}) from exc
            resident.phone = number
            resident.phone_hash = lookup_hash(number)
            resident.phone_last4 = number[-4:]
        else:
            resident.phone, resident.phone_hash, resident.phone_last4 = "", "", ""


def _check_tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    unknown = set(tags) - TAG_CODES
    if unknown:
        raise ValidationError({"tags": f"未知的重点人群标签：{'、'.join(sorted(unknown))}"})
    return sorted(set(tags))


def _save(resident: Resident) -> None:
    resident.search_text = search_text_for(resident.name)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        # Registered meanwhile (screen() ran before): no word on where.
        raise ValidationError({"id_card": "该身份证号暂不能登记，请核对后重试"}) from exc


def _screen(
    actor: Actor | None,
    id_card: str | None,
    *,
    source: str,
    household: Household | int | None,
    name: str,
    resident: int | None = None,
) -> None:
    """Refuse a number already registered, in words that fit the caller (conflicts.py).
    Runs before the write's transaction, so a forwarded conflict stays recorded."""
    if actor is None or not id_card or not id_card.strip():
        return
    try:
        number = idcard.validate(id_card)
    except idcard.IdCardError:
        return  # the write itself says what is wrong with it
    refusal = conflicts.screen(
        actor=actor,
        id_hash=lookup_hash(number),
        source=source,
        household=household,
        name=name,
        resident=resident,
    )
    if refusal:
        raise ValidationError({"id_card": refusal})


def create_resident(
    *,
    household: Household,
    name: str,
    residence_type: str,
    actor: Actor | None,
    id_card: str = "",
    phone: str = "",
    tags: list[str] | None = None,
    gender: str = "",
    birth_date: dt.date | None = None,
    relation: str = "other",
    note: str = "",
    source: str = "page",
) -> Resident:
    """Register a resident in a household (新增居民)."""
    if not name.strip():
        raise ValidationError({"name": "请填写姓名"})
    _screen(actor, id_card, source=source, household=household, name=name)
    with transaction.atomic():
        # The household's grid as stored now (the caller's object may predate a move).
        grid_id = Household.objects.filter(pk=household.pk).values_list("grid_id", flat=True).get()
        resident = Resident(
            household=household,
            grid_id=grid_id,
            name=name.strip(),
            residence_type=residence_type,
            relation=relation,
            gender=gender,
            birth_date=birth_date,
            note=note,
            tags=_check_tags(tags) or [],
        )
        _apply_numbers(resident, id_card=id_card, phone=phone)
        resident.full_clean(exclude=["household", "grid", "id_card_hash", "user"])
        _save(resident)
        tallies.changed(None, tallies.facts_of(resident))
        audit.record(actor=actor, action=AuditAction.CREATE, target=resident)
    return resident


def update_resident(
    *,
    resident: Resident,
    actor: Actor,
    id_card: str | None = None,
    phone: str | None = None,
    tags: list[str] | None = None,
    source: str = "page",
    **fields: Any,
) -> Resident:
    """Change a resident's details (修改居民信息). Only the named fields change."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"不能修改的字段：{', '.join(sorted(unknown))}")
    if id_card and id_card != resident.id_card:
        _screen(
            actor,
            id_card,
            source=source,
            household=resident.household_id,
            name=resident.name,
            resident=resident.pk,
        )
    with transaction.atomic():
        before = tallies.facts_of(Resident.objects.select_for_update().get(pk=resident.pk))
        changed = [k for k, v in fields.items() if getattr(resident, k) != v]
        for k, v in fields.items():
            setattr(resident, k, v)
        if id_card is not None and id_card != resident.id_card:
            changed.append("id_card")
        if phone is not None and phone != resident.phone:
            changed.append("phone")
        _apply_numbers(resident, id_card=id_card, phone=phone)
        checked = _check_tags(tags)
        if checked is not None and checked != sorted(resident.tags or []):
            resident.tags = checked
            changed.append("tags")
        resident.full_clean(exclude=["household", "grid", "id_card_hash", "user"])
        _save(resident)
        tallies.changed(before, tallies.facts_of(resident))
        # Field names only: the values are personal data and stay out of the log.
        audit.record(
            actor=actor, action=AuditAction.UPDATE, target=resident, detail={"fields": changed}
        )
    return resident


@transaction.atomic
def delete_resident(*, resident: Resident, actor: Actor) -> None:
    """Remove a resident from the ledger (注销); audited. Refused while others depend on them."""
    resident_id = resident.pk
    before = tallies.facts_of(Resident.objects.select_for_update().get(pk=resident_id))
    was_member = PartyMember.objects.filter(resident_id=resident_id).exists()
    try:
        with transaction.atomic():
            resident.delete()  # their party member record goes with them
    except ProtectedError as exc:
        raise ValidationError("该居民是党员中心户的党员，请先调整党员中心户后再注销") from exc
    tallies.changed(before, None)
    if was_member:
        tallies.members([before.grid_id], -1)
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        target_type="people.resident",
        target_id=str(resident_id),
        detail={"household": resident.household_id},
    )


@transaction.atomic
def move_household(
    *, household: Household, building: Building, unit_number: str, room: str, actor: Actor
) -> Household:
    """Move a household to a unit/room of a building (迁移户), carrying its residents' grid.

    The unit is created with the move or not at all.
    """
    unit_number, room = unit_number.strip(), room.strip()
    if not unit_number:
        raise ValidationError({"unit": "请填写单元"})
    if not room:
        raise ValidationError({"room": "请填写室号"})
    if len(unit_number) > 20 or len(room) > 20:
        raise ValidationError("单元和室号各不超过20个字")
    unit, _ = Unit.objects.get_or_create(building=building, number=unit_number)
    if Household.objects.filter(unit=unit, room=room).exclude(pk=household.pk).exists():
        raise ValidationError({"room": f"{unit}{room}室已有住户登记"})
    before = {"unit": household.unit_id, "room": household.room, "grid": household.grid_id}
    counted = (household.grid_id, household.tenure)
    living = [tallies.facts_of(r) for r in household.residents.select_for_update()]
    member_grids = list(
        PartyMember.objects.filter(resident__household=household).values_list(
            "resident__grid_id", flat=True
        )
    )
    household.unit = unit
    household.room = room
    household.grid_id = building.grid_id
    household.save(update_fields=["unit", "room", "grid"])
    household.residents.update(grid_id=household.grid_id)
    # Per resident, not per household: a resident's own grid is what was counted.
    tallies.added(living, -1)
    tallies.added(f._replace(grid_id=household.grid_id) for f in living)
    tallies.members(member_grids, -1)
    tallies.members([household.grid_id] * len(member_grids))
    households.count_household(household, counted)  # the household, and its link
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        target=household,
        detail={"move_from": before, "unit": unit.pk, "room": room},
    )
    return household


def unmask(
    *,
    resident: Resident,
    actor: Actor,
    fields: tuple[str, ...] = ("id_card", "phone", "birth_date"),
) -> dict[str, Any]:
    """Return personal numbers in clear to someone allowed to see them; always audited."""
    if not actor.has_perm("people.unmask_personal_data"):
        raise PermissionDenied("没有查看明文的权限")
    values = {f: getattr(resident, f) for f in fields}
    audit.record(
        actor=actor, action=AuditAction.UNMASK, target=resident, detail={"fields": list(fields)}
    )
    return values
