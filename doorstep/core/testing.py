"""Named personas and a small world for tests (one per role and scope).

The world: 学院路街道 with two communities. 清华东路社区 has grids A and B, 二里庄社区 has
grid C. Each grid has one building, one unit and households with residents. A planted
ID-card and phone number belong to 王芳 in grid A; tests check they never leak unmasked.

Personas: 网格员甲 (grid A), 网格员乙 (grid B), 网格长甲 (grid A, may unmask), 社区干部
(清华东路社区), 街道干部 (the street), 党员 (central household in grid A), 居民 (王芳 herself),
联系干部 (a cadre linked to grid A: the cadre role held there),
局外人 (no role at all), 审计管理员, 系统管理员, 安全管理员.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from doorstep.accounts.models import Membership, Role, User
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.atlas.people import households
from doorstep.atlas.people.models import CentralHousehold, HouseholdLink, PartyMember, PartyStatus
from doorstep.atlas.people.services import create_resident
from doorstep.atlas.places.models import Building, Household, Unit

PLANTED_ID_CARD = "11010819850307000X"
PLANTED_PHONE = "13912345678"
PASSWORD = "Persona-pass-2026"


@dataclass
class World:
    street: Organisation
    community_1: Organisation
    community_2: Organisation
    grid_a: Organisation
    grid_b: Organisation
    grid_c: Organisation
    branch_a: Organisation
    building_a: Building
    building_b: Building
    building_c: Building
    household_a: Household
    household_a2: Household
    household_b: Household
    household_c: Household
    planted: Any  # the resident with the planted numbers (王芳, grid A)
    resident_b: Any
    resident_c: Any
    member: PartyMember
    personas: dict[str, User]


def make_user(username: str, display: str, *roles: tuple[str, Organisation]) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=display)
    for code, org in roles:
        role = Role.objects.get(code=code)
        Membership.objects.create(user=user, organisation=org, role=role)
        if role.is_staff_role and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    return user


def _building(grid: Organisation, name: str) -> tuple[Building, Unit]:
    building = Building.objects.create(name=name, grid=grid, address=f"北京市海淀区{name}")
    from doorstep.core.search import search_text_for

    Building.objects.filter(pk=building.pk).update(search_text=search_text_for(name))
    unit = Unit.objects.create(building=building, number="1单元")
    return building, unit


def _household(unit: Unit, room: str) -> Household:
    return households.save_household(household=Household(unit=unit, room=room))


def build_world() -> World:
    street = create_organisation(name="学院路街道", kind=Kind.STREET, parent=None, code="T-STREET")
    c1 = create_organisation(name="清华东路社区", kind=Kind.COMMUNITY, parent=street)
    c2 = create_organisation(name="二里庄社区", kind=Kind.COMMUNITY, parent=street)
    grid_a = create_organisation(name="清华东路第一网格", kind=Kind.GRID, parent=c1)
    grid_b = create_organisation(name="清华东路第二网格", kind=Kind.GRID, parent=c1)
    grid_c = create_organisation(name="二里庄第一网格", kind=Kind.GRID, parent=c2)
    committee = create_organisation(
        name="学院路街道党工委", kind=Kind.WORKING_COMMITTEE, parent=street
    )
    c1_party = create_organisation(
        name="清华东路社区党委", kind=Kind.PARTY_COMMITTEE, parent=c1, party_parent=committee
    )
    branch_a = create_organisation(
        name="清华东路第一网格党支部", kind=Kind.GRID_BRANCH, parent=grid_a, party_parent=c1_party
    )
    building_a, unit_a = _building(grid_a, "静淑苑1号楼")
    building_b, unit_b = _building(grid_b, "学知园2号楼")
    building_c, unit_c = _building(grid_c, "二里庄3号楼")
    household_a = _household(unit_a, "101")
    household_a2 = _household(unit_a, "102")
    household_b = _household(unit_b, "201")
    household_c = _household(unit_c, "301")

    planted = create_resident(
        household=household_a,
        name="王芳",
        residence_type="registered",
        relation="head",
        id_card=PLANTED_ID_CARD,
        phone=PLANTED_PHONE,
        tags=["elderly_alone"],
        actor=None,
    )
    member_res = create_resident(
        household=household_a2,
        name="李建国",
        residence_type="registered",
        relation="head",
        id_card="110108196001010016",
        phone="13800000017",
        actor=None,
    )
    resident_b = create_resident(
        household=household_b,
        name="張偉",
        residence_type="tenant",
        actor=None,
        id_card="110108199202020038",
        phone="13700000035",
    )
    resident_c = create_resident(
        household=household_c,
        name="赵磊",
        residence_type="floating",
        actor=None,
        id_card="110108198803030042",
    )
    member = households.save_party_member(
        member=PartyMember(
            resident=member_res,
            organisation=branch_a,
            status=PartyStatus.FORMAL,
            joined_on=dt.date(1985, 7, 1),
        )
    )
    central_org = create_organisation(
        name="李建国党员中心户", kind=Kind.CENTRAL_HOUSEHOLD, parent=grid_a, party_parent=branch_a
    )
    central = CentralHousehold.objects.create(
        organisation=central_org, household=household_a2, keeper=member
    )
    households.save_link(link=HouseholdLink(central=central, household=household_a))

    personas = {
        "grid_worker_a": make_user("grid_a", "网格员甲", ("grid_worker", grid_a)),
        "grid_worker_b": make_user("grid_b", "网格员乙", ("grid_worker", grid_b)),
        "grid_leader_a": make_user("leader_a", "网格长甲", ("grid_leader", grid_a)),
        "community_officer": make_user("community1", "社区干部", ("community_staff", c1)),
        "street_officer": make_user("street", "街道干部", ("street_officer", street)),
        "party_member": make_user("member", "党员李建国", ("party_member", central_org)),
        "resident": make_user("resident", "居民王芳", ("resident", c1)),
        "cadre": make_user("cadre", "联系干部", ("cadre", grid_a)),
        "outsider": make_user("outsider", "局外人"),
        "audit_admin": make_user("auditor", "审计管理员", ("audit_admin", street)),
        "system_admin": make_user("sysadmin", "系统管理员", ("system_admin", street)),
        "security_admin": make_user("secadmin", "安全管理员", ("security_admin", street)),
    }
    member_res.user = personas["party_member"]
    member_res.save(update_fields=["user"])
    planted.user = personas["resident"]
    planted.save(update_fields=["user"])
    return World(
        street,
        c1,
        c2,
        grid_a,
        grid_b,
        grid_c,
        branch_a,
        building_a,
        building_b,
        building_c,
        household_a,
        household_a2,
        household_b,
        household_c,
        planted,
        resident_b,
        resident_c,
        member,
        personas,
    )


def run_in_sqlite_file(tmp_path: Any, target: str, *args: str) -> str:
    """Run `module:function(*args)` in a child process on a fresh, migrated SQLite file
    (core/scratch_db.py) and return its output (it must print "sqlite race: ok").

    SQLite's in-memory test database fails concurrent writers outright ("table is
    locked"); a real file (WAL, BEGIN IMMEDIATE, busy timeout) queues them as in
    production, so races that need real concurrent writers run there on SQLite."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from doorstep.core.scratch_db import migrated_sqlite_file

    module, function = target.split(":")
    env = {
        **os.environ,
        "DATABASE_URL": migrated_sqlite_file(Path(tmp_path) / "race.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DOORSTEP_MEDIA_ROOT": str(Path(tmp_path) / "media"),
        "DOORSTEP_LOG_LEVEL": "ERROR",
    }
    env.pop("DOORSTEP_REQUIRE_DB", None)
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; "
        "settings.PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']; "
        f"from {module} import {function}; "
        f"{function}(*{list(args)!r})"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "sqlite race: ok" in proc.stdout
    return proc.stdout


def wait_for_live_requests(timeout: float = 15.0) -> None:
    """Join the live server's request threads (socketserver names them after their target,
    process_request_thread). On SQLite the live server shares the test's one in-memory
    connection with every request thread, so a request still running from the page just
    left (a map's basemap, say) must end before the next one starts or the database is
    swapped under it.

    Only then: on PostgreSQL each request thread has its own connection, and a thread
    kept for an idle keep-alive connection would hold every sign-in for the whole timeout
    (15 s each; a browser walk spent two of its two and a quarter minutes here)."""
    import threading
    import time

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


def serialise_shared_sqlite() -> None:
    """Let only one thread at a time use a Django SQLite connection that threads share.

    On SQLite the test database is in memory, and the live server hands the test's own
    connection to every request thread (Django warns that simultaneous queries through it
    "may sometimes randomly cause the tests to fail"). Worse, they can hang for good: one
    thread inside a statement holds SQLite's connection mutex and waits for the GIL to
    call one of Django's Python SQL functions, while another holds the GIL and waits for
    the mutex to bind a parameter or read a column. Every statement and fetch on a
    connection therefore takes that connection's lock first (waiting on it gives up the
    GIL). Connections not shared between threads each have a lock of their own, so
    nothing else changes."""
    import threading

    from django.db.backends.sqlite3 import base

    if getattr(base.DatabaseWrapper, "serialised", False):
        return

    class SerialisedCursor(base.SQLiteCursorWrapper):
        def __init__(self, connection: Any, lock: threading.RLock) -> None:
            super().__init__(connection)
            self.lock = lock

        def execute(self, query: Any, params: Any = None) -> Any:
            with self.lock:
                return super().execute(query, params)

        def executemany(self, query: Any, param_list: Any) -> Any:
            with self.lock:
                return super().executemany(query, param_list)

        def fetchone(self) -> Any:
            with self.lock:
                return super().fetchone()

        def fetchmany(self, size: int | None = None) -> Any:
            with self.lock:
                return super().fetchmany(self.arraysize if size is None else size)

        def fetchall(self) -> Any:
            with self.lock:
                return super().fetchall()

        def __next__(self) -> Any:
            with self.lock:
                return super().__next__()

        def close(self) -> None:
            with self.lock:
                super().close()

    def create_cursor(self: Any, name: Any = None) -> Any:
        lock = sqlite_lock(self)
        return self.connection.cursor(factory=lambda conn: SerialisedCursor(conn, lock))

    base.DatabaseWrapper.create_cursor = create_cursor  # type: ignore[method-assign]
    base.DatabaseWrapper.serialised = True  # type: ignore[attr-defined]


def sqlite_lock(wrapper: Any) -> Any:
    """The lock of a Django SQLite connection (see serialise_shared_sqlite)."""
    import threading

    return wrapper.__dict__.setdefault("_serial_lock", threading.RLock())


def kept_equals_fresh(settings: Any, read: Any) -> Any:
    """`read()` with the figure cache on, asserted equal to `read()` with it off; returns
    it. For tests of what the cache keeps (the writes they make commit)."""
    kept = read()
    settings.FIGURE_CACHE = False
    try:
        assert kept == read()
    finally:
        settings.FIGURE_CACHE = True
    return kept


def id_sorts(captured: Any, table: str) -> int:
    """Statements in `captured` (a CaptureQueriesContext) that sort `table`'s ids for a
    page or count its rows — what a kept list (core.paging.SortedIds) saves."""
    return sum(
        f'"{table}"' in q["sql"] and (f'"{table}"."id" AS "pk"' in q["sql"] or "COUNT(" in q["sql"])
        for q in captured.captured_queries
    )
