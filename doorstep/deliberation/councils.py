"""议事会 "1+N": setting a council up for a community or one of its compounds (one branch
seat — the 1 — and the N kinds of seats with their numbers, configurable per place), and
its members with their terms: a seat's number is never exceeded on any day, and there is
one chair at a time (both checked under the council's row lock).

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (400),
`NotAllowed` (403) or `Conflict` (409) and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Compound
from doorstep.core import audit
from doorstep.core.access import scope_of
from doorstep.core.ids import parse_id

from .clean import choice, text
from .errors import Conflict, DeliberationError, NotAllowed
from .models import Council, CouncilMember, CouncilSeat, MajorityRule, SeatKind

KEEP = "deliberation.change_council"
MAX_SEATS = 30  # of one kind
MAX_TERM_DAYS = 5 * 366


def may_keep(user: Actor, path: str) -> bool:
    return bool(user.has_perm(KEEP)) and scope_of(user, KEEP).covers(path)


def _count(value: Any, kind: str) -> int:
    raw = str(value if value is not None else "").strip()
    if not (raw.isascii() and raw.isdigit()) or not 0 <= int(raw) <= MAX_SEATS:
        raise DeliberationError(f"{SeatKind(kind).label}名额为0至{MAX_SEATS}人", f"seat_{kind}")
    return int(raw)


def _seats(seats: Mapping[str, Any]) -> dict[str, int]:
    counts = {kind: _count(seats.get(kind, 0), kind) for kind in SeatKind.values}
    if counts[SeatKind.BRANCH] != 1:
        raise DeliberationError("“1+N”议事会由小区党支部牵头：党支部席位为1个", "seat_branch")
    if sum(counts.values()) < 3:
        raise DeliberationError("议事会至少还应有两名其他成员", "seat_owners")
    return {k: n for k, n in counts.items() if n}


@transaction.atomic
def set_up(
    *,
    actor: Actor,
    community: Organisation | None,
    name: Any,
    seats: Mapping[str, Any],
    compound: Compound | None = None,
    quorum: Any = MajorityRule.HALF,
    majority: Any = MajorityRule.HALF,
) -> Council:
    """A council of a community (or of one of its compounds) with its seats."""
    if community is None or community.kind != Kind.COMMUNITY:
        raise DeliberationError("请选择社区", "community")
    if compound is not None and compound.community_id != community.pk:
        raise DeliberationError("请选择本社区的小区", "compound")
    if not may_keep(actor, community.path):
        raise NotAllowed("您不能为该社区设立议事会")
    lines = _seats(seats)
    if Council.objects.filter(node=community, compound=compound).exists():
        raise Conflict("该社区（小区）已设立议事会")
    council = Council.objects.create(
        node=community,
        path=community.path,
        compound=compound,
        name=text(name, "name", "议事会名称", 60),
        quorum=choice(quorum, MajorityRule, "quorum", "到会人数要求"),
        majority=choice(majority, MajorityRule, "majority", "表决通过要求"),
        created_by=actor,
        created_at=timezone.now(),
    )
    CouncilSeat.objects.bulk_create(
        CouncilSeat(council=council, kind=k, count=n) for k, n in lines.items()
    )
    audit.record(actor=actor, action="create", target=council, detail={"seats": lines})
    return council


def _locked(actor: Actor, council: Council) -> Council:
    locked = Council.objects.select_for_update().get(pk=council.pk)
    if not may_keep(actor, locked.path):
        raise NotAllowed("您不能管理该议事会")
    return locked


def _overlapping(council: Council, start: dt.date, end: dt.date) -> QuerySet[CouncilMember]:
    return CouncilMember.objects.filter(council=council, starts_on__lte=end, ends_on__gte=start)


@transaction.atomic
def set_seats(*, actor: Actor, council: Council, seats: Mapping[str, Any]) -> Council:
    """Change the number of seats of each kind (never below the members in force today)."""
    locked = _locked(actor, council)
    lines = _seats(seats)
    today = timezone.localdate()
    held: dict[str, int] = {}
    for kind in _overlapping(locked, today, today).values_list("kind", flat=True):
        held[kind] = held.get(kind, 0) + 1
    for kind, n in held.items():
        if lines.get(kind, 0) < n:
            raise Conflict(f"{SeatKind(kind).label}现有在任成员{n}人，名额不能少于{n}个")
    CouncilSeat.objects.filter(council=locked).delete()
    CouncilSeat.objects.bulk_create(
        CouncilSeat(council=locked, kind=k, count=n) for k, n in lines.items()
    )
    audit.record(actor=actor, action="update", target=locked, detail={"seats": lines})
    return locked


def _day(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    raw = str(value or "").strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DeliberationError(f"请填写{label}（如 2027-01-01）", field) from None


@transaction.atomic
def add_member(
    *,
    actor: Actor,
    council: Council,
    kind: Any,
    name: Any,
    starts_on: Any,
    ends_on: Any,
    user: Any = None,
    unit: Organisation | None = None,
    is_chair: bool = False,
) -> CouncilMember:
    """A member in a seat for a term, within the seat's number on every day of it."""
    locked = _locked(actor, council)
    seat = choice(kind, SeatKind, "kind", "席位")
    start, end = _day(starts_on, "starts_on", "任期开始"), _day(ends_on, "ends_on", "任期结束")
    if end < start:
        raise DeliberationError("任期结束不能早于开始", "ends_on")
    if (end - start).days > MAX_TERM_DAYS:
        raise DeliberationError("任期最长五年", "ends_on")
    line = CouncilSeat.objects.filter(council=locked, kind=seat).first()
    if line is None:
        raise DeliberationError(f"本议事会没有{SeatKind(seat).label}席位", "kind")
    same = _overlapping(locked, start, end).filter(kind=seat)
    if same.count() >= line.count:
        raise Conflict(f"{SeatKind(seat).label}名额已满（{line.count}人），请先结束一位成员的任期")
    if is_chair and _overlapping(locked, start, end).filter(is_chair=True).exists():
        raise Conflict("任期内已有召集人")
    if user is not None and _overlapping(locked, start, end).filter(user=user).exists():
        raise Conflict("该账号任期内已是本议事会成员")
    member = CouncilMember.objects.create(
        council=locked,
        kind=seat,
        name=text(name, "name", "姓名", 40),
        user=user,
        unit=unit,
        is_chair=bool(is_chair),
        starts_on=start,
        ends_on=end,
    )
    audit.record(actor=actor, action="create", target=member, detail={"kind": seat})
    return member


@transaction.atomic
def end_term(*, actor: Actor, member: CouncilMember, on: Any = None) -> CouncilMember:
    """End a member's term on a day (today unless given; not before it began)."""
    _locked(actor, member.council)
    locked = CouncilMember.objects.select_for_update().get(pk=member.pk)
    day = _day(on, "on", "结束日期") if on not in (None, "") else timezone.localdate()
    if day < locked.starts_on:
        raise DeliberationError("结束日期不能早于任期开始", "on")
    if day >= locked.ends_on:
        raise Conflict("该成员任期已在此前结束")
    locked.ends_on = day
    locked.save(update_fields=["ends_on"])
    audit.record(actor=actor, action="update", target=locked, detail={"ends_on": str(day)})
    return locked


def in_force(council: Council, on: dt.date | None = None) -> QuerySet[CouncilMember]:
    day = on or timezone.localdate()
    return _overlapping(council, day, day)


def community_of(value: Any) -> Organisation | None:
    return Organisation.objects.filter(pk=parse_id(value) or 0, kind=Kind.COMMUNITY).first()
