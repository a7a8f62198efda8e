"""Honour rankings (先锋榜样, 优秀志愿者): live monthly and yearly rankings of an organisation,
computed from the points ledger and verified service records, and publishing a ranking as
a frozen HonourList for the public page.

Points in a period are grants plus reversals (redemptions never lower a ranking); hours
and 人次 are verified records that started in the period. Periods are Beijing time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.accounts.typing import Actor, Viewer
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import PartyMember, PartyStatus, Resident
from doorstep.cases.calendar import TZ
from doorstep.core import audit
from doorstep.core.models import AuditAction

from .errors import Conflict, Denied, ServiceError
from .models import (
    HonourKind,
    HonourList,
    LineKind,
    PeriodKind,
    PointLine,
    RecordStatus,
    ServiceRecord,
)

LIMIT = 20
CENT = Decimal("0.01")
EARLIEST_YEAR = 2000


@dataclass(frozen=True)
class Entry:
    """One place of a ranking: the person (by name only) and the figures behind it."""

    rank: int
    user_id: int
    name: str
    points: int
    hours: Decimal
    served: int

    def frozen(self) -> dict[str, Any]:
        data = asdict(self)
        data["hours"] = str(self.hours)
        return data


# Periods -----------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def year_start(day: dt.date) -> dt.date:
    return day.replace(month=1, day=1)


def current_start(period_kind: str, today: dt.date | None = None) -> dt.date:
    today = today or timezone.now().astimezone(TZ).date()
    return month_start(today) if period_kind == PeriodKind.MONTH else year_start(today)


def period_end(period_kind: str, start: dt.date) -> dt.date:
    """The first day after the period."""
    if period_kind == PeriodKind.YEAR:
        return start.replace(year=start.year + 1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def check_period(period_kind: str, start: dt.date) -> dt.date:
    """The period's first day, refused if malformed or later than the current period."""
    if period_kind not in PeriodKind.values:
        raise ServiceError("周期只能是月度或年度", "period")
    first = month_start(start) if period_kind == PeriodKind.MONTH else year_start(start)
    if first != start:
        raise ServiceError("起始日应为该月（或该年）的第一天", "start")
    if start.year < EARLIEST_YEAR:
        raise ServiceError(f"起始时间不早于{EARLIEST_YEAR}年", "start")
    if start > current_start(period_kind):
        raise ServiceError("不能查看尚未开始的周期", "start")
    return start


def parse_period(period_kind: str, text: str | None) -> dt.date:
    """ "YYYY-MM" for a month, "YYYY" for a year; empty means the current period."""
    if period_kind not in PeriodKind.values:
        raise ServiceError("周期只能是月度（month）或年度（year）", "period")
    text = (text or "").strip()
    if not text:
        return current_start(period_kind)
    pattern = r"(\d{4})-(\d{2})" if period_kind == PeriodKind.MONTH else r"(\d{4})"
    match = re.fullmatch(pattern, text)
    if match is None:
        example = "2025-03" if period_kind == PeriodKind.MONTH else "2025"
        raise ServiceError(f"时间格式不正确，应形如{example}", "start")
    year = int(match.group(1))
    month = int(match.group(2)) if period_kind == PeriodKind.MONTH else 1
    if not 1 <= month <= 12:
        raise ServiceError("月份应在1到12之间", "start")
    if year < EARLIEST_YEAR:
        raise ServiceError(f"起始时间不早于{EARLIEST_YEAR}年", "start")
    return check_period(period_kind, dt.date(year, month, 1))


def period_label(period_kind: str, start: dt.date) -> str:
    if period_kind == PeriodKind.MONTH:
        return f"{start.year}年{start.month}月"
    return f"{start.year}年"


# Rankings ----------------------------------------------------------------------------


