"""Benchmark: filing a case through the JSON API against pgbench running the same SQL.

    DATABASE_URL=postgres://user@host:5432/anything .venv/bin/python bench/case_create.py \
        [--seconds 10]

PostgreSQL only (skips with a message otherwise). Works in a scratch database
`<name>_bench_case_create`, created afresh and migrated here (dropped afterwards unless
BENCH_KEEP=1).

Ours: a resident's API token, `POST /api/cases` (a 物业报修 request at their building)
through Django's test client in one thread, for --seconds: the whole stack — token auth,
validation, locating, the case, its first event, the rollups of every ancestor, the
notification to the community's staff (sent on commit; the task runs eagerly here, as
with no broker), and the JSON answer. Each call is timed: p50 / p99.

Anchor: one create is recorded statement by statement (with which transaction each ran
in) and written out as a pgbench script — the same statements, the same transactions,
with \\set variables for the values that must be unique (tracking number, token) and
\\gset for the ids the database hands back. `pgbench -n -c 1 -T S` runs it against the same
database: its TPS is what PostgreSQL alone needs for one create over one connection.

Ours and pgbench run in turn for `--seconds` each, `--rounds` times (interleaved, so both
see the same machine load); the ratio is the median of the rounds' ratios. The last line is
`bench case_create_pg: ratio X …, p99 Y ms (targets: ratio >= 0.30, p99 < 50 ms) PASS|MISS`,
X = our creates per second over pgbench's TPS; the verdict covers both targets.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _scratch import scratch_postgres  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.30
TARGET_P99_MS = 50.0
WARMUP = 30
CACHE_DB = 10  # a Redis database of its own (page_budget uses 11, mixed_load 12 and 13)
CASE_ID_START = 900_000_001  # case ids from here on are unmistakable in recorded params


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DOORSTEP_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DOORSTEP_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.pop("CELERY_BROKER_URL", None)  # notifications run in-process (eager)
    # The cache production has: Redis, and with it the figure cache (what a user holds is
    # kept there per user, as every request of a logged-in user finds it).
    os.environ["DOORSTEP_CACHE_URL"] = f"redis://127.0.0.1:6379/{CACHE_DB}"
    os.environ["DOORSTEP_FIGURE_CACHE"] = "1"
    flush_cache()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # as in production: no per-query log
    call_command("migrate", verbosity=0, interactive=False)


def flush_cache() -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=CACHE_DB).flushdb()


class Recorder:
    """An execute wrapper: every statement, its parameters, and its transaction."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, Any, bool, int | None]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        from django.db import connection

        outer = id(connection.atomic_blocks[0]) if connection.in_atomic_block else None
        self.rows.append((sql, params, many, outer))
        return execute(sql, params, many, context)


