"""Benchmark: the deadline sweep over 10k overdue cases against one raw UPDATE.

    DATABASE_URL=postgres://user@host:5432/anything .venv/bin/python bench/case_sweep.py \
        [--cases 10000] [--runs 7]

Works in a scratch database (`<name>_bench_sweep`, created afresh, migrated, dropped
afterwards unless BENCH_KEEP=1), so it never touches the database DATABASE_URL names.
Setup bulk-inserts N cases of a category without automatic escalation, all in progress and
one hour past their deadline, owned by a community whose dispatcher gets one summary.

Timed, alternately, median of several runs, with every flag reset (and the table
vacuumed) before each run:
  * `sweep()` — the whole run as the periodic job makes it: two UPDATE … RETURNING, the
    reminder lookups and the dispatcher's summary (delivered on commit), the escalation,
    rating and archive queries;
  * the anchor: one raw `UPDATE cases_case SET flag = 'overdue' WHERE …` over the same rows.
Afterwards, for information only, one sweep where every case has a handler of its own
(N reminders, one bulk insert into the inbox).

Target (issue): at most 1.5× the raw UPDATE and under 1 s. The last line is
`bench case_sweep_pg: ratio X (target <= 1.5) PASS|MISS`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from _scratch import scratch_postgres  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
TARGET_MS = 1000.0


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DOORSTEP_LOG_LEVEL", "ERROR")
    os.environ.pop("CELERY_BROKER_URL", None)  # notifications delivered in-process
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # as in production: no per-query log
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)


def make_cases(n: int) -> tuple[list[int], object]:
    """N overdue cases in progress (bulk insert); returns their ids and the case world."""
    from django.utils import timezone

    from doorstep.cases.models import Case, LimitUnit
    from doorstep.cases.testing import build_case_world
    from doorstep.cases.workflow import S
    from doorstep.core.testing import build_world

    cw = build_case_world(build_world())
    w = cw.world
    assert not cw.repair.escalate_when_overdue
    now = timezone.now()
    rows = [
        Case(
            number=f"B{i:010d}",
            kind="request",
            source="web",
            category=cw.repair,
            title=f"楼道灯坏了 {i}",
            description="楼道灯坏了",
            urgency="ordinary",
            status=S.IN_PROGRESS,
            flag="normal",
            territory=w.grid_a,
            territory_path=w.grid_a.path,
            owner=w.community_1,
            owner_path=w.community_1.path,
            created_at=now - dt.timedelta(days=10),
            submitted_at=now - dt.timedelta(days=10),
            accepted_at=now - dt.timedelta(days=10),
            due_at=now - dt.timedelta(hours=1),
            warn_at=now - dt.timedelta(days=1),
            limit_unit=LimitUnit.WORKDAYS,
        )
        for i in range(n)
    ]
    Case.objects.bulk_create(rows, batch_size=2000)
    ids = list(Case.objects.filter(number__startswith="B").values_list("pk", flat=True))
    return ids, cw


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET flag = 'normal'")
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("DELETE FROM inbox_notification")


def raw_update() -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from doorstep.cases.workflow import OPEN

    statuses = sorted(OPEN)
    marks = ", ".join(["%s"] * len(statuses))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE cases_case SET flag = 'overdue' WHERE status IN ({marks}) "
            "AND paused_at IS NULL AND due_at <= %s AND flag <> 'overdue'",
            [*statuses, timezone.now()],
        )
        return cursor.rowcount


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench case_sweep_pg: skipped — set DATABASE_URL to a PostgreSQL server")
        return 0
    setup_django(scratch_postgres(url, "bench_sweep"))
    try:
        return run(args.cases, args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP"):
            scratch_postgres(url, "bench_sweep", drop_only=True)


def run(n: int, runs: int) -> int:
    from doorstep.cases.models import Assignment, Case
    from doorstep.cases.sweep import sweep
    from doorstep.inbox.models import Notification

    started = time.perf_counter()
    ids, cw = make_cases(n)
    print(f"set up {len(ids)} overdue cases in {time.perf_counter() - started:.1f} s", flush=True)

    times: dict[str, list[float]] = {"sweep()": [], "raw UPDATE": []}
    for i in range(runs + 1):  # the first round warms up
        for name in ("sweep()", "raw UPDATE") if i % 2 else ("raw UPDATE", "sweep()"):
            reset()
            t0 = time.perf_counter()
            if name == "sweep()":
                result = sweep()
                flagged = result.overdue
                assert result.escalated == 0 and result.reminders == 1, result.as_dict()
            else:
                flagged = raw_update()
            ms = (time.perf_counter() - t0) * 1000
            if flagged != n:
                print(f"MISMATCH: {name} flagged {flagged} of {n} cases")
                return 1
            if i:
                times[name].append(ms)
    assert Case.objects.filter(flag="overdue").count() == n
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        spread = ", ".join(f"{x:.0f}" for x in sorted(t))
        print(f"{name:>11}: median {medians[name]:7.1f} ms  (runs: {spread})")

    # Information: every case with a handler of its own → N reminders in one bulk insert.
    member = cw.personas["party_member"]  # type: ignore[attr-defined]
    Assignment.objects.bulk_create(
        [
            Assignment(case_id=pk, user=member, role="lead", state="signed", via="dispatch")
            for pk in ids
        ],
        batch_size=2000,
    )
    reset()
    t0 = time.perf_counter()
    result = sweep()
    full_ms = (time.perf_counter() - t0) * 1000
    print(
        f"with a handler on every case: {result.reminders} reminders, "
        f"{Notification.objects.count()} in the inbox, {full_ms:.0f} ms (not part of the ratio)"
    )

    ratio = medians["sweep()"] / medians["raw UPDATE"]
    ok = ratio <= TARGET_RATIO and medians["sweep()"] < TARGET_MS
    print(f"target: sweep() <= {TARGET_RATIO}x the raw UPDATE and < {TARGET_MS:.0f} ms")
    print(
        f"bench case_sweep_pg: ratio {ratio:.2f} (target <= {TARGET_RATIO}) "
        f"{'PASS' if ok else 'MISS'}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
