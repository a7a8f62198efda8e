"""Project-wide pytest fixtures: the persona world, and a strict PostgreSQL check."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    # Every page and endpoint the suite requests must read scoped tables through the
    # access door (core/doorguard.py).
    from doorstep.core import doorguard
    from doorstep.core.testing import serialise_shared_sqlite

    doorguard.turn_on()
    serialise_shared_sqlite()
    # The figure cache is on in production (Redis); the suite runs with it too, in the
    # process's own cache, which each test starts empty (core/figure_cache.py).
    from django.conf import settings

    settings.FIGURE_CACHE = True


# A test still running after this long is hung (the slowest, a browser walk seeding the
# demo street first, takes about two minutes): print every thread's stack and end the
# worker, so the run fails at once, naming the test and the line, instead of timing out.
HUNG_AFTER_SECONDS = int(os.environ.get("DOORSTEP_TEST_HUNG_AFTER", "600"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    import faulthandler

    from _pytest.faulthandler import fault_handler_stderr_fd_key

    # pytest's copy of the real stderr: the test's own output is being captured.
    stderr = item.config.stash.get(fault_handler_stderr_fd_key, 2)
    faulthandler.dump_traceback_later(HUNG_AFTER_SECONDS, exit=True, file=stderr)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Files that take a minute or more (browser walks, races, the demo street, fuzzing) go
# first, so the workers (pytest-xdist, a file at a time) finish together instead of one
# of them running a slow file alone at the end. Order within a file is kept.
SLOW_FIRST = (
    "e2e/",
    "doorstep/cases/tests/test_properties.py",
    "doorstep/core/tests/test_canaries.py",
    "doorstep/core/tests/test_canaries_more.py",
    "doorstep/atlas/people/tests/test_ledger_kill.py",
    "doorstep/cases/tests/test_claim_race.py",
    "doorstep/atlas/web/tests/test_api_fuzz.py",
    "doorstep/demo/tests/test_seed_demo.py",
    "doorstep/cockpit/tests/test_demo_figures.py",
    "doorstep/nearby/web/tests/test_api_scope_places.py",
    "doorstep/cases/tests/test_celery_sweep.py",
    "doorstep/nearby/web/tests/test_api_places_schema.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        for i, prefix in enumerate(SLOW_FIRST):
            if path.startswith(prefix):
                return i
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable: files and tests keep their order otherwise


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, tmp_path_factory):
    # Personas are created with passwords; PBKDF2's deliberate slowness only slows tests.
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # Background jobs (imports, big exports) run inline, before the request returns; a
    # browser test that watches a progress bar asks for "thread".
    settings.BACKGROUND_MODE = "inline"
    # Each test's audit checkpoints (if it writes any) in a file of its own, never var/'s.
    settings.AUDIT_CHECKPOINT_FILE = str(
        tmp_path_factory.getbasetemp() / f"audit-checkpoints-{uuid.uuid4().hex}.jsonl"
    )
    # What an earlier test cached (a street's dispatch history, rate-limit counters) was
    # about rows that test wrote and rolled back: every test starts with an empty cache.
    from django.core.cache import cache

    cache.clear()


def _wants_transactional_db(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _audit_guard_in_place(request: pytest.FixtureRequest):
    """Every test that touches SQLite starts with the audit log's append-only trigger in
    place, whatever ran before it (so no file depends on the order of the suite).

    Transactional tests end with a flush; on SQLite that is a DELETE, which the trigger
    refuses, so they lift it for that flush. (PostgreSQL flushes with TRUNCATE: no row
    trigger fires, and its trigger is never lifted.) In an ordinary test the CREATE runs
    inside the test's transaction and is rolled back with it."""
    transactional = _wants_transactional_db(request)
    uses_db = (
        transactional
        or "db" in request.fixturenames
        or request.node.get_closest_marker("django_db") is not None
    )
    if not uses_db or connection.vendor != "sqlite":
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")

    from doorstep.core.migrations import _audit_guard

    with connection.cursor() as cursor:
        for sql in _audit_guard.SQLITE_CREATE:
            cursor.execute(sql)
    yield
    if transactional:
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


