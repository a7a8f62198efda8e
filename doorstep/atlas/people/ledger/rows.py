"""What the ledger importers share: reading cells, reporting errors, the write hook."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from doorstep.core.search import search_text_for
from doorstep.core.text import CONTROL, refusal

from . import columns as C


def on_row(row: int) -> None:
    """Called for each row as its batch is written, inside the batch's transaction.

    Does nothing; tests replace it (`rows.on_row`) to make a run die part-way through a batch.
    """


@dataclass
class Outcome:
    """What writing one batch did."""

    imported: int = 0
    skipped: int = 0
    registered: int = 0  # rows that changed the housing register (residents: register.py)
    errors: list[dict[str, Any]] = field(default_factory=list)


def error(row: int, header: str, message: str) -> dict[str, Any]:
    return {"row": row, "field": header, "message": message}


BARE_NUMBER = re.compile(r"^\d+$")


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as YYYY-MM-DD."""
    if type(value) is str:  # most cells: the checks below are for the others
        # NUL cannot be stored in PostgreSQL text; it is never meaningful in a ledger cell.
        return value.replace("\x00", "").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    # NUL cannot be stored in PostgreSQL text; it is never meaningful in a ledger cell.
    return str(value).replace("\x00", "").strip()


class RowHandler:
    """Checks rows of one kind of ledger and writes batches of them."""

    header = {c.key: c.header for c in C.RESIDENT_COLUMNS}

    def __init__(self, actor: Any, columns: dict[str, int], job_id: int | None = None) -> None:
        self.actor = actor
        self.columns = columns
        self.job_id = job_id

    def control_characters(self, number: int, values: tuple[Any, ...]) -> list[dict[str, Any]]:
        """A cell holding a control character refuses its row (core/text.py)."""
        if not CONTROL.search("".join(v for v in values if isinstance(v, str))):
            return []  # the whole row at once: a clean row (nearly every row) is one search
        errors = []
        for key, index in self.columns.items():
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and (message := refusal(value)):
                errors.append(error(number, self.header.get(key, key), message))
        return errors

    def get(self, values: tuple[Any, ...], key: str) -> Any:
        index = self.columns.get(key)
        if index is None or index >= len(values):
            return None
        return values[index]

    def text(self, values: tuple[Any, ...], key: str) -> str:
        return cell_text(self.get(values, key))

    def prepare(self, number: int, values: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    def write(self, items: list[Any]) -> Outcome:
        raise NotImplementedError

    def forget(self) -> None:
        """Drop caches filled while writing a batch that was then rolled back."""


def by_name(rows: Iterable[tuple[int, str, Any]]) -> dict[str, list[tuple[int, Any]]]:
    out: dict[str, list[tuple[int, Any]]] = {}
    for pk, name, extra in rows:
        out.setdefault(name.strip(), []).append((pk, extra))
    return out


@lru_cache(maxsize=65536)
def search_text(name: str) -> str:
    return search_text_for(name)
