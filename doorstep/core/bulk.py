"""Writing many new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

`insert(model, objs)` does what `bulk_create(objs)` does — each value prepared by its own
field, as Django prepares it for saving (the field methods `Field.pre_save`, which stamps
`auto_now` fields, and `get_db_prep_save`, which encrypts encrypted fields), primary keys
set on the objects — but on PostgreSQL the rows go in with one
`COPY … FROM STDIN` after their ids are taken from the table's sequence in one query. For a
wide table that skips compiling one INSERT with thousands of parameters, which took about
half of a ledger import's time (`bench/import_residents.py`). One difference: the
`auto_now` and `auto_now_add` timestamps of one insert are one moment, prepared once, where
bulk_create asks the clock per row.

No model signal is sent (bulk_create sends none either): whatever a write must also change,
the caller does explicitly (the importer updates the population tallies). Rows must be new.
(`demo.common.fast_insert` COPYs rows given as dicts, without ids, for the seeders' big
tables; this one is for model objects whose ids the caller needs.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from . import figure_cache

M = TypeVar("M", bound=models.Model)

# Fields whose preparation, on PostgreSQL, hands a value of this exact Python type through
# unchanged (Django's own field classes, not subclasses such as the encrypted ones, and no
# auto_now stamping): such a value is written as it is, skipping a dozen calls per cell. A
# value of any other type takes the field's own preparation.
PLAIN: dict[type[models.Field], tuple[type, ...]] = {  # type: ignore[type-arg]
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.BooleanField: (bool,),
    models.DateField: (dt.date,),
    models.ForeignKey: (int,),
    models.OneToOneField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
}


def _preparer(field: models.Field, now: dt.datetime) -> Callable[[Any], Any]:  # type: ignore[type-arg]
    """How `field` turns an object into the value COPY sends (as bulk_create would). `now`
    is the moment the insert stamps on `auto_now` and `auto_now_add` fields: one for all
    its rows, prepared once."""

    def prepared(obj: Any) -> Any:
        # Field.pre_save(obj, add=True): the field's value for an insert (no signal).
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    if type(field) is models.DateTimeField and (field.auto_now or field.auto_now_add):
        attname, stamp = field.attname, field.get_db_prep_save(now, connection)

        def stamped(obj: Any) -> Any:
            setattr(obj, attname, now)  # what pre_save does, with the insert's moment
            return stamp

        return stamped
    kinds = PLAIN.get(type(field))
    if kinds is None or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return prepared
    if isinstance(field, models.ForeignKey) and type(field.target_field) not in (
        models.AutoField,
        models.BigAutoField,
    ):
        return prepared
    attname = field.attname

    def plain(obj: Any) -> Any:
        value = getattr(obj, attname)
        if value is None or type(value) in kinds:
            return value
        return prepared(obj)

    return plain


def insert(model: type[M], objs: Sequence[M]) -> list[M]:
    """Insert new rows; returns them with their primary keys set."""
    objs = list(objs)
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs, batch_size=len(objs))
    meta = model._meta
    pk = meta.pk
    assert pk is not None and isinstance(pk, models.AutoField | models.BigAutoField)
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    fields = list(meta.concrete_fields)
    now = timezone.now()
    preparers = [_preparer(f, now) for f in fields]
    columns = ", ".join(qn(f.column or f.attname) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        for obj, (new_id,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = new_id
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([prepare(obj) for prepare in preparers])
    figure_cache.tables_written([meta.db_table])  # a COPY is no statement the watch sees
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
