"""For tests: databases of their own that other processes reach (a Celery worker, a killed
importer, threads racing on an SQLite file), already migrated.

Migrating a new database from nothing takes 10–25 s; eight places in the suite need one.
Each test process migrates one template per engine, once, in a child process as a new
site would (`manage.py migrate`); every scratch database after that is a copy of it: the
SQLite backup API into a new file, or PostgreSQL's `CREATE DATABASE … TEMPLATE` (a file
copy). The copy holds exactly what a fresh migrate writes, default rows included. The
templates go when the test process ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
_templates: dict[str, str] = {}  # engine (and server) -> the migrated template


def manage(env: dict[str, str], *args: str, timeout: int = 600) -> str:
    """`manage.py *args` in a child process with `env`, asserted to succeed; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in ("DOORSTEP_REQUIRE_DB", "CELERY_BROKER_URL", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    manage(env, "migrate", "--noinput", "-v0")


def migrated_sqlite_file(path: Path) -> str:
    """A migrated SQLite file at `path`; its DATABASE_URL."""
    template = _templates.get("sqlite")
    if template is None:
        folder = tempfile.mkdtemp(prefix="doorstep-migrated-")
        atexit.register(shutil.rmtree, folder, True)
        template = str(Path(folder) / "migrated.sqlite3")
        _migrate(f"sqlite:///{template}")
        _templates["sqlite"] = template
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"


def _server(settings_dict: dict[str, Any]) -> str:
    user = settings_dict["USER"] or "postgres"
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{settings_dict['PORT'] or 5432}"


def _admin(server: str, sql: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def migrated_postgres(settings_dict: dict[str, Any]) -> str:
    """A new migrated database on the test database's PostgreSQL server; its URL."""
    server = _server(settings_dict)
    template = _templates.get(server)
    if template is None:
        template = f"doorstep_migrated_{os.getpid()}"
        _admin(server, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        _admin(server, f'CREATE DATABASE "{template}"')
        atexit.register(_admin, server, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        _migrate(f"{server}/{template}")
        _templates[server] = template
    name = f"doorstep_scratch_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{server}/{name}"


@contextmanager
def scratch_database(tmp_path: Path) -> Iterator[tuple[str, Callable[[str], tuple[Any, ...]]]]:
    """A migrated database on the suite's engine that other processes can reach: its URL
    and a function that runs one query on it and returns the first row. Dropped after."""
    from django.conf import settings

    default = settings.DATABASES["default"]
    if "postgresql" in default["ENGINE"]:
        url = migrated_postgres(default)

        def query(sql: str) -> tuple[Any, ...]:
            with psycopg.connect(url) as conn:
                return conn.execute(sql).fetchone() or ()

        try:
            yield url, query
        finally:
            server, name = url.rsplit("/", 1)
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / f"scratch-{uuid.uuid4().hex[:8]}.sqlite3"
        url = migrated_sqlite_file(path)

        def query(sql: str) -> tuple[Any, ...]:
            with sqlite3.connect(path, timeout=30) as conn:
                return conn.execute(sql).fetchone() or ()

        yield url, query
