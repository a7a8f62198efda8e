"""The mixed-load benchmark's world, built once and kept as a template database.

The district preset at scale 1 (bench/_scratch.py: district_database) plus the people a
district's day is made of and a year of cases:

- logins (the demo password): a street officer per street (`ls1` …), community staff per
  community (`lc01` …), a grid worker in every fifth grid (`lg001` …), two residents with
  homes in each of those grids (`lr0011`, `lr0012` …), and per street a department
  (城管执法队) with its liaison (`ld1` …);
- sample cases made through the case services by those people at past moments (filed,
  accepted, dispatched to the grid or the department, signed, started, resolved, verified
  and rated; some left at each open step), so events, assignments, tallies and rollups are
  the real thing;
- the closed samples copied back through the year in SQL (times shifted, new numbers)
  until there are >= 500,000 cases, and the counters then recounted from the events
  (`recount_case_rollups --fix`, each case's tally folded afresh).

`template_database(url)` returns the URL of `<db>_bench_load_template`, building it when
missing (about 10 minutes); `run_copy(url)` makes a fresh `<db>_bench_load` from it for
one run, since a run writes. Drop the template to build it again (after a migration).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from _scratch import district_database  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = "doorstep bench load world v1"
CASES = 500_000
GRID_STEP = 5  # a grid worker and two residents in every fifth grid
SAMPLES_PER_GRID = 8
SEED = 20261207


def _names(url: str, suffix: str) -> tuple[str, str]:
    base, name = url.rsplit("/", 1)
    return base, f"{name.split('?')[0] or 'postgres'}_{suffix}"


def template_database(url: str) -> str:
    """The load world's template database (built when missing); its URL."""
    import psycopg
    from psycopg import sql

    base, target = _names(url, "bench_load_template")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [target],
        ).fetchone()
    if row and row[0] == COMPLETE:
        return f"{base}/{target}"
    district = district_database(url)
    _, district_name = district.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(target), sql.Identifier(district_name)
            )
        )
    print(f"building the load world (≥ {CASES:,} cases) into {target} once …", flush=True)
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--build"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"{base}/{target}"},
        check=True,
    )
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(target), sql.Literal(COMPLETE)
            )
        )
    return f"{base}/{target}"


def run_copy(url: str) -> str:
    """A fresh `<db>_bench_load` copied from the template for one run; its URL."""
    import psycopg
    from psycopg import sql

    template = template_database(url)
    base, target = _names(url, "bench_load")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(target), sql.Identifier(template.rsplit("/", 1)[1])
            )
        )
    return f"{base}/{target}"


def drop_copy(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, target = _names(url, "bench_load")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )


# ---------------------------------------------------------------- the build (child process)


class World:
    """The people of the load world, by organisation."""

    def __init__(self) -> None:
        from doorstep.accounts.models import User
        from doorstep.atlas.organisations.models import Kind, Organisation
        from doorstep.atlas.organisations.services import create_organisation
        from doorstep.atlas.people.models import Resident
        from doorstep.demo.logins import Login, ensure_logins

        district = Organisation.objects.outside_door("bench").get(depth=0, kind=Kind.DISTRICT)
        streets = list(
            Organisation.objects.outside_door("bench")
            .filter(kind=Kind.STREET, parent=district)
            .order_by("id")
        )
        communities = list(
            Organisation.objects.outside_door("bench")
            .filter(kind=Kind.COMMUNITY, parent__in=streets)
            .order_by("id")
        )
        grids = list(
            Organisation.objects.outside_door("bench")
            .filter(kind=Kind.GRID, parent__in=communities)
            .select_related("parent")
            .order_by("id")
        )[::GRID_STEP]
        logins: list[Any] = []
        self.departments: dict[int, Organisation] = {}
        for i, street in enumerate(streets, 1):
            logins.append(Login(f"ls{i}", f"街道干部{i}", "street_officer", street))
            dept = Organisation.objects.filter(parent=street, name="城管执法队").first()
            if dept is None:
                dept = create_organisation(name="城管执法队", kind=Kind.DEPARTMENT, parent=street)
            self.departments[street.pk] = dept
            logins.append(Login(f"ld{i}", f"城管联络员{i}", "department_liaison", dept))
        for i, community in enumerate(communities, 1):
            logins.append(Login(f"lc{i:02d}", f"社区干部{i}", "community_staff", community))
        taken: set[int] = set()
        self.homes: dict[str, Any] = {}
        for i, grid in enumerate(grids, 1):
            logins.append(Login(f"lg{i:03d}", f"网格员{i}", "grid_worker", grid))
            residents = (
                Resident.objects.outside_door("bench")
                .filter(grid=grid, user__isnull=True, birth_date__year__lte=2000)
                .select_related("household__unit__building")
                .order_by("id")[:2]
            )
            for k, r in enumerate(residents, 1):
                if r.pk in taken:
                    continue
                taken.add(r.pk)
                logins.append(Login(f"lr{i:03d}{k}", f"居民{i}-{k}", "resident", grid, r))
                self.homes[f"lr{i:03d}{k}"] = r.household.unit.building
        ensure_logins(logins)
        users = {
            u.username: u for u in User.objects.filter(username__in=[x.username for x in logins])
        }
        self.streets, self.communities, self.grids = streets, communities, grids
        self.officer = {s.pk: users[f"ls{i}"] for i, s in enumerate(streets, 1)}
        self.liaison = {
            self.departments[s.pk].pk: users[f"ld{i}"] for i, s in enumerate(streets, 1)
        }
        self.staff = {c.pk: users[f"lc{i:02d}"] for i, c in enumerate(communities, 1)}
        self.worker = {g.pk: users[f"lg{i:03d}"] for i, g in enumerate(grids, 1)}
        self.residents = {
            g.pk: [
                (users[name], self.homes[name])
                for name in (f"lr{i:03d}1", f"lr{i:03d}2")
                if name in self.homes
            ]
            for i, g in enumerate(grids, 1)
        }
        self.street_of = {c.pk: c.parent_id for c in communities}

    def dispatcher(self, case: Any) -> Any:
        return self.staff.get(case.owner_id) or self.officer.get(case.owner_id)


