"""Template helpers of the cockpit: a change against an earlier figure (同比/环比)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def change(now: Any, before: Any) -> str:
    """ "+12（+10.8%）", "-3（-5.0%）", "持平", or "—" without an earlier figure."""
    if now is None or not before:
        return "—"
    diff = now - before
    if diff == 0:
        return "持平"
    return f"{diff:+d}（{diff / before * 100:+.1f}%）"
