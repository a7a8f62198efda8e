"""Long sorted lists paged by their ids (the cockpit's drill lists, the party roll).

`SortedIds` sorts the ids alone and reads one page's rows by id; `ByIds` turns a list of ids
into rows when Django's Paginator slices it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from . import figure_cache


class ByIds:
    """Ids in list order that turn into model rows when sliced (for Django's Paginator)."""

    def __init__(self, ids: list[int], queryset: QuerySet[Any]) -> None:
        self.ids = ids
        self.queryset = queryset

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: slice) -> list[Any]:
        ids = self.ids[index]
        rows = self.queryset.in_bulk(ids)
        return [rows[i] for i in ids if i in rows]

    def __iter__(self) -> Iterator[Any]:
        for start in range(0, len(self.ids), 500):
            yield from self[start : start + 500]


class SortedIds:
    """A sorted queryset paged by sorting its ids alone and then reading one page's rows:
    the sort carries one narrow column instead of every column (encrypted numbers and all)
    of tens of thousands of rows. For Django's Paginator and the exports.

    A page's ids and the total are kept in the figure cache under `name` by the query that
    finds them (`figure_cache.kept_list`): a street's residents sorted by address is a sort
    of 30,000 rows, and it stands until one of the tables it reads is written. `ordered`
    must end in a unique column, so that pages neither repeat nor skip a row."""

    def __init__(self, ordered: QuerySet[Any], rows: QuerySet[Any], name: str) -> None:
        self.sorted = ordered
        self.rows = rows
        self.name = name

    ordered = True  # what Django's Paginator asks

    def count(self) -> int:
        return figure_cache.kept_count(f"{self.name}:count", self.sorted)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        ids = self.sorted.values_list("pk", flat=True)[index]
        return ByIds(figure_cache.kept_list(f"{self.name}:page", ids), self.rows)[:]

    def __iter__(self) -> Iterator[Any]:
        return iter(ByIds(list(self.sorted.values_list("pk", flat=True)), self.rows))
