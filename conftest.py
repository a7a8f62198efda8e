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
