"""Small helpers for the case pages: unread count, flag badges, percentages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


# The statuses whose deadline flag a list shows no more (as the case page does not).
NO_FLAG = frozenset({"closed", "archived", "cancelled", "pending_rating", "draft"})


@register.simple_tag
def case_items(cases: Any) -> SafeString:
    """The `<li>` of each case of a list (工单 desk, my requests), built in Python: a
    template included per row took 2.8 ms for a page of 20, this 0.6 ms (the same markup).
    Every value is escaped."""
    from doorstep.cases.models import Case
    from doorstep.cases.workflow import STATUS_LABELS

    # the labels once per list, in the request's language (each is a lazy translation)
    statuses = {k: escape(v) for k, v in STATUS_LABELS.items()}
    kinds = {k: escape(v) for k, v in Case._meta.get_field("kind").flatchoices}  # type: ignore[union-attr]
    out = []
    link = reverse("desk:case", args=["0"])  # a number of digits and letters needs no quoting
    for c in cases:
        url = (
            link.replace("/0/", f"/{c.number}/")
            if c.number.isascii() and c.number.isalnum()
            else None
        )
        flag = ""
        if c.due_at and c.status not in NO_FLAG:
            flag = f'<span class="flag {escape(c.flag)}">{escape(flag_label(c.flag))}</span>'
        territory = f"<span>{escape(c.territory.name)}</span>" if c.territory else ""
        out.append(
            '<li class="case-item">'
            f'<a class="title" href="{escape(url or reverse("desk:case", args=[c.number]))}">'
            f"{escape(c.title)}</a>"
            '<div class="meta">'
            f'<span class="number">{escape(c.number)}</span>'
            f'<span class="status {escape(c.status)}">'
            f"{statuses.get(c.status) or escape(c.status_label)}</span>"
            f"{flag}"
            f"<span>{escape(c.category.name)}</span>"
            f"<span>{kinds.get(c.kind) or escape(c.get_kind_display())}</span>"
            f"{territory}"
            f"<span>{timezone.localtime(c.created_at):%Y-%m-%d %H:%M}</span>"
            "</div></li>"
        )
    return mark_safe("".join(out))  # noqa: S308 (every value is escaped above)