def _sample(world: World, rng: random.Random) -> tuple[int, int]:
    """Cases through the services at past moments; (closed, open)."""
    from django.db import transaction

    from doorstep.cases import services
    from doorstep.cases.locating import locate
    from doorstep.cases.models import Category, Source
    from doorstep.demo.cases.clock import at_moment, office_hours
    from doorstep.demo.cases.texts import TEXTS

    categories = [
        c
        for c in Category.objects.filter(active=True, children__isnull=True)
        if c.full_name in TEXTS
    ]
    now = dt.datetime.now(dt.UTC)
    closed = opened = 0
    for grid in world.grids:
        homes = world.residents[grid.pk]
        if not homes:
            continue
        community = grid.parent
        street_id = world.street_of[community.pk]
        dept = world.departments[street_id]
        for n in range(SAMPLES_PER_GRID):
            resident, home = homes[n % len(homes)]
            category = rng.choice(categories)
            t = office_hours(now - dt.timedelta(days=rng.uniform(12, 30)), rng)
            stop = {0: 1, 1: 3, 2: 5}.get(n, 99)  # the first three stay open at a step
            to_dept = n % 4 == 3
            handler = world.liaison[dept.pk] if to_dept else world.worker[grid.pk]

            def at(hours: float) -> Any:
                nonlocal t
                t = office_hours(t + dt.timedelta(hours=hours), rng)
                return at_moment(t)

            with transaction.atomic():
                with at(0):
                    case = services.create_case(
                        actor=resident,
                        category=category,
                        description=rng.choice(TEXTS[category.full_name]),
                        location=locate(building=home),
                        source=Source.WEB,
                        created_at=t,
                    )
                steps: list[tuple[str, Any, dict[str, Any]]] = [
                    ("accept", None, {}),
                    ("dispatch", None, {"lead": dept if to_dept else grid}),
                    ("sign", handler, {}),
                    ("start", handler, {}),
                    ("resolve", handler, {"note": "已到现场处理完毕，居民确认"}),
                    ("verify", None, {}),
                    ("rate", resident, {"rating": "satisfied", "solved": True, "comment": ""}),
                ]
                for i, (code, who, params) in enumerate(steps, 1):
                    if i > stop:
                        break
                    with at(rng.uniform(0.5, 20)):
                        case = services.perform(
                            case, code, actor=who or world.dispatcher(case), **params
                        )
            if stop == 99:
                closed += 1
            else:
                opened += 1
    return closed, opened