def _bounds(period_kind: str, start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    end = period_end(period_kind, start)
    return dt.datetime.combine(start, dt.time(), TZ), dt.datetime.combine(end, dt.time(), TZ)


def _names(user_ids: set[int]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    names = dict(Resident.objects.filter(user_id__in=user_ids).values_list("user_id", "name"))
    for pk, display in (
        get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "display_name")
    ):
        if display:
            names[pk] = display
    return {pk: names.get(pk) or "志愿者" for pk in user_ids}


def ranking(
    org: Organisation,
    *,
    kind: str,
    period_kind: str,
    period_start: dt.date,
    limit: int | None = LIMIT,
) -> list[Entry]:
    """The live ranking of people who served under the organisation in the period."""
    if kind not in HonourKind.values:
        raise ServiceError("榜单只能是先锋榜样或优秀志愿者", "kind")
    check_period(period_kind, period_start)
    since, until = _bounds(period_kind, period_start)
    points = dict(
        PointLine.objects.filter(
            organisation_path__startswith=org.path,
            kind__in=(LineKind.GRANT, LineKind.REVERSAL),
            created_at__gte=since,
            created_at__lt=until,
        )
        .values("user_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("user_id", "total")
    )
    served = {
        row["user_id"]: (Decimal(row["hours"] or 0).quantize(CENT), row["n"])
        for row in ServiceRecord.objects.filter(
            organisation_path__startswith=org.path,
            status=RecordStatus.VERIFIED,
            started_at__gte=since,
            started_at__lt=until,
        )
        .values("user_id")
        .annotate(hours=Sum("hours"), n=Count("pk"))
        .order_by()
    }
    people = {pk for pk in set(points) | set(served) if points.get(pk, 0) > 0 or pk in served}
    # 先锋榜 names party members only: an 入党积极分子 has a PartyMember row but is not one
    # (and is listed with the volunteers).
    party = set(
        PartyMember.objects.filter(
            resident__user_id__in=people,
            status__in=(PartyStatus.FORMAL, PartyStatus.PROBATIONARY),
        ).values_list("resident__user_id", flat=True)
    )
    chosen = people & party if kind == HonourKind.PIONEER else people - party
    names = _names(chosen)
    rows = sorted(
        ((points.get(pk, 0), served.get(pk, (Decimal("0.00"), 0))[0], pk) for pk in chosen),
        key=lambda r: (-r[0], -r[1], r[2]),
    )
    entries: list[Entry] = []
    rank, last = 0, None
    for pts, hours, pk in rows:
        if (pts, hours) != last:
            rank, last = rank + 1, (pts, hours)
        entries.append(Entry(rank, pk, names[pk], pts, hours, served.get(pk, (0, 0))[1]))
    return entries if limit is None else entries[:limit]


# Who sees what -----------------------------------------------------------------------


def may_publish(user: Viewer, org: Organisation) -> bool:
    return bool(user.has_perm("service.add_honourlist") and scope_of(user).covers(org.path))


def home_community(user: Actor) -> Organisation | None:
    """The community a person lives in (their resident record), else where they serve."""
    paths = list(Resident.objects.filter(user=user).values_list("grid__path", flat=True))
    paths += list(user.memberships.values_list("organisation__path", flat=True))
    for path in paths:
        ids = [int(x) for x in (path or "").strip("/").split("/") if x]
        found = Organisation.objects.filter(pk__in=ids, kind=Kind.COMMUNITY).first()
        if found is not None:
            return found
    return None


# Publishing --------------------------------------------------------------------------


def publish(
    org: Organisation,
    *,
    kind: str,
    period_kind: str,
    period_start: dt.date,
    actor: Actor,
    replace: bool = False,
) -> HonourList:
    """Freeze the ranking as the period's honour list. A second list for the same period
    is refused unless `replace` is asked for: then the old one goes in the same
    transaction."""
    if not may_publish(actor, org):
        raise Denied("只能发布本辖区的荣誉榜")
    entries = ranking(
        org, kind=kind, period_kind=period_kind, period_start=period_start, limit=LIMIT
    )
    key = {
        "organisation": org,
        "kind": kind,
        "period_kind": period_kind,
        "period_start": period_start,
    }
    try:
        with transaction.atomic():
            old = HonourList.objects.select_for_update().filter(**key).first()
            if old is not None:
                if not replace:
                    raise Conflict("该期榜单已发布")
                audit.record(
                    actor=actor, action=AuditAction.DELETE, target=old, detail={"replaced": True}
                )
                old.delete()
            honours = HonourList.objects.create(
                **key,
                entries=[e.frozen() for e in entries],
                published_by=actor,
            )
            audit.record(
                actor=actor,
                action=AuditAction.CREATE,
                target=honours,
                detail={"entries": len(entries), "replace": replace},
            )
    except IntegrityError:
        raise Conflict("该期榜单已发布") from None
    return honours
