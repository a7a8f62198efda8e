"""How personal numbers look to someone who may not unmask them (脱敏)."""

from __future__ import annotations

import datetime as dt


def mask_id_card(value: str | None) -> str:
    """110101199003071234 -> 110***********1234 (region prefix and last four kept)."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三丰 -> 张**: for exports to roles that may not see names in full."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_birth_date(value: dt.date | None) -> str:
    """1990-03-07 -> 1990年: the birth date fills eight digits of an ID number, so beside a
    masked number it is shown only to someone who may unmask; the year is enough to others."""
    if not value:
        return ""
    return f"{value.year}年"