def _clone(copies: int) -> int:
    """Copy every closed case (with its events and assignments) `copies` times, spread
    back over the year; returns how many cases there are now."""
    from django.db import connection

    from doorstep.cases.models import Assignment, Case, CaseEvent

    def columns(model: Any) -> list[tuple[str, str]]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position",
                [model._meta.db_table],
            )
            return list(cur.fetchall())

    def select(model: Any, alias: str, special: dict[str, str]) -> tuple[str, str]:
        names, exprs = [], []
        for name, kind in columns(model):
            if name == "id":
                continue
            names.append(name)
            if name in special:
                exprs.append(special[name])
            elif kind.startswith("timestamp"):
                exprs.append(f"{alias}.{name} - m.shift")
            else:
                exprs.append(f"{alias}.{name}")
        return ", ".join(names), ", ".join(exprs)

    case_cols, case_exprs = select(
        Case,
        "c",
        {
            "number": "left(c.number, length(c.number) - 13) || "
            "to_char((c.created_at - m.shift) AT TIME ZONE 'Asia/Shanghai', 'YYMMDD') || "
            "lpad((m.new_id % 10000000)::text, 7, '0')",
            "code": "NULL",
            "token": "NULL",
            "external_no": "NULL",
            "merged_into_id": "NULL",
            # a year's cases come from many people (and the hotline), not the sample's
            # few residents: their own lists stay the size a resident's list is
            "reporter_id": "NULL",
        },
    )
    event_cols, event_exprs = select(CaseEvent, "e", {"case_id": "m.new_id"})
    assign_cols, assign_exprs = select(Assignment, "a", {"case_id": "m.new_id"})
    case_t, event_t, assign_t = (
        Case._meta.db_table,
        CaseEvent._meta.db_table,
        Assignment._meta.db_table,
    )
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.2026)")
        cur.execute(
            f"CREATE TEMP TABLE clone_map AS SELECT c.id AS src, "
            f"nextval(pg_get_serial_sequence('{case_t}', 'id')) AS new_id, "
            f"make_interval(days => 20 + (g.i * 340 / %s), secs => (random() * 86400)::int) AS shift "
            f"FROM {case_t} c CROSS JOIN generate_series(1, %s) AS g(i) "
            f"WHERE c.status = 'closed' ORDER BY g.i, c.id",
            [copies, copies],
        )
        cur.execute("CREATE INDEX ON clone_map (src)")
        cur.execute(
            f"INSERT INTO {case_t} (id, {case_cols}) SELECT m.new_id, {case_exprs} "
            f"FROM clone_map m JOIN {case_t} c ON c.id = m.src"
        )
        cur.execute(
            f"INSERT INTO {event_t} ({event_cols}) SELECT {event_exprs} "
            f"FROM clone_map m JOIN {event_t} e ON e.case_id = m.src ORDER BY m.new_id, e.seq"
        )
        cur.execute(
            f"INSERT INTO {assign_t} ({assign_cols}) SELECT {assign_exprs} "
            f"FROM clone_map m JOIN {assign_t} a ON a.case_id = m.src"
        )
        cur.execute(f"SELECT count(*) FROM {case_t}")
        return int(cur.fetchone()[0])


def _recount() -> None:
    """The counters from the events: both rollup tables, and each case's tally."""
    import io
    import json

    from django.core.management import call_command
    from django.db import connection

    from doorstep.cases.models import Case
    from doorstep.cases.rollups import states_from_events

    call_command("recount_case_rollups", "--fix", verbosity=0, stdout=io.StringIO())
    buf = io.StringIO()
    for pk, state in states_from_events().items():
        text = json.dumps(state, default=str, ensure_ascii=False)
        buf.write(f"{pk}\t{text.replace(chr(92), chr(92) * 2)}\n")
    buf.seek(0)
    table = Case._meta.db_table
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE tallies (id bigint, tally jsonb)")
        with cur.connection.cursor().copy("COPY tallies (id, tally) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        cur.execute(f"UPDATE {table} c SET tally = t.tally FROM tallies t WHERE c.id = t.id")


def build() -> None:
    import time

    sys.path.insert(0, str(ROOT / "bench"))
    from _scratch import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from django.db import connection, transaction

    from doorstep.core import background

    rng = random.Random(SEED)
    started = time.perf_counter()
    with background.inline_unless_celery():
        with transaction.atomic():
            world = World()
        print(
            f"  people: {len(world.streets)} streets, {len(world.communities)} communities, "
            f"{len(world.grids)} grids with a worker, {len(world.homes)} residents",
            flush=True,
        )
        closed, opened = _sample(world, rng)
    print(
        f"  sample cases: {closed} closed, {opened} open ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    copies = -(-(CASES - closed - opened) // closed)
    with transaction.atomic():
        total = _clone(copies)
    print(f"  cases: {total:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    with transaction.atomic():
        _recount()
    connection.ensure_connection()
    old = connection.connection.autocommit
    connection.connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    connection.connection.autocommit = old
    print(f"  counters recounted, analysed ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--build"]:
        build()
    else:
        print(template_database(os.environ["DATABASE_URL"]))
