"""How a deliberation list is narrowed to what a cockpit figure counted: `?org=` (a node
the user sees), `?from=` and `?to=` (days), through `deliberation.figures.narrow`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from doorstep.atlas.organisations.models import Organisation
from doorstep.core.ids import parse_id
from doorstep.deliberation.figures import narrow


def day(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw or "")[:10])
    except ValueError:
        return None


def _org(request: HttpRequest, user: Any) -> Organisation | None:
    """`?org=`: a node the user sees, else None."""
    raw = parse_id(request.GET.get("org"))
    return Organisation.objects.visible_to(user).filter(pk=raw).first() if raw else None


def narrowed(
    request: HttpRequest, user: Any, rows: QuerySet[Any], field: str
) -> tuple[QuerySet[Any], dict[str, Any]]:
    """The rows narrowed as the query asks, and what it asked (for the page to say)."""
    org = _org(request, user)
    start, end = day(request.GET.get("from")), day(request.GET.get("to"))
    if org is None and start is None and end is None:
        return rows, {}
    return narrow(rows, field, org, start, end), {"org": org, "from": start, "to": end}


def asked_period(request: HttpRequest, user: Any) -> dict[str, Any]:
    """What a cockpit figure asked of a list: `?org=` (a node the user sees, required),
    `?from=`, `?to=`; {} when no node was asked for."""
    org = _org(request, user)
    if org is None:
        return {}
    return {"org": org, "from": day(request.GET.get("from")), "to": day(request.GET.get("to"))}
