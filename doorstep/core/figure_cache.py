"""Figures kept in the shared cache until a table they were read from is written.

`remembered(name, key, compute)` returns `compute()`, from the cache when no table that
computation read has been written since. Nobody lists what a figure depends on, and no
write site has to remember to drop it:

- while `compute()` runs, every statement it sends (on every database) is read for the
  tables it names: those are the entry's tables;
- every write statement any code sends (the ORM, `update()`, raw SQL, migrations) gives
  each table it names a new generation token, when its transaction commits (at once in
  autocommit). `core.bulk`'s COPY, which no cursor wrapper sees, says so itself
  (`tables_written`);
- an entry is served only while each of its tables still has the token it had *before*
  the computation began. A write that commits while a figure is being computed therefore
  makes the entry stale at once; it is never served.

A figure that changes with the clock alone (an activity counts as held once it has begun)
says when it will change next (`changes_at`); its entry lasts until then.

A connection whose open transaction wrote one of an entry's tables neither reads nor
keeps that entry (it must see its own writes; the test suite runs every test in such a
transaction). Reads that went to the replica (`core.replica`) are kept only
`REPLICA_SECONDS`, since the replica may lag the tokens the primary's commits renewed.

It is on with the shared Redis cache (`DOORSTEP_CACHE_URL`) and off on the embedded
default, where a management command in another process would write without renewing the
web process's own cache (`DOORSTEP_FIGURE_CACHE=1|0` overrides). What is kept must depend
on its key alone: the cockpit keys by node and period (after the node was authorised), a
user's access facts (`core.access.held`) by the user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.utils import timezone

T = TypeVar("T")
log = logging.getLogger(__name__)

ENTRY_SECONDS = 6 * 3600  # memory only: a kept entry is never served stale
REPLICA_SECONDS = 30
_GEN = "fig:g:"  # + table: its generation token
_TABLES = "fig:t:"  # + release + name: the tables that name's computations read
_ENTRY = "fig:e:"  # + release + name + key: (tables, tokens, until, replica, value)

NOT_WRITES = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET ",
              "SHOW", "PRAGMA", "EXPLAIN", "VALUES")  # fmt: skip
WRITE_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The one table a plain INSERT, UPDATE or DELETE writes, read off its head: the rest of the
# statement (a subquery, ON CONFLICT, a long VALUES list) only reads, so it needs no scan.
TARGET = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+[A-Z]+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+"
    r'"?([A-Za-z_][A-Za-z0-9_]*)"?[\s(]',
    re.IGNORECASE,
)

_known: frozenset[str] | None = None
# name -> the tables its computations were seen to read, in this process: which tokens to
# fetch with an entry (a hint, never trusted: an entry is checked against its own tables)
_hints: dict[str, set[str]] = {}
_recording: ContextVar[tuple[_Recorder, ...]] = ContextVar("figure_recording", default=())


def enabled() -> bool:
    return bool(getattr(settings, "FIGURE_CACHE", False))


def renewing() -> bool:
    """Writes renew tokens whenever the cache is shared, even in a process that keeps no
    figures itself (a command run with DOORSTEP_FIGURE_CACHE=0 beside serving ones)."""
    return enabled() or bool(getattr(settings, "CACHE_URL", ""))


_release: str | None = None


def release() -> str:
    """What kept entries were made by: DOORSTEP_RELEASE (a deploy's id), else a digest of
    the code. A deploy that changes a figure's shape never reads the old one."""
    global _release
    if _release is None:
        import os
        from pathlib import Path

        given = os.environ.get("DOORSTEP_RELEASE", "")
        if given:
            _release = given[:40]
        else:
            digest = hashlib.sha256()
            root = Path(__file__).resolve().parent.parent
            for path in sorted(root.rglob("*.py")):
                digest.update(path.read_bytes())
            _release = digest.hexdigest()[:12]
    return _release


def known_tables() -> frozenset[str]:
    """Every table of an installed model (many-to-many tables included), lower case."""
    global _known
    if _known is None:
        from django.apps import apps

        names: set[str] = set()
        for model in apps.get_models(include_auto_created=True):
            names.add(model._meta.db_table.lower())
        _known = frozenset(names)
    return _known


def tables_in(sql: str) -> set[str]:
    """The known tables a statement names (more rather than fewer: a word that happens to
    equal a table's name only costs an extra renewal)."""
    known = known_tables()
    return {w for w in (m.lower() for m in WORD.findall(sql)) if w in known}


def written_by(sql: str) -> set[str]:
    """The known tables a write statement writes: its target, or every table it names
    when its head does not say (WITH, TRUNCATE, DDL)."""
    head = TARGET.match(sql)
    if head is not None:
        table = head.group(1).lower()
        if table in known_tables():
            return {table}
    return tables_in(sql)


def is_write(sql: str) -> bool:
    head = sql.lstrip(" \t\n(")[:10].upper()  # a UNION's parts come in parentheses
    if head.startswith(NOT_WRITES):
        return False
    if head.startswith("WITH"):
        return WRITE_WORD.search(sql) is not None
    return True  # INSERT, UPDATE, DELETE, REPLACE, TRUNCATE, DDL


# ---------------------------------------------------------------- writes


def _renew(tables: Iterable[str]) -> None:
    """New tokens for `tables`. The write has committed: a cache that cannot be reached
    must not make it look failed, so the error is logged (an entry it could not renew
    lives out its ENTRY_SECONDS)."""
    tokens = {_GEN + t: secrets.randbits(62) for t in tables}
    if not tokens:
        return
    try:
        cache.set_many(tokens, None)
    except Exception:  # noqa: BLE001 — any cache failure; the write stands
        log.exception("figure cache: could not renew %s", sorted(tables))


def renew_all() -> None:
    """Every table written at once (a database restored underneath the cache)."""
    _renew(known_tables())


class _Watch:
    """A connection's execute wrapper: renews the tokens of the tables its writes name."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pending: set[str] = set()
        self.flush_cb = self.flush

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        finally:  # a failed executemany may have written some rows in autocommit
            if is_write(sql) and renewing():
                self.wrote(written_by(sql))

    def wrote(self, tables: set[str]) -> None:
        if not tables or not renewing():
            return
        if not self.connection.in_atomic_block:
            _renew(tables)  # autocommit: already committed
            return
        if not self.waiting():
            self.pending = set()
            transaction.on_commit(self.flush_cb, using=self.connection.alias)
        self.pending |= tables

    def waiting(self) -> bool:
        """Whether this transaction has written (its flush is still due at commit)."""
        return self.connection.in_atomic_block and any(
            entry[1] is self.flush_cb for entry in self.connection.run_on_commit
        )

    def flush(self) -> None:
        tables, self.pending = self.pending, set()
        _renew(tables)

    def unseen(self, tables: Iterable[str]) -> bool:
        """True unless this connection's open transaction wrote one of `tables`."""
        return not (self.waiting() and self.pending.intersection(tables))


def watch(connection: Any, **_: Any) -> None:
    """Install the watch on a new connection (`connection_created`; core.apps)."""
    if not any(isinstance(w, _Watch) for w in connection.execute_wrappers):
        # first: Django's execute_wrapper() context manager pops the *last* wrapper, so a
        # connection opened inside one (a recorder's) must not put the watch after it
        connection.execute_wrappers.insert(0, _Watch(connection))


def _watch_of(connection: Any) -> _Watch | None:
    for w in connection.execute_wrappers:
        if isinstance(w, _Watch):
            return w
    return None


def tables_written(tables: Iterable[str], using: str = "default") -> None:
    """For writes no cursor wrapper sees (a COPY): the tables they wrote."""
    conn = connections[using]
    w = _watch_of(conn)
    if w is None:
        watch(conn)
        w = _watch_of(conn)
    assert w is not None
    w.wrote({t.lower() for t in tables})


def _unseen_everywhere(tables: Iterable[str]) -> bool:
    tables = set(tables)
    for alias in connections:
        conn = connections[alias]
        w = _watch_of(conn)
        if w is not None and not w.unseen(tables):
            return False
    return True


# ---------------------------------------------------------------- reads


def _tokens(tables: Iterable[str]) -> dict[str, int]:
    """Each table's current token (a missing one is made now)."""
    tables = sorted(set(tables))
    found = cache.get_many([_GEN + t for t in tables])
    missing = {_GEN + t: secrets.randbits(62) for t in tables if _GEN + t not in found}
    if missing:
        for k, v in missing.items():
            if cache.add(k, v, None):
                found[k] = v
            else:
                found[k] = cache.get(k)
    return {t: found[_GEN + t] for t in tables}


class _Recorder:
    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.replica = False
        self.until: dt.datetime | None = None

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.tables |= tables_in(sql)
        if context["connection"].alias != "default":
            self.replica = True
        return execute(sql, params, many, context)


def _note_outer(
    tables: Iterable[str], until: dt.datetime | None = None, replica: bool = False
) -> None:
    for outer in _recording.get():
        outer.tables.update(tables)
        outer.replica = outer.replica or replica
        if until is not None:
            outer.until = until if outer.until is None else min(outer.until, until)


def recording() -> bool:
    """Whether a figure is being computed for the cache (so `changes_at` is heard)."""
    return bool(_recording.get())


def changes_at(moment: dt.datetime | None) -> None:
    """The figure being computed will change by itself at `moment` (None: never), with no
    write: what is kept of it lasts until then."""
    if moment is not None:
        _note_outer((), moment)


def _text(key: Any, depth: int = 0) -> str:
    """A key as cache-safe text: parts joined, no spaces; a long one by its digest."""
    if isinstance(key, tuple | list):
        parts = [_text(part, depth + 1) for part in key]
        text = ":".join(parts) if depth == 0 else "(" + ",".join(parts) + ")"
    else:
        text = str(key).replace(" ", "T")
    return text if len(text) <= 160 else hashlib.sha256(text.encode()).hexdigest()


def remembered(name: str, key: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned before if no table it read was written since.
    `key` (with `name`) says what was computed: a node's id and a period, a user's id.

    A hit costs one round trip: the entry and the tokens of the tables this process saw
    `name` read before (`_hints`, a hint only: the entry's own tables decide)."""
    if not enabled():
        return compute()
    tables_key = f"{_TABLES}{release()}:{name}"
    entry_key = f"{_ENTRY}{release()}:{name}:{_text(key)}"
    hint = _hints.get(name)
    try:
        if hint is None:
            got = cache.get_many([entry_key, tables_key])
            hint = set(got.get(tables_key) or ())
            tokens: dict[str, Any] = {}
        else:
            got = cache.get_many([entry_key, *(_GEN + t for t in hint)])
            tokens = {t: got.get(_GEN + t) for t in hint}
        entry = got.get(entry_key)
        if entry is not None:
            tables, kept_tokens, until, replica, value = entry
            if _unseen_everywhere(tables) and (until is None or timezone.now() < until):
                if not set(tables) <= tokens.keys():
                    tokens = _tokens(set(tables) | hint)
                    _hints[name] = hint | set(tables)
                if all(tokens[t] == v for t, v in zip(tables, kept_tokens, strict=True)):
                    _note_outer(tables, until, replica)
                    return value  # type: ignore[no-any-return]
            hint = hint | set(tables)
        if hint and (not hint <= tokens.keys() or None in tokens.values()):
            tokens = _tokens(hint)  # before computing: a write committed meanwhile shows
    except Exception:  # noqa: BLE001 — the cache unreachable: compute, keep nothing
        log.exception("figure cache: could not read %s", name)
        return compute()
    recorder = _Recorder()
    outer = _recording.set((*_recording.get(), recorder))
    try:
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(recorder))
            value = compute()
    finally:
        _recording.reset(outer)
    read, until, replica = recorder.tables, recorder.until, recorder.replica
    _note_outer(read, until, replica)
    seconds = float(REPLICA_SECONDS if replica else ENTRY_SECONDS)
    if until is not None:
        seconds = min(seconds, (until - timezone.now()).total_seconds())
    try:
        if not read <= hint:
            _hints[name] = hint | read
            cache.set(tables_key, sorted(hint | read), None)  # for the next computation
        else:
            _hints[name] = hint
            if tokens and seconds >= 1 and _unseen_everywhere(read):
                tables = sorted(read)
                kept = (tables, [tokens[t] for t in tables], until, replica, value)
                cache.set(entry_key, kept, int(seconds))
    except Exception:  # noqa: BLE001 — not kept this time
        log.exception("figure cache: could not keep %s", name)
    return value


def query_key(queryset: Any) -> tuple[str, str] | None:
    """What a queryset asks, exactly: its SQL and parameters (the viewer's scope, filters
    and page are in them), so it needs no key of its own. None when Django knows without
    asking that it finds nothing."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, repr(params)


def kept_list(name: str, queryset: Any) -> list[Any]:
    """`list(queryset)` of plain values (a `values_list`), kept by the query it sends."""
    key = query_key(queryset)
    return list(queryset) if key is None else remembered(name, key, lambda: list(queryset))


def kept_count(name: str, queryset: Any) -> int:
    """`queryset.count()`, kept by the query of the rows it counts."""
    key = query_key(queryset)
    return queryset.count() if key is None else remembered(name, key, queryset.count)
