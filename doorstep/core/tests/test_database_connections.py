"""Connections that cannot exhaust PostgreSQL (trust probe, finding 8).

Before: CONN_MAX_AGE=60 by default, and runserver's thread per request kept a connection
each, so ~100 concurrent requests held all 100 of the server's connections. Now nothing is
kept by default, and production bounds each process with a pool (DOORSTEP_DB_POOL_SIZE).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import psycopg

from config.settings import database

PG = os.environ.get("CI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def test_no_connection_is_kept_by_default():
    assert database({})["CONN_MAX_AGE"] == 0
    pg = database({"DATABASE_URL": PG})
    assert pg["CONN_MAX_AGE"] == 0 and "pool" not in pg.get("OPTIONS", {})


def test_a_pool_bounds_the_connections_of_a_process_under_load(django_db_blocker):
    """Twenty threads query at once through a pool of three: PostgreSQL never sees more
    than three connections from this process, and every query is answered."""
    from django.db.utils import ConnectionHandler

    settings = database({"DATABASE_URL": PG, "DOORSTEP_DB_POOL_SIZE": "3"})
    assert settings["CONN_MAX_AGE"] == 0 and settings["OPTIONS"]["pool"]["max_size"] == 3
    tag = f"doorstep-pool-{uuid.uuid4().hex[:8]}"
    settings["OPTIONS"]["application_name"] = tag
    settings.setdefault("TEST", {})
    handler = ConnectionHandler({"default": database({}), "pooltest": settings})
    answered: list[int] = []
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        with psycopg.connect(PG, autocommit=True) as conn:
            while not stop.is_set():
                (n,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [tag]
                ).fetchone()
                peak = max(peak, n)
                time.sleep(0.02)

    def work() -> None:
        conn = handler["pooltest"]
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(0.15), 1")
                answered.append(cursor.fetchone()[1])
        finally:
            conn.close()  # back to the pool

    watcher = threading.Thread(target=watch)
    watcher.start()
    with django_db_blocker.unblock():  # a database of its own, not the test database
        workers = [threading.Thread(target=work) for _ in range(20)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        handler["pooltest"].close_pool()
    stop.set()
    watcher.join()

    assert answered == [1] * 20
    assert 1 <= peak <= 3
