from __future__ import annotations

from typing import Any

from django import template

from ..nav import bottom_bar, entries

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_entries(context: template.Context) -> list[tuple[str, str]]:
    """The navigation for the request's user, worked out once per request."""
    request = context.get("request")
    if request is None:
        return []
    cached: Any = getattr(request, "_nav_entries", None)
    if cached is None:
        cached = entries(request.user)
        request._nav_entries = cached  # type: ignore[attr-defined]
    return cached


@register.simple_tag(takes_context=True)
def nav_bottom_bar(context: template.Context) -> bool:
    """Whether the request's user gets the residents' bottom bar on a phone."""
    request = context.get("request")
    return request is not None and bottom_bar(request.user)
