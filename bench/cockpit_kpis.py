"""Benchmark: district KPIs by category and month over 10 million cases (five years).

    DATABASE_URL=postgres://user@host:5432/anything .venv/bin/python bench/cockpit_kpis.py \
        [--cases 10000000] [--writes 300]

PostgreSQL only. In a scratch database `<name>_bench_cockpit` (dropped afterwards unless
BENCH_KEEP=1): migrate, the district preset (scale 1: ~300 grids), the government category
catalogue. Then N synthetic cases over 60 months (numpy, seeded): grid, leaf category,
month received, closed, closed on time, rated, satisfied, handling time. The category x
month rollup rows of every grid and its ancestors are built from those rows exactly as the
case services would have kept them, and COPYed into `cases_categoryrollup`.

Timed, alternately, median of several runs:
  * ours — `cockpit.kpis.by_category_and_month(district, 5 years)`: the SUM over the
    district's own rollup rows and the fold to top-level categories, as the cockpit reads it;
  * the anchor — DuckDB (in-process) running the equivalent GROUP BY top-level category,
    month over the same N rows held in memory (its best case: no I/O);
  * for information, a whole cockpit load of the district for this month (`panels.cockpit`)
    — target < 200 ms;
  * the write overhead of the rollups: --writes cases filed and accepted through
    `cases.services` with the rollups kept, against the same with both rollup writers
    switched off; target <= 25 %.

Last line: `bench cockpit_kpis: ratio X (target <= 2.0) PASS|MISS` where X is ours / DuckDB
(PASS also needs the cockpit load under 200 ms and the write overhead within 25 %).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _scratch import scratch_postgres  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2.0
TARGET_LOAD_MS = 200.0
TARGET_OVERHEAD = 0.25
RUNS = 5


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", preset="district", scale=1, stdout=io.StringIO())
    call_command("load_categories", stdout=io.StringIO())


def synthetic(n: int, grids: np.ndarray, leaves: np.ndarray, rng: np.random.Generator) -> dict:
    month = rng.integers(0, 60, n, dtype=np.int32)
    closed = rng.random(n) < 0.95
    return {
        "grid": grids[rng.integers(0, len(grids), n)],
        "category": leaves[rng.integers(0, len(leaves), n)],
        "month": month,
        "closed": closed,
        "on_time": closed & (rng.random(n) < 0.9),
        "rated": closed & (rng.random(n) < 0.7),
        "satisfied": np.zeros(n, dtype=bool),
        "seconds": np.where(closed, rng.integers(3600, 7 * 86400, n), 0),
    }


def build_rollups(rows: dict, first_month: Any) -> int:
    """COPY the category x month rollups of every grid and its ancestors (expanded and
    summed in DuckDB, written through a CSV file); return the rows written."""
    import tempfile

    import duckdb
    from django.db import connection

    from doorstep.atlas.organisations.models import Organisation

    pairs = [
        (grid, int(x))
        for grid, path in Organisation.objects.filter(kind="grid").values_list("pk", "path")
        for x in path.strip("/").split("/")
        if x
    ]
    months = [_add_months(first_month, m).isoformat() for m in range(60)]
    con = duckdb.connect()
    con.register("cases", rows)
    con.register(
        "up",
        {"grid": np.array([p[0] for p in pairs]), "org": np.array([p[1] for p in pairs])},
    )
    con.register("months", {"m": np.arange(60, dtype=np.int32), "day": np.array(months)})
    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        con.execute(
            "COPY (SELECT up.org, months.day, c.category, count(*), sum(c.closed::INT), "
            "sum(c.on_time::INT), sum(c.seconds), sum(c.rated::INT), sum(c.satisfied::INT) "
            "FROM cases c JOIN up ON up.grid = c.grid JOIN months ON months.m = c.month "
            f"GROUP BY ALL) TO '{out.name}' (FORMAT csv, HEADER false)"
        )
        written = 0
        with connection.cursor() as cursor:
            with (
                cursor.copy(
                    "COPY cases_categoryrollup (organisation_id, month, category_id, received, "
                    "closed, closed_on_time, handling_seconds, rated, satisfied) "
                    "FROM STDIN WITH (FORMAT csv)"
                ) as copy,
                open(out.name, "rb") as source,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            cursor.execute("ANALYZE cases_categoryrollup")
            cursor.execute("SELECT count(*) FROM cases_categoryrollup")
            written = cursor.fetchone()[0]
    return written


def _add_months(first: Any, m: int) -> Any:
    index = first.year * 12 + first.month - 1 + m
    return first.replace(year=index // 12, month=index % 12 + 1, day=1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("bench cockpit_kpis: needs DATABASE_URL pointing at PostgreSQL (skipped)")
        return 0
    scratch = scratch_postgres(url, "bench_cockpit")
    try:
        return run(scratch, args)
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            from django.db import connections

            connections.close_all()
            scratch_postgres(url, "bench_cockpit", drop_only=True)


def run(scratch: str, args: Any) -> int:

    started = time.perf_counter()
    setup(scratch)
    import duckdb
    from django.utils import timezone

    from doorstep.atlas.organisations.models import Organisation
    from doorstep.cases.models import Category
    from doorstep.cockpit.kpis import by_category_and_month, roots
    from doorstep.cockpit.panels import Period, cockpit

    district = Organisation.objects.get(kind="district")
    grids = np.array(list(Organisation.objects.filter(kind="grid").values_list("pk", flat=True)))
    leaf_ids = [
        c for c in Category.objects.filter(children__isnull=True).values_list("pk", flat=True)
    ]
    leaves = np.array(leaf_ids)
    print(f"setup: district preset, {len(grids)} grids, {len(leaves)} leaf categories "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    rng = np.random.default_rng(10)
    t = time.perf_counter()
    rows = synthetic(args.cases, grids, leaves, rng)
    rows["satisfied"] = rows["rated"] & (rng.random(args.cases) < 0.93)
    today = timezone.localdate()
    first_month = _add_months(today.replace(day=1), -59)
    written = build_rollups(rows, first_month)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would soon give
        cursor.execute("ANALYZE")
    print(f"data: {args.cases:,} cases over 60 months -> {written:,} rollup rows "
          f"({time.perf_counter() - t:.1f} s)")  # fmt: skip

    top = roots()
    top_of = np.zeros(max(top) + 1, dtype=np.int64)
    for pk, (root, _name) in top.items():
        top_of[pk] = root
    con = duckdb.connect()
    con.register("cases", {**rows, "top": top_of[rows["category"]]})
    last = today

    def ours() -> float:
        t0 = time.perf_counter()
        result = by_category_and_month(district, first_month, last)
        elapsed = time.perf_counter() - t0
        assert sum(r["received"] for r in result) == args.cases
        return elapsed

    def anchor() -> float:
        t0 = time.perf_counter()
        result = con.execute(
            "SELECT top, month, count(*), sum(closed::INT), sum(on_time::INT), "
            "sum(rated::INT), sum(satisfied::INT) FROM cases GROUP BY top, month"
        ).fetchall()
        elapsed = time.perf_counter() - t0
        assert sum(r[2] for r in result) == args.cases
        return elapsed

    def load() -> float:
        t0 = time.perf_counter()
        cockpit(district, Period(today.replace(day=1), today), today)
        return time.perf_counter() - t0

    ours(), anchor(), load()  # warm-up
    o, a, c = [], [], []
    for _ in range(RUNS):
        o.append(ours())
        a.append(anchor())
        c.append(load())
    mo, ma, mc = statistics.median(o), statistics.median(a), statistics.median(c)
    print(f"ours (rollups, PostgreSQL): median {mo * 1000:.1f} ms")
    print(f"anchor (DuckDB GROUP BY over {args.cases:,} rows in memory): median {ma * 1000:.1f} ms")
    print(f"whole district cockpit load: median {mc * 1000:.1f} ms (target < {TARGET_LOAD_MS:.0f})")
    overhead = write_overhead(args.writes)
    print(f"rollup write overhead on filing + accepting a case: {overhead:+.1%} "
          f"(target <= {TARGET_OVERHEAD:.0%})")  # fmt: skip
    ratio = mo / ma
    ok = ratio <= TARGET and mc * 1000 < TARGET_LOAD_MS and overhead <= TARGET_OVERHEAD
    print(f"bench cockpit_kpis: ratio {ratio:.2f} (target <= {TARGET}) {'PASS' if ok else 'MISS'}")
    return 0


def write_overhead(n: int) -> float:
    """Filing and accepting n cases with the rollups kept vs with both writers off."""
    from doorstep.atlas.organisations.models import Organisation
    from doorstep.atlas.places.models import Building
    from doorstep.cases import rollups, services
    from doorstep.cases.locating import locate
    from doorstep.cases.models import Category
    from doorstep.core.testing import make_user

    building = Building.objects.order_by("id").first()
    category = Category.objects.filter(children__isnull=True).order_by("id").first()
    assert building and category
    grid = Organisation.objects.get(pk=building.grid_id)
    community = Organisation.objects.get(pk=grid.parent_id)
    officer = make_user("bench_officer", "压测社区干部", ("community_staff", community))
    resident = make_user("bench_resident", "压测居民", ("resident", grid))

    def batch() -> float:
        t0 = time.perf_counter()
        for i in range(n // 10):
            case = services.create_case(
                actor=resident, category=category, description=f"压测 {i}",
                location=locate(building=building),
            )  # fmt: skip
            services.perform(case, "accept", actor=officer)
        return time.perf_counter() - t0

    real = rollups.record
    on, off = [], []
    batch()  # warm-up
    for _ in range(10):
        on.append(batch())
        rollups.record = lambda *a, **k: None  # type: ignore[assignment]
        off.append(batch())
        rollups.record = real  # type: ignore[assignment]
    return statistics.median(on) / statistics.median(off) - 1


if __name__ == "__main__":
    sys.exit(main())
