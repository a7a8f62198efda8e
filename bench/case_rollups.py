"""Benchmark: the rollup counters kept with each event against a full recount from events.

    .venv/bin/python bench/case_rollups.py [--cases 200] [--seed 7]

Builds a fresh database (a scratch PostgreSQL database `<name>_bench_rollups` when
DATABASE_URL points at PostgreSQL, else an SQLite file under var/bench/), files N cases
and drives each through random moves by random personas through `services.perform` (the
moves the workflow offers that persona at that moment), with the clock moving on by
random hours so the events spread over many days, and the deadline sweep running now
and then (escalations, expired ratings, archiving).

Then it compares `rollups.stored()` (the table kept in the same transaction as each
event) with `rollups.recount_from_events()`, row by row, and times both. The ratio is
equal rows / all rows; the last line is `bench case_rollups: ratio 1.00 (target == 1.00)
PASS` only when both are exactly equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _scratch import fresh_sqlite, scratch_postgres  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
SKIP = {"merge", "set_handlers", "self_handle"}  # need inputs the walk does not make up
# A walk that picked every offered move alike would mostly supervise and cancel; lean it
# towards the loop's way forward so that cases get rated, reopened, closed and archived.
WEIGHTS = {"supervise": 0.05, "urge": 0.05, "cancel": 0.1, "withdraw": 0.1, "merge": 0.0}
FORWARD = {
    "submit", "accept", "dispatch", "publish", "claim", "sign", "start",
    "resolve", "verify", "verify_close", "rate", "report_in",
}  # fmt: skip


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

    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)


def params_for(code: str, case: Any, cw: Any, rng: random.Random) -> dict[str, Any]:
    from doorstep.cases.models import Summons

    p = cw.personas
    if code == "dispatch":
        return {"lead": rng.choice([p["party_member"], p["volunteer"], cw.world.grid_a])}
    if code == "whistle":
        depts = [cw.dept_city, cw.dept_housing]
        return {"departments": rng.sample(depts, rng.randint(1, 2))}
    if code == "request_extension":
        return {"amount": rng.randint(1, 3), "unit": "workdays"}
    if code == "rate":
        return {"rating": rng.choice(["satisfied", "basic"]), "solved": rng.random() < 0.8}
    if code == "reopen":
        return {"rating": "unsatisfied", "solved": False}
    if code == "evaluate":
        pending = Summons.objects.filter(whistle__case=case, score__isnull=True)
        return {"scores": {s.pk: (rng.randint(1, 5), "") for s in pending}}
    if code == "accept" and rng.random() < 0.3:
        return {"urgency": rng.choice(["urgent", "pressing", "ordinary"])}
    return {}


def build(n: int, seed: int) -> tuple[int, int, int]:
    """N cases through random moves; returns (cases, events, refused moves)."""
    import time_machine

    from doorstep.cases import services
    from doorstep.cases.calendar import TZ
    from doorstep.cases.errors import CaseError
    from doorstep.cases.locating import locate
    from doorstep.cases.models import CaseEvent
    from doorstep.cases.sweep import sweep
    from doorstep.cases.testing import build_case_world
    from doorstep.cases.workflow import FINAL
    from doorstep.core.testing import build_world

    rng = random.Random(seed)
    cw = build_case_world(build_world())
    p, w = cw.personas, cw.world
    actors = [
        p[k]
        for k in (
            "resident",
            "grid_worker_a",
            "grid_leader_a",
            "community_officer",
            "street_officer",
            "party_member",
            "volunteer",
            "liaison_city",
            "liaison_housing",
        )
    ]
    refused = 0
    start = dt.datetime(2026, 9, 21, 9, tzinfo=TZ)
    with time_machine.travel(start, tick=False) as clock:
        for i in range(n):
            patrol = rng.random() < 0.25
            category = rng.choice([cw.repair, cw.hazard, cw.wish])
            case = services.create_case(
                actor=p["grid_worker_a"] if patrol else p["resident"],
                category=category,
                description=f"第{i}件诉求",
                # a grid worker reports only inside their own grid (A)
                location=locate(
                    building=w.building_a if patrol else rng.choice([w.building_a, w.building_b])
                ),
                kind="patrol" if patrol else category.kind,
                source="patrol" if patrol else "web",
                draft=patrol,
            )
            for _step in range(rng.randint(3, 25)):
                if case.status in FINAL:
                    break
                rng.shuffle(actors)
                options = [
                    (actor, move.code)
                    for actor in actors
                    for move in services.moves_for(case, actor)
                    if move.code not in SKIP
                ]
                if not options:
                    break
                by_code: dict[str, list[Any]] = {}
                for actor, code in options:
                    by_code.setdefault(code, []).append(actor)
                codes = sorted(by_code)
                weights = [3.0 if c in FORWARD else WEIGHTS.get(c, 1.0) for c in codes]
                code = rng.choices(codes, weights)[0]
                actor = rng.choice(by_code[code])
                try:
                    case = services.perform(
                        case, code, actor=actor, note="说明", **params_for(code, case, cw, rng)
                    )
                except CaseError:
                    refused += 1
                clock.shift(dt.timedelta(minutes=rng.randint(5, 60 * 30)))
            if i % 20 == 19:
                sweep()
        clock.shift(dt.timedelta(days=45))
        sweep()
        sweep()
    return n, CaseEvent.objects.count(), refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    on_pg = url.startswith(("postgres://", "postgresql://"))
    setup_django(scratch_postgres(url, "bench_rollups") if on_pg else fresh_sqlite("case_rollups"))
    try:
        return run(args.cases, args.seed, "PostgreSQL" if on_pg else "SQLite")
    finally:
        from django.db import connections

        connections.close_all()
        if on_pg and not os.environ.get("BENCH_KEEP"):
            scratch_postgres(url, "bench_rollups", drop_only=True)


def run(n: int, seed: int, label: str) -> int:
    from doorstep.cases import rollups

    t0 = time.perf_counter()
    cases, events, refused = build(n, seed)
    print(
        f"{label}: {cases} cases, {events} events ({refused} refused moves) "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    times: dict[str, list[float]] = {"stored()": [], "recount_from_events()": []}
    for _ in range(RUNS):
        t = time.perf_counter()
        stored = rollups.stored()
        times["stored()"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        counted = rollups.recount_from_events()
        times["recount_from_events()"].append((time.perf_counter() - t) * 1000)
    keys = set(stored) | set(counted)
    equal = sum(1 for k in keys if stored.get(k) == counted.get(k))
    for name, runs in times.items():
        print(f"{name:>22}: median {statistics.median(runs):7.1f} ms")
    from doorstep.cases.models import ROLLUP_FIELDS

    unused = sorted(set(ROLLUP_FIELDS) - {f for row in stored.values() for f in row})
    print(
        f"{len(keys)} rollup rows (organisation × day), {equal} equal; "
        f"counters never moved: {', '.join(unused) or 'none'}"
    )
    ratio = math.floor(100 * equal / len(keys)) / 100 if keys else 0.0  # 1.00 only if all
    ok = bool(keys) and equal == len(keys)
    print(f"bench case_rollups: ratio {ratio:.2f} (target == 1.00) {'PASS' if ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
