"""The input of the assessment pages, read and checked: the month, the card, and an edit of
a card's indicators. Shape only: a malformed value raises `ScorecardError` with a message
the page shows (400); the rules of a write live in `scorecards.py`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from doorstep.core.ids import parse_id

from .indicators import REGISTRY
from .models import Direction, Indicator, Scorecard
from .scorecards import Edit, ScorecardError, Values

MONTH = re.compile(r"(\d{4})-(\d{1,2})")
MAX_WEIGHT = Decimal("99999.99")
MAX_TARGET = Decimal("99999999.9999")
CENT = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")


def month_from(raw: str, today: dt.date) -> dt.date:
    raw = raw.strip()
    if not raw:
        return today.replace(day=1)
    m = MONTH.fullmatch(raw[:10])
    try:
        if m is None:
            raise ValueError
        month = dt.date(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ScorecardError("月份格式应为 年-月，例如 2026-05") from None
    if month > today:
        raise ScorecardError("该月尚未开始")
    if month.year < 2000:
        raise ScorecardError("月份超出范围")
    return month


def card_from(raw: str, cards: list[Scorecard]) -> Scorecard:
    raw = raw.strip()
    if not raw:
        if not cards:
            raise ScorecardError("本级没有适用的考核方案（考核对象为下级社区或网格）")
        return cards[0]
    card_id = parse_id(raw)
    if card_id is None:
        raise ScorecardError("考核方案编号应为数字")
    found = next((c for c in cards if c.pk == card_id), None)
    if found is None:
        raise ScorecardError("考核方案不存在、已停用或不适用于本级")
    return found


def number(raw: Any, label: str, low: Decimal, high: Decimal, strict: bool) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ScorecardError(f"{label}应为数字") from None
    if not value.is_finite() or value > high or value < low or (strict and value == low):
        bound = "大于" if strict else "不小于"
        raise ScorecardError(f"{label}应{bound} {low} 且不超过 {high}")
    return value


def _values(post: Any, suffix: str, label: str, direction: str) -> Values:
    weight = number(post.get(f"weight_{suffix}", ""), f"{label}的权重", Decimal(0), MAX_WEIGHT,
                    True).quantize(CENT)  # fmt: skip
    target = number(post.get(f"target_{suffix}", ""), f"{label}的目标值", Decimal(0), MAX_TARGET,
                    False).quantize(TEN_THOUSANDTH)  # fmt: skip
    direction = str(post.get(f"direction_{suffix}") or direction).strip()
    if direction not in Direction.values:
        raise ScorecardError(f"{label}的方向应为“越高越好”或“越低越好”")
    return Values(weight, target, direction)


def parse_edit(post: Any, indicators: list[Indicator]) -> Edit:
    """The submitted form as one Edit. A removed indicator's other fields are not read; a
    missing direction keeps the current one; `new_code` empty means nothing is added."""
    removed = frozenset(i.pk for i in indicators if post.get(f"remove_{i.pk}"))
    values = {
        i.pk: _values(post, str(i.pk), REGISTRY[i.code].label, i.direction)
        for i in indicators
        if i.pk not in removed
    }
    added = None
    code = str(post.get("new_code") or "").strip()
    if code:
        spec = REGISTRY.get(code)
        if spec is None:
            raise ScorecardError("没有这项指标")
        added = (code, _values(post, "new", f"新增指标“{spec.label}”", spec.direction))
    return Edit(values, removed, added)
