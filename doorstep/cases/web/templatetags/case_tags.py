"""Small helpers for the case pages: unread count, flag badges, percentages."""

from __future__ import annotations

from typing import Any

from django import template

from doorstep.inbox.services import unread_count as _unread

register = template.Library()

FLAG_LABELS = {"normal": "正常", "soon": "将到期", "overdue": "已超期"}


@register.simple_tag(takes_context=True)
def unread_count(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_doorstep_unread", None)
    if cached is None:
        cached = _unread(user)
        request._doorstep_unread = cached
    return cached


@register.filter
def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag)


@register.filter
def percent(value: Any) -> str:
    """A rate (a fraction, 0–1 by definition: cases/rates.py) as a percentage."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def definition(code: str) -> str:
    """What a figure counts (cases/rates.py), for its hover text."""
    from doorstep.cases.rates import DEFINITIONS

    return DEFINITIONS.get(code, "")


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key)
