"""Template helpers for votes: an area in 0.01 m² as square metres."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def m2(hundredths: Any) -> str:
    """12345 → "123.45㎡" (exact: integer arithmetic, no float)."""
    if hundredths is None or hundredths == "":
        return "—"
    value = int(hundredths)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{cents:02d}㎡"
