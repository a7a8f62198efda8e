"""An ID number that is already registered, told without confirming it to the wrong person.

A number is unique in the whole ledger, so "this number is registered to someone else" is
an oracle: with the masked number and a birth year, a few dozen guesses recover a number
held anywhere in the district. So:

- a conflict with a resident the caller can see is named plainly (they could look it up);
- a conflict with a resident outside the caller's scope gets one generic answer, nothing
  is written, and an `IdentityConflict` goes to the staff who can see the holder, with an
  audit entry;
- each account has a daily budget of such conflicts (`IDENTITY_CONFLICT_DAILY_LIMIT`):
  once spent, every write that carries an ID number is refused for the day with the same
  message whether it would conflict or not, so further guesses learn nothing.

Recording happens outside the caller's transaction where the caller rolls back on error
(page and API writes), and inside the batch's where the batch commits with its errors
(ledger imports).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.places.models import Household
from doorstep.core import audit
from doorstep.core.models import AuditAction

from .models import IdentityConflict, Resident

IN_SCOPE = "该身份证号已登记在您负责范围内的其他居民名下，同一人不能重复登记"
FORWARDED = "该身份证号暂不能登记，已转交上级工作人员核实"
SPENT = "今日身份证号核实次数已达上限，请明日再试或联系街道工作人员"


def daily_limit() -> int:
    return int(getattr(settings, "IDENTITY_CONFLICT_DAILY_LIMIT", 5))


def used_today(actor: Actor) -> int:
    since = timezone.now() - dt.timedelta(days=1)
    return IdentityConflict.objects.filter(requested_by_id=actor.pk, created_at__gte=since).count()


def remaining(actor: Actor) -> int:
    return max(daily_limit() - used_today(actor), 0)


def holder_of(id_hash: str, *, besides: int | None = None) -> Resident | None:
    """The resident who holds this number now (another than `besides`)."""
    qs = Resident.objects.filter(id_card_hash=id_hash)
    if besides is not None:
        qs = qs.exclude(pk=besides)
    return qs.only("id", "grid_id").first()


def sees(actor: Actor, holder: Resident) -> bool:
    return Resident.objects.visible_to(actor).filter(pk=holder.pk).exists()


def forward(
    *,
    actor: Actor,
    holder: Resident,
    source: str,
    household: Household | int | None,
    name: str,
) -> IdentityConflict:
    """Queue the conflict for staff who can see the holder, and audit it."""
    household_id = household.pk if isinstance(household, Household) else household
    conflict = IdentityConflict.objects.create(
        holder=holder,
        household_id=household_id,
        name=name[:64],
        source=source,
        requested_by_id=actor.pk,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CONFLICT,
        target=conflict,
        detail={"source": source, "household": household_id},
    )
    return conflict


def screen(
    *,
    actor: Actor,
    id_hash: str | None,
    source: str,
    household: Household | int | None,
    name: str,
    resident: int | None = None,
) -> str | None:
    """What to tell someone who is about to write this number (None: go ahead).

    Call before the write's transaction: a forwarded conflict is committed even though the
    write is refused."""
    if id_hash is None:
        return None
    if remaining(actor) <= 0:
        return SPENT
    holder = holder_of(id_hash, besides=resident)
    if holder is None:
        return None
    if sees(actor, holder):
        return IN_SCOPE
    forward(actor=actor, holder=holder, source=source, household=household, name=name)
    return FORWARDED


def resolve(*, conflict: IdentityConflict, actor: Actor, resolution: str) -> IdentityConflict:
    """Close a conflict with what was done about it (staff who can see the holder)."""
    if conflict.resolved_at is not None:
        raise ValidationError("该冲突已处理")
    text = resolution.strip()
    if not text:
        raise ValidationError({"resolution": "请填写处理说明"})
    conflict.resolved_by_id = actor.pk
    conflict.resolved_at = timezone.now()
    conflict.resolution = text[:200]
    conflict.save(update_fields=["resolved_by", "resolved_at", "resolution"])
    audit.record(actor=actor, action=AuditAction.UPDATE, target=conflict, detail={"resolved": True})
    return conflict
