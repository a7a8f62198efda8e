"""Input rules the deliberation services share: clean text within a size, a choice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from doorstep.core.text import clean_choice, clean_text, refusal

from .errors import DeliberationError


def text(value: Any, field: str, label: str, limit: int, *, required: bool = True) -> str:
    """Clean text within `limit` characters: one line, or several when it has several."""
    return clean_text(
        value, field, label, limit, error=DeliberationError, required=required,
        multiline="\n" in str(value if value is not None else "").strip(),
    )  # fmt: skip


def choice(value: Any, choices: Any, field: str, label: str) -> str:
    return clean_choice(value, choices, field, label, error=DeliberationError)


def moment(value: Any, field: str, label: str) -> dt.datetime:
    """A date and time (an aware datetime, or "2026-05-01T09:00" from a form)."""
    if isinstance(value, dt.datetime):
        found: dt.datetime | None = value
    else:
        raw = str(value or "").strip()
        if message := refusal(raw):
            raise DeliberationError(f"{label}{message}", field)
        try:
            found = parse_datetime(raw.replace(" ", "T")) if raw else None
        except ValueError:
            found = None
    if found is None:
        raise DeliberationError(f"请填写{label}（如 2026-05-01 09:00）", field)
    if timezone.is_naive(found):
        found = timezone.make_aware(found)
    return found
