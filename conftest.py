"""Project-wide pytest fixtures: the persona world, and a strict PostgreSQL check."""

from __future__ import annotations

import os

import pytest
from django.db import connection


def pytest_sessionstart(session: pytest.Session) -> None:
    # CI sets DOORSTEP_REQUIRE_DB=postgresql: a run that silently fell back to SQLite
    # (or could not reach PostgreSQL) must fail, not pass.
    wanted = os.environ.get("DOORSTEP_REQUIRE_DB")
    if wanted:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if wanted not in engine:
            raise pytest.UsageError(f"DOORSTEP_REQUIRE_DB={wanted} but the engine is {engine}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas are created with passwords; PBKDF2's deliberate slowness only slows tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _wants_transactional_db(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _audit_guard_lifted_for_flush(request: pytest.FixtureRequest):
    """Transactional tests end with a flush; on SQLite that is a DELETE, which the audit
    log's append-only trigger refuses. Lift the trigger only for that flush, and put it back
    before the next such test. (PostgreSQL flushes with TRUNCATE: no row trigger fires.)"""
    if not _wants_transactional_db(request) or connection.vendor != "sqlite":
        yield
        return
    request.getfixturevalue("transactional_db")

    from doorstep.core.migrations import _audit_guard

    with connection.cursor() as cursor:
        for sql in _audit_guard.SQLITE_CREATE:
            cursor.execute(sql)
    yield
    with connection.cursor() as cursor:
        for sql in _audit_guard.SQLITE_DROP:
            cursor.execute(sql)


@pytest.fixture
def world(db):
    from doorstep.core.testing import build_world

    return build_world()


@pytest.fixture
def login(client):
    """login("grid_worker_a", world) -> a client logged in as that persona."""

    def _login(name: str, world) -> object:
        client.force_login(world.personas[name])
        return client

    return _login


@pytest.fixture
def vendor() -> str:
    return connection.vendor


@pytest.fixture
def cw(world):
    """The persona world plus departments, liaisons, a volunteer and categories (cases)."""
    from doorstep.cases.testing import build_case_world

    return build_case_world(world)