def to_pgbench(rec: Recorder, case: Any, event_ids: set[int]) -> str:
    """The recorded statements as a pgbench script: autocommit statements alone, atomic
    blocks as BEGIN … COMMIT, unique values from \\set, returned ids through \\gset."""
    from django.db import connection

    ops = connection.ops
    subs = {
        case.number: ("@@NUMBER@@", "'B' || :n"),
        case.token: ("@@TOKEN@@", "'t' || :n"),
        case.code: ("@@CODE@@", "upper(substr(md5(:n::text), 1, 8))"),
        case.pk: (987_650_000_001, ":case_id"),
    }
    for eid in event_ids:
        subs[eid] = (987_650_000_002, ":event_id")

    def swap(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str | int) and value in subs:
            return subs[value][0]
        if isinstance(value, list | tuple):
            return type(value)(swap(v) for v in value)
        return value

    def literal(sql: str, params: Any) -> str:
        text = sql if params is None else ops.compose_sql(sql, [swap(p) for p in params])
        for sentinel, expr in subs.values():
            text = text.replace(
                f"'{sentinel}'" if isinstance(sentinel, str) else str(sentinel), expr
            )
        text = " ".join(text.split())  # one line per statement
        return text

    lines = ["\\set n random(1, 999999999999)"]
    current: int | None = None
    for sql, params, many, outer in rec.rows:
        if outer != current:
            if current is not None:
                lines.append("COMMIT;")
            if outer is not None:
                lines.append("BEGIN;")
            current = outer
        for p in params if many else [params]:
            text = literal(sql, p)
            returns = re.search(r'RETURNING "(cases_case|cases_caseevent)"\."id"$', text)
            if returns:
                name = "case_" if returns.group(1) == "cases_case" else "event_"
                lines.append(f"{text} \\gset {name}")
            else:
                lines.append(text + ";")
    if current is not None:
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def run_pgbench(url: str, script: str, seconds: int) -> float:
    pgbench = shutil.which("pgbench") or "/usr/bin/pgbench"
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
        path = fh.name
    try:
        proc = subprocess.run(
            [pgbench, "-n", "-c", "1", "-T", str(seconds), "-f", path, url],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if not os.environ.get("BENCH_KEEP"):
            os.unlink(path)
        else:
            print(f"pgbench script kept at {path}")
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep="\n")
        raise SystemExit("pgbench failed")
    m = re.search(r"tps = ([0-9.]+)", proc.stdout)
    if not m:
        print(proc.stdout)
        raise SystemExit("pgbench printed no tps")
    lat = re.search(r"latency average = ([0-9.]+) ms", proc.stdout)
    print(
        f"pgbench (same SQL, 1 client, {seconds} s): tps {float(m.group(1)):.1f}"
        + (f", latency avg {lat.group(1)} ms" if lat else "")
    )
    return float(m.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4, help="per round, ours and pgbench each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where 50 creates spend time")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench case_create_pg: skipped — set DATABASE_URL to a PostgreSQL server")
        return 0
    scratch = scratch_postgres(url, "bench_case_create")
    media = tempfile.TemporaryDirectory(prefix="bench-case-")
    os.environ["DOORSTEP_MEDIA_ROOT"] = media.name
    setup_django(scratch)

    from django.db import connection, connections
    from django.test import Client

    from doorstep.accounts.tokens import issue_token
    from doorstep.cases.models import Case, CaseEvent
    from doorstep.cases.testing import build_case_world
    from doorstep.core.testing import build_world

    world = build_world()
    cw = build_case_world(world)
    resident = cw.personas["resident"]
    secret = issue_token(user=resident, name="bench", actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [CASE_ID_START]
        )
    body = {
        "category": cw.repair.code,
        "description": "3单元楼道灯坏了一周，晚上看不见台阶",
        "building_id": world.building_a.pk,
        "contact_phone": "13900001111",
    }

    def create() -> None:
        r = client.post("/api/cases", body, content_type="application/json")
        if r.status_code != 201:
            raise SystemExit(f"POST /api/cases answered {r.status_code}: {r.content[:300]!r}")

    for _ in range(WARMUP):
        create()

    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(lambda: [create() for _ in range(50)])
        stats = pstats.Stats(prof).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        only = os.environ.get("BENCH_FILTER")  # e.g. "doorstep": our own functions only
        stats.print_stats(only, 40) if only else stats.print_stats(40)

    # Record one create, statement by statement, for the anchor.
    rec = Recorder()
    with connection.execute_wrapper(rec):
        create()
    case = Case.objects.order_by("-id").first()
    assert case is not None
    event_ids = set(CaseEvent.objects.filter(case=case).values_list("id", flat=True))
    script = to_pgbench(rec, case, event_ids)
    statements = sum(
        1 for line in script.splitlines() if not line.startswith(("\\", "BEGIN", "COMMIT"))
    )
    print(
        f"one create = {statements} statements in "
        f"{script.count('BEGIN;')} transaction(s) + autocommit statements"
    )

    # Ours and the anchor in turn, round after round, so each sees the same machine load.
    times: list[float] = []
    ratios: list[float] = []
    made = 0
    for round_ in range(args.rounds):
        batch: list[float] = []
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            t0 = time.perf_counter()
            create()
            batch.append((time.perf_counter() - t0) * 1000)
        ours = len(batch) / (time.perf_counter() - started)
        times += batch
        before = Case.objects.count()
        anchor = run_pgbench(scratch, script, args.seconds)
        made += Case.objects.count() - before
        ratios.append(ours / anchor)
        print(
            f"round {round_ + 1}: ours {ours:.1f}/s, pgbench {anchor:.1f}/s, ratio {ratios[-1]:.3f}"
        )
    if made <= 0:
        raise SystemExit("pgbench created no cases: the script is not the create")
    print(f"pgbench created {made} cases with the recorded SQL")
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"POST /api/cases: {len(times)} creates; p50 {p50:.1f} ms, p99 {p99:.1f} ms")

    connections.close_all()
    flush_cache()
    media.cleanup()
    if not os.environ.get("BENCH_KEEP"):
        scratch_postgres(url, "bench_case_create", drop_only=True)
    ratio = statistics.median(ratios)
    verdict = "PASS" if ratio >= TARGET and p99 < TARGET_P99_MS else "MISS"
    print(
        f"bench case_create_pg: ratio {ratio:.3f} (median of {args.rounds} interleaved rounds), "
        f"p99 {p99:.1f} ms (targets: ratio >= {TARGET:.2f}, p99 < {TARGET_P99_MS:.0f} ms) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
