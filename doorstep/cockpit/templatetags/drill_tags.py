"""Template helpers for the cockpit's drill-down: a tile that links to the list behind its
figure when the viewer may open that list, and the vulnerable groups with their codes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

from doorstep.atlas.people.models import VULNERABLE_TAGS

from ..drill import LISTS, type_label

register = template.Library()


def may_open(context: Any, what: str) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.has_perm(LISTS[what].view_perm))


@register.simple_tag(takes_context=True)
def drill_url(context: Any, org: Any, what: str, **filters: Any) -> str:
    """The list's address, or "" when the viewer's role may not open it."""
    if not may_open(context, what):
        return ""
    query = urlencode({k: v for k, v in filters.items() if v is not None and v != ""})
    url = reverse("cockpit:drill", args=[org.pk, what])
    return f"{url}?{query}" if query else url


@register.simple_tag(takes_context=True)
def drill_tile(
    context: Any, org: Any, what: str, figure: str, value: Any, label: str, **filters: Any
) -> str:
    """A figure tile: a link to its list, or plain when the viewer may not open the list."""
    url = drill_url(context, org, what, **filters)
    if url:
        return format_html(
            '<a class="tile" data-figure="{}" href="{}"><b>{}</b><span>{}</span></a>',
            figure, url, value, label,
        )  # fmt: skip
    return format_html(
        '<div class="tile" data-figure="{}"><b>{}</b><span>{}</span></div>', figure, value, label
    )


@register.simple_tag(takes_context=True)
def list_tile(
    context: Any, perm: str, figure: str, value: Any, label: str, url: str, **query: Any
) -> str:
    """A figure tile over a list of another domain (`url` with `query`): a link when the
    viewer holds `perm`, the list's view permission, else plain."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.has_perm(perm):
        q = urlencode({k: v for k, v in query.items() if v is not None and v != ""})
        return format_html(
            '<a class="tile" data-figure="{}" href="{}"><b>{}</b><span>{}</span></a>',
            figure, f"{url}?{q}" if q else url, value, label,
        )  # fmt: skip
    return format_html(
        '<div class="tile" data-figure="{}"><b>{}</b><span>{}</span></div>', figure, value, label
    )


@register.filter
def with_codes(vulnerable: dict[str, int]) -> list[tuple[str, str, int]]:
    """{label: n} from the population panel → [(code, label, n)] in the tags' order."""
    return [(code, label, vulnerable.get(label, 0)) for code, label in VULNERABLE_TAGS]


register.filter("type_label", type_label)
