"""The cockpit's figures as JSON (GET /api/cockpit/{org_id}): the same five panels the page
shows, for the same period, scoped the same way (a node outside scope is a 404)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema

from . import access
from .panels import Period, cockpit

router = Router(tags=["cockpit"])

OrgId = Annotated[int, Path(..., ge=1, le=2**31 - 1)]


class CockpitOut(Schema):
    organisation: int
    name: str
    start: dt.date
    end: dt.date
    population: dict[str, Any]
    housing: dict[str, Any]
    party: dict[str, Any]
    cases: dict[str, Any]
    services: dict[str, Any]


class PeriodIn(Schema):
    start: dt.date | None = None
    end: dt.date | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@router.get("/cockpit/{org_id}", response={200: CockpitOut}, summary="驾驶舱数据")
def cockpit_figures(request: HttpRequest, org_id: OrgId, q: Query[PeriodIn]) -> dict[str, Any]:
    from ninja.errors import HttpError

    user = request.auth  # type: ignore[attr-defined]
    org = access.node(user, org_id)
    today = timezone.localdate()
    start = q.start or today.replace(day=1)
    end = q.end or today
    if end < start or (end - start).days > 366 * 5 or start.year < 2000 or end.year > 2100:
        raise HttpError(400, "时段无效：截止日期不能早于起始日期，且最长五年")
    figures = _plain(cockpit(org, Period(start, end), today))
    return {"organisation": org.pk, "name": org.name, "start": start, "end": end, **figures}
