"""A select's options built in Python: a template loop costs about a tenth of a millisecond
per option, and the pickers of the busiest pages (a street's buildings on the filing
form, the categories on the case desk) hold hundreds."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape  # Django's escape is this behind a lazy-string wrapper: 3x the cost
from typing import Any

from django.utils.safestring import SafeString, mark_safe


def select_options(pairs: Iterable[tuple[Any, str]], chosen: str) -> SafeString:
    """`<option>`s for (value, label) pairs, the one whose value is `chosen` selected;
    values and labels escaped."""
    out = []
    for value, label in pairs:
        text = escape(str(value))
        selected = " selected" if chosen == str(value) else ""
        out.append(f'<option value="{text}"{selected}>{escape(str(label))}</option>')
    return mark_safe("".join(out))  # noqa: S308 (every value and label is escaped above)
