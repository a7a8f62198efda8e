"""Keeping the population counters (`PopulationTally`) in step with the residents.

Every write to a resident goes through `changed(before, after)` (or, for the bulk paths,
`added(rows)`) inside the write's transaction: the facts a resident contributes — residence
type, sex, birth date, each vulnerable-group tag — are counted for the resident's grid and
every ancestor of it. `recount()` rebuilds the whole table from the residents alone (the
one place that decrypts every tag) and must agree exactly; `recount_population` checks it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import connection, transaction

from doorstep.atlas.organisations.models import Organisation

from .counters import Dimension, PopulationTally

CHUNK = 500  # rows per INSERT … ON CONFLICT statement

Key = tuple[int, str, str]  # (organisation id, dimension, key)


class Facts(NamedTuple):
    """What one resident contributes to the counters of its grid's subtree."""

    grid_id: int
    residence_type: str
    gender: str
    birth_date: dt.date | None
    tags: tuple[str, ...]

    def pairs(self) -> list[tuple[str, str]]:
        born = self.birth_date.isoformat() if self.birth_date else ""
        return [
            (Dimension.TYPE, self.residence_type),
            (Dimension.SEX, self.gender or ""),
            (Dimension.BORN, born),
            *([(Dimension.MONTH, born[:7])] if born else []),
            *((Dimension.TAG, t) for t in sorted(set(self.tags))),
        ]


def facts_of(resident: Any) -> Facts:
    """The facts of a resident (model instance), as stored now."""
    return Facts(
        resident.grid_id,
        resident.residence_type,
        resident.gender or "",
        resident.birth_date,
        tuple(resident.tags or ()),
    )


def facts_from_row(row: dict[str, Any]) -> Facts:
    """The facts of a resident given as {attname: value} (the seeding fast path)."""
    return Facts(
        row["grid_id"],
        row["residence_type"],
        row.get("gender") or "",
        row.get("birth_date"),
        tuple(row.get("tags") or ()),
    )


def _count(per_grid: Counter[Key], facts: Facts, sign: int) -> None:
    for dimension, key in facts.pairs():
        per_grid[(facts.grid_id, str(dimension), key)] += sign


def changed(before: Facts | None, after: Facts | None) -> None:
    """A resident was created (before None), edited or moved, or deleted (after None)."""
    per_grid: Counter[Key] = Counter()
    if before is not None:
        _count(per_grid, before, -1)
    if after is not None:
        _count(per_grid, after, +1)
    _apply(per_grid)


def added(facts: Iterable[Facts], sign: int = 1) -> None:
    """Many residents were inserted (or, with sign -1, removed) in one go."""
    per_grid: Counter[Key] = Counter()
    for f in facts:
        _count(per_grid, f, sign)
    _apply(per_grid)


def members(grid_ids: Iterable[int], sign: int = 1) -> None:
    """Party members (one per grid id given) joined, left, or moved in or out."""
    per_grid: Counter[Key] = Counter()
    for grid_id in grid_ids:
        per_grid[(grid_id, str(Dimension.MEMBER), "")] += sign
    _apply(per_grid)


def households(rows: Iterable[tuple[Any, Any]], sign: int = 1) -> None:
    """Households given as (grid id, tenure) were added (or, with sign -1, removed)."""
    per_grid: Counter[Key] = Counter()
    for grid_id, tenure in rows:
        per_grid[(grid_id, str(Dimension.TENURE), tenure)] += sign
    _apply(per_grid)


def links(grid_ids: Iterable[int], sign: int = 1) -> None:
    """Household links (联户) made or ended, one per grid id given (the household's grid)."""
    per_grid: Counter[Key] = Counter()
    for grid_id in grid_ids:
        per_grid[(grid_id, str(Dimension.LINKED), "")] += sign
    _apply(per_grid)


def _paths(grid_ids: Iterable[int]) -> dict[int, list[int]]:
    rows = Organisation.objects.filter(pk__in=set(grid_ids)).values_list("pk", "path")
    return {pk: [int(x) for x in path.strip("/").split("/") if x] for pk, path in rows}


def _spread(per_grid: Counter[Key]) -> Counter[Key]:
    """Per-grid increments → the same increments on every ancestor (the grid included)."""
    paths = _paths(g for g, _, _ in per_grid)
    per_org: Counter[Key] = Counter()
    for (grid_id, dimension, key), n in per_grid.items():
        if n:
            for org_id in paths[grid_id]:
                per_org[(org_id, dimension, key)] += n
    return per_org


def _apply(per_grid: Counter[Key]) -> None:
    _upsert(_spread(per_grid))


def subtree_removed(root: Organisation) -> None:
    """`root` and everything under it is being deleted: its ancestors lose what it held
    (its own rows go with it, by cascade)."""
    ancestors = [int(x) for x in root.path.strip("/").split("/") if x and int(x) != root.pk]
    rows = PopulationTally.objects.filter(organisation=root).values_list("dimension", "key", "n")
    per_org: Counter[Key] = Counter()
    for dimension, key, n in rows:
        for org_id in ancestors:
            per_org[(org_id, dimension, key)] -= n
    _upsert(per_org)


