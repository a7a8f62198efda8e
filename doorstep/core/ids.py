"""Reading a row id from user input: ASCII digits only, bounded (`"²".isdigit()` is True
and int() refuses it; a 5,000-digit string is a DoS on int())."""

from __future__ import annotations

from typing import Any

MAX_ID = 2**31 - 1


def parse_id(raw: Any) -> int | None:
    """The id, or None when the text is not a plain positive number within range."""
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
