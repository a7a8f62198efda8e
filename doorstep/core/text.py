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
