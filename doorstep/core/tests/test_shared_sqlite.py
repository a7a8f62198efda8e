"""A SQLite connection the live server shares between threads is used by one at a time.

Two threads inside statements on one shared SQLite connection can hang the test process
for good (see doorstep.core.testing.serialise_shared_sqlite): a CI run once stopped at 97%
until its time ran out. The suite turns serialisation on at session start."""

from __future__ import annotations

import threading
import time

from django.db.utils import ConnectionHandler

from doorstep.core.testing import sqlite_lock


def test_a_query_from_another_thread_waits_while_the_shared_connection_is_busy(
    django_db_blocker,
):
    # An in-memory SQLite connection of its own (whatever the test database is), shared
    # with a second thread as the live server shares the test database's.
    shared = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )["default"]
    shared.inc_thread_sharing()
    finished: list[float] = []

    def query() -> None:
        with shared.cursor() as cursor:
            cursor.execute("SELECT upper(%s)", ["门"])
            assert cursor.fetchone() == ("门",)
        finished.append(time.monotonic())

    with django_db_blocker.unblock():  # a database of its own, not the test database
        try:
            with sqlite_lock(shared):  # this thread is inside a statement
                other = threading.Thread(target=query)
                other.start()
                other.join(0.5)
                assert finished == [], "the other thread's query ran beside this one"
                released = time.monotonic()
            other.join(10)
        finally:
            shared.dec_thread_sharing()
            shared.close()
    assert len(finished) == 1 and finished[0] >= released