class DemoTemplate:
    """The demo street (`seed_demo`, what `make demo` loads), built once per test process
    and copied into the test database for the tests that ask for it.

    Seeding takes 20–80 s; seven places in the suite need the street. The first test
    process of a run to need it seeds it and shares it in a folder of the run's (`shared`,
    under a file lock); the other processes copy that instead of seeding again. On SQLite
    the in-memory test database is snapshotted with SQLite's backup API (empty, then
    seeded; the seeded one is shared as a file) and restored either way in milliseconds;
    on PostgreSQL the seeded database is kept as a template and each use gets a fresh
    `CREATE DATABASE … TEMPLATE` copy (a file copy), dropped afterwards. Either way a user
    of the street starts from the very same rows, and the test database is empty and
    migrated again afterwards."""

    def __init__(self, media: Any, shared: Any) -> None:
        self.media = media
        self.vendor = connection.vendor
        self.output = ""
        self._base_name = connection.settings_dict["NAME"]
        self._snapshots: dict[str, Any] = {}
        self._shared = shared  # a folder every process of this test run sees
        self._seeded_here = False

    # -- building -------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        self._shared.mkdir(parents=True, exist_ok=True)
        with open(self._shared / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def build(self) -> None:
        """Seed the street, or copy the one another process of this run seeded."""
        import json

        built = self._shared / f"built-{self.vendor}.json"
        with self._locked():
            if built.exists():
                self._take(json.loads(built.read_text()))
                return
            self._seed()
            self._seeded_here = True
            shared = {"output": self.output, "media": str(self.media)}
            if self.vendor == "sqlite":
                import sqlite3

                shared["file"] = str(self._shared / "demo.sqlite3")
                target = sqlite3.connect(shared["file"])
                self._snapshots["demo"].backup(target)
                target.close()
            else:
                shared["template"] = self._template
            built.write_text(json.dumps(shared))

    def _take(self, shared: dict[str, str]) -> None:
        self.output, self.media = shared["output"], Path(shared["media"])
        if self.vendor == "sqlite":
            import sqlite3

            self._snapshots["empty"] = self._sqlite_snapshot()
            source = sqlite3.connect(shared["file"])
            demo = sqlite3.connect(":memory:", check_same_thread=False)
            source.backup(demo)
            source.close()
            self._snapshots["demo"] = demo
        else:
            self._pg(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._pg(f'CREATE DATABASE "{self._template}" TEMPLATE "{shared["template"]}"')

    def _seed(self) -> None:
        from django.core.management import call_command
        from django.test import override_settings

        out = io.StringIO()
        # Logins as every test makes them (see _fast_password_hashing), and photos in a
        # folder of the template's own.
        seeding = override_settings(MEDIA_ROOT=self.media, PASSWORD_HASHERS=FAST_HASHERS)
        if self.vendor == "sqlite":
            self._snapshots["empty"] = self._sqlite_snapshot()
            with seeding:
                call_command("seed_demo", stdout=out)
            self._snapshots["demo"] = self._sqlite_snapshot()
            self._sqlite_restore("empty")
        else:
            self._pg(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            # A template must have no other sessions: threads of earlier tests (races, the
            # live server) may have left a connection open. Django's own is closed first.
            self._switch(self._base_name)
            self._pg(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE datname = '{self._base_name}' AND pid <> pg_backend_pid()"
            )
            self._pg(f'CREATE DATABASE "{self._template}" TEMPLATE "{self._base_name}"')
            self._switch(self._template)
            try:
                with seeding:
                    call_command("seed_demo", stdout=out)
            finally:
                self._switch(self._base_name)
        self.output = out.getvalue()

    def destroy(self) -> None:

        with self._locked():  # a process still to take the shared street seeds its own
            if self._seeded_here:
                (self._shared / f"built-{self.vendor}.json").unlink(missing_ok=True)
                (self._shared / "demo.sqlite3").unlink(missing_ok=True)
            if self.vendor == "postgresql":
                self._pg(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')

    # -- using ----------------------------------------------------------------------
    def install(self) -> None:
        """Make the test database hold the demo street (no transaction may be open)."""
        if self.vendor == "sqlite":
            self._sqlite_restore("demo")
        else:
            self._pg(f'DROP DATABASE IF EXISTS "{self._copy}" WITH (FORCE)')
            self._pg(f'CREATE DATABASE "{self._copy}" TEMPLATE "{self._template}"')
            self._switch(self._copy)
        self._forget()

    def remove(self) -> None:
        """Back to the empty, migrated test database."""
        if self.vendor == "sqlite":
            self._sqlite_restore("empty")
        else:
            self._switch(self._base_name)
            self._pg(f'DROP DATABASE IF EXISTS "{self._copy}" WITH (FORCE)')
        self._forget()

    @staticmethod
    def _forget() -> None:
        """Drop the content-type ids cached from the other database: the two need not
        agree (seeding may create a content type the empty database lacks), and an id
        cached from one written into the other breaks a foreign key (django_admin_log)."""
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()

    # -- engines --------------------------------------------------------------------
    @property
    def _template(self) -> str:
        return f"{self._base_name}_demo"

    @property
    def _copy(self) -> str:
        return f"{self._base_name}_democopy"

    def _sqlite_snapshot(self) -> Any:
        import sqlite3

        connection.ensure_connection()
        snapshot = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(snapshot)
        return snapshot

    def _sqlite_restore(self, name: str) -> None:
        from doorstep.core.migrations import _audit_guard
        from doorstep.core.testing import sqlite_lock

        connection.ensure_connection()
        with sqlite_lock(connection):
            self._snapshots[name].backup(connection.connection)
        # The snapshot's trigger state is whatever it was when taken; leave it lifted,
        # as after a transactional test: each test puts it back (_audit_guard_in_place),
        # and a transactional test's closing flush needs it lifted.
        with connection.cursor() as cursor:
            for sql in _audit_guard.SQLITE_DROP:
                cursor.execute(sql)

    def _switch(self, name: str) -> None:
        from django.db import connections

        connections.close_all()
        connection.settings_dict["NAME"] = name

    def _pg(self, sql: str) -> None:
        import psycopg

        params = connection.settings_dict
        conninfo = psycopg.conninfo.make_conninfo(
            dbname="postgres",
            host=params["HOST"] or "127.0.0.1",
            port=params["PORT"] or 5432,
            user=params["USER"],
            password=params["PASSWORD"] or None,
        )
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql)


@pytest.fixture(scope="session")
def demo_template(
    django_db_setup, django_db_blocker, tmp_path_factory, testrun_uid
) -> Iterator[DemoTemplate]:
    """The demo street, seeded once per test run (see DemoTemplate)."""
    import tempfile

    shared = Path(tempfile.gettempdir()) / f"doorstep-demo-{testrun_uid}"
    with django_db_blocker.unblock():
        template = DemoTemplate(tmp_path_factory.mktemp("demo-media"), shared)
        template.build()
    yield template
    with django_db_blocker.unblock():
        template.destroy()


@contextlib.contextmanager
def demo_street_installed(template: DemoTemplate, blocker: Any) -> Iterator[Any]:
    """The test database holds the demo street inside the block (media in its folder);
    yields the street."""
    from django.test import override_settings

    from doorstep.atlas.organisations.models import Kind, Organisation

    with blocker.unblock():
        template.install()
    try:
        with blocker.unblock():
            street = Organisation.objects.get(kind=Kind.STREET, name__startswith="学院路")
        with override_settings(MEDIA_ROOT=template.media):
            yield street
    finally:
        with blocker.unblock():
            template.remove()


@pytest.fixture(scope="module")
def demo_module(demo_template, django_db_blocker) -> Iterator[Any]:
    """For a module whose tests all read the demo street: installed once for the module.
    Each test still runs in its own rolled-back transaction (request `db`)."""
    with demo_street_installed(demo_template, django_db_blocker) as street:
        yield street
        # A page closed at the end of the test may have left a request in flight (a map's
        # basemap, say); the database must not be swapped under it.
        from doorstep.core.testing import wait_for_live_requests

        wait_for_live_requests()


@pytest.fixture
def demo_street(live_server, transactional_db, demo_template, django_db_blocker) -> Iterator[Any]:
    """For browser tests: the demo street in the live server's database (committed), copied
    from the one seeded for this test process."""
    with demo_street_installed(demo_template, django_db_blocker) as street:
        yield street
        from doorstep.core.testing import wait_for_live_requests

        wait_for_live_requests()


@pytest.fixture
def co(world):
    """The persona world on a small road network with two co-building units (cogov)."""
    from doorstep.cogov.tests.helpers import build_co_world

    return build_co_world(world=world)
