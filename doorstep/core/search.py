"""Search text that forgives script and spelling: 無錫, wuxi and wx all find 无锡.

Each searchable row keeps a `search_text` column: its names in simplified characters
(opencc, traditional → simplified), their full pinyin and their pinyin initials (pypinyin),
all lower case. A query is normalised the same way and matched as a substring, so the
database does the work and scoping stays an ordinary filter.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc
from pypinyin import lazy_pinyin

_HAN = re.compile(r"[\u3400-\u9fff]")
_SPACE = re.compile(r"\s+")
_FOREIGN = "\x00"  # marks chunks pypinyin passed through (not Chinese characters)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _t2s().convert(text)


def _pinyin_forms(text: str) -> tuple[str, str]:
    """Full pinyin and initials from one pass (pinyin is the costly part of an import)."""
    items = lazy_pinyin(text, errors=lambda chunk: _FOREIGN + chunk)
    full = "".join(i.removeprefix(_FOREIGN) for i in items).lower()
    initials = "".join(i[1:] if i.startswith(_FOREIGN) else i[:1] for i in items).lower()
    return _SPACE.sub("", full), _SPACE.sub("", initials)


def search_text_for(*parts: str | None, body: str = "") -> str:
    """Searchable text for a row: simplified names, full pinyin, initials; and a long
    `body` (a request's message) in simplified characters alone.

    A body is found by any run of its characters, typed in 繁体 or simplified; its pinyin
    is left out, since turning a whole message into pinyin was about half of what filing
    a case cost, and pinyin is what people type for names, titles and places, not for a
    phrase in the middle of a message (cases/tests/test_search_hit_rate.py holds the
    query set this was judged on)."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        s = simplified(part).lower()
        out.append(s)
        if _HAN.search(s):
            full, initials = _pinyin_forms(s)
            out.extend([full, initials])
    if body:
        out.append(_SPACE.sub(" ", simplified(body).lower()))
    return " | ".join(out)


def normalise_query(query: str) -> str:
    """What to look for in `search_text`: simplified, lower case, no inner spaces for pinyin."""
    q = simplified(query.strip()).lower()
    if not _HAN.search(q):
        q = _SPACE.sub("", q)  # "wu xi" -> "wuxi"
    return q


def digits_query(query: str) -> str | None:
    """A query of 4 or more digits (maybe ending in X) is read as the tail of an ID or phone."""
    q = query.strip().upper()
    if re.fullmatch(r"\d{3,17}[\dX]", q):
        return q[-4:]
    return None