def _upsert(increments: Counter[Key]) -> None:
    per_org = {k: n for k, n in increments.items() if n}
    if not per_org:
        return
    qn = connection.ops.quote_name
    table = qn(PopulationTally._meta.db_table)
    head = f"INSERT INTO {table} (organisation_id, dimension, {qn('key')}, n) VALUES "
    tail = (
        f" ON CONFLICT (organisation_id, dimension, {qn('key')}) "
        f"DO UPDATE SET n = {table}.n + excluded.n"
    )
    # Sorted, so two writers touching the same ancestors lock their rows in the same order.
    items = sorted(per_org.items())
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for (org_id, dimension, key), n in chunk:
                params += [org_id, dimension, key, n]
            cursor.execute(head + values + tail, params)


def recount() -> dict[Key, int]:
    """The counters as they should be, from the residents alone (decrypts every tag)."""
    from doorstep.atlas.places.models import Household

    from .models import HouseholdLink, PartyMember, Resident

    per_grid: Counter[Key] = Counter()
    rows = Resident.objects.order_by().values_list(
        "grid_id", "residence_type", "gender", "birth_date", "tags"
    )
    for grid_id, rtype, gender, born, tags in rows.iterator(chunk_size=5000):
        _count(per_grid, Facts(grid_id, rtype, gender or "", born, tuple(tags or ())), 1)
    member_grids = PartyMember.objects.order_by().values_list("resident__grid_id", flat=True)
    for grid_id in member_grids.iterator(chunk_size=5000):
        per_grid[(grid_id, str(Dimension.MEMBER), "")] += 1
    homes = Household.objects.order_by().values_list("grid_id", "tenure")
    for grid_id, tenure in homes.iterator(chunk_size=5000):
        per_grid[(grid_id, str(Dimension.TENURE), tenure)] += 1
    linked = HouseholdLink.objects.order_by().values_list("household__grid_id", flat=True)
    for grid_id in linked.iterator(chunk_size=5000):
        per_grid[(grid_id, str(Dimension.LINKED), "")] += 1
    return {k: n for k, n in _spread(per_grid).items() if n}


def stored() -> dict[Key, int]:
    rows = PopulationTally.objects.exclude(n=0).values_list(
        "organisation_id", "dimension", "key", "n"
    )
    return {(o, d, k): n for o, d, k, n in rows}


@transaction.atomic
def rewrite(expected: dict[Key, int] | None = None) -> int:
    """Replace the whole table with the recount; returns how many rows it holds."""
    expected = recount() if expected is None else expected
    PopulationTally.objects.all().delete()
    PopulationTally.objects.bulk_create(
        [
            PopulationTally(organisation_id=o, dimension=d, key=k, n=n)
            for (o, d, k), n in sorted(expected.items())
        ],
        batch_size=2000,
    )
    return len(expected)


def differences(expected: dict[Key, int], actual: dict[Key, int]) -> list[tuple[Key, int, int]]:
    """(key, expected, stored) for every counter that disagrees."""
    keys = sorted(set(expected) | set(actual))
    return [
        (k, expected.get(k, 0), actual.get(k, 0))
        for k in keys
        if expected.get(k, 0) != actual.get(k, 0)
    ]


def read(org: Organisation, bands: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """A node's counters: {dimension: {key: n}} for the small dimensions and, for birth
    dates, the count per band given as (label, after, up_to) ISO bounds (after < born ≤ up_to)
    plus those of unknown birth date. Two reads of the node's own rows."""
    from django.db.models import Q, Sum

    mine = PopulationTally.objects.filter(organisation=org)
    small = [str(d) for d in Dimension if d not in (Dimension.BORN, Dimension.MONTH)]
    out: dict[str, Any] = {d: {} for d in small}
    for dimension, key, n in mine.filter(dimension__in=small).values_list("dimension", "key", "n"):
        if n:
            out[dimension][key] = n
    bounds = sorted({b for _, after, up_to in bands for b in (after, up_to)})

    def born_by(day: str) -> Q:  # born on or before `day`
        return Q(dimension=Dimension.MONTH, key__lt=day[:7]) | Q(
            dimension=Dimension.BORN, key__gte=f"{day[:7]}-01", key__lte=day
        )

    unknown = Q(dimension=Dimension.BORN, key="")
    rows = Q(dimension=Dimension.MONTH) | unknown
    for day in bounds:
        rows |= Q(dimension=Dimension.BORN, key__gte=f"{day[:7]}-01", key__lte=day)
    agg = mine.filter(rows).aggregate(
        unknown=Sum("n", filter=unknown),
        **{f"c{i}": Sum("n", filter=born_by(day)) for i, day in enumerate(bounds)},
    )
    upto = {day: agg[f"c{i}"] or 0 for i, day in enumerate(bounds)}
    out["age_bands"] = {label: upto[up_to] - upto[after] for label, after, up_to in bands}
    out["unknown_age"] = agg["unknown"] or 0
    return out
