"""Text that cannot break anything: no control characters on the way in.

C0 control characters (U+0000–U+001F) and DEL have no place in a name, an address or a
message: they cannot be stored in an .xlsx file (one in a room number made every export
500), NUL cannot be stored by PostgreSQL, and others hide text on screen. Tab, line feed
and carriage return are allowed (multi-line descriptions and notes; a form posts CRLF).
Pages, the API and Open311 refuse the rest in `ControlCharactersMiddleware`; the ledger
and hotline imports refuse the row; exports drop what older rows still hold (core.xlsx).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import DomainError

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "含有不可见的控制字符（{code}），请删除后再提交"


def control_character(value: str) -> str | None:
    """The first control character in `value` as "U+0001" (None: there is none)."""
    found = CONTROL.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def refusal(value: str) -> str | None:
    """The message for a value holding a control character (None: it is clean)."""
    code = control_character(value)
    return MESSAGE.format(code=code) if code else None


def clean_text(
    value: Any,
    field: str,
    label: str,
    limit: int,
    *,
    error: type[DomainError],
    required: bool = True,
    multiline: bool = False,
) -> str:
    """A form's or payload's text within `limit` characters: refused (as `error`, naming
    `field`) when it holds a control character, is empty but `required`, or is too long.
    One line has its runs of spaces made one; `multiline` text keeps its lines."""
    raw = str(value if value is not None else "")
    if message := refusal(raw):
        raise error(f"{label}{message}", field)
    clean = raw.strip() if multiline else " ".join(raw.split())
    if required and not clean:
        raise error(f"请填写{label}", field)
    if len(clean) > limit:
        raise error(f"{label}过长（最多{limit}字）", field)
    return clean


def clean_choice(
    value: Any, choices: Any, field: str, label: str, *, error: type[DomainError]
) -> str:
    """One of a TextChoices' codes, given its code or its label (an export's cell)."""
    raw = str(value or "").strip()
    by_label = {str(lbl): code for code, lbl in choices.choices}
    code = by_label.get(raw, raw)
    if code not in choices.values:
        raise error(f"请选择{label}", field)
    return code
