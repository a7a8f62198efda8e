"""Benchmark: a district's mix of requests on the production profile, against the floor.

    DATABASE_URL=postgres://user@host:5432/anything .venv/bin/python bench/mixed_load.py \
        [--seconds 60] [--users 24] [--replica postgres://user@host:5433/anything]

The world is the district preset at scale 1 with its daily users and a year of cases
(>= 500,000), built once into a template database (bench/_load_world.py) and copied for
each run, since a run writes. The server is the production profile: gunicorn with
deploy/gunicorn.conf.py (4 sync workers), DEBUG off, HTTPS behind a proxy (the load sends
X-Forwarded-Proto and X-Real-IP as nginx does), CSRF, secure sessions, the Redis cache and
every middleware (bench/_load_site.py). The load is locust, headless, with a fixed seed
(bench/_locustfile.py): `--users` logged-in people with no think time, each request's
endpoint drawn from fixed weights — residents filing and following, grid workers,
community dispatchers accepting, handlers, street officers on the cockpit and the
briefing, API clients reading and filing.

In the same run, first the floor: the same server answering a minimal authenticated view.
With `--replica`, a second run against the same server with the cockpit and exports
reading from the streaming replica (DATABASE_REPLICA_URL).

Targets: mixed throughput >= 25 % of the floor and >= 230 req/s, p95 < 200 ms, 0 errors.
The last line, `bench mixed_load: …`, covers all four (and every run it made).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _load_site import ROOT, Server, environment, flush_redis
from _load_world import drop_copy, run_copy

FLOOR_SHARE = 0.25
MIN_RPS = 230.0
P95_MS = 200.0
SEED = 20261207
OUT = ROOT / "var" / "bench" / "load"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- the spec (child process)


def prepare(spec_path: str) -> None:
    """Sessions for the seats' people, an API key, and the ids the load asks for: written
    to `spec_path` as JSON. Runs with the server's own environment (same keys)."""
    import random

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)  # the template may predate one
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils.crypto import get_random_string

    from doorstep.atlas.organisations.models import Kind, Organisation
    from doorstep.atlas.places.models import Household
    from doorstep.cases.models import Assignment, Case
    from doorstep.cases.open311.keys import issue_key
    from doorstep.cases.open311.public import public_categories
    from doorstep.demo.cases.texts import TEXTS

    rng = random.Random(SEED)
    users = {u.username: u for u in get_user_model().objects.filter(username__regex=r"^l[sdcgr]\d")}
    member = {
        u.username: m.organisation
        for u in users.values()
        for m in u.memberships.select_related("organisation")
    }
    ip_counter = iter(range(1, 60000))

    def persona(username: str, **extra: Any) -> dict[str, Any]:
        client = Client()
        client.force_login(users[username])
        n = next(ip_counter)
        return {
            "session": client.cookies["sessionid"].value,
            "csrf": get_random_string(32),
            "ip": f"10.{n // 250}.{n % 250}.{rng.randint(1, 250)}",
            **extra,
        }

    def recent(qs: Any, n: int = 40) -> list[str]:
        return list(qs.order_by("-created_at").values_list("number", flat=True)[:n])

    cases = Case.objects.outside_door("bench: the load's case ids")
    streets = {o.pk: name for name, o in member.items() if name.startswith("ls")}
    depts = {o.parent_id: name for name, o in member.items() if name.startswith("ld")}
    seats = []
    for name, community in sorted(member.items()):
        if not name.startswith("lc"):
            continue
        residents = sorted(
            n for n, o in member.items() if n.startswith("lr") and o.parent_id == community.pk
        )
        workers = sorted(
            n for n, o in member.items() if n.startswith("lg") and o.parent_id == community.pk
        )
        if not residents or not workers:
            continue
        resident, worker = residents[0], workers[0]
        home = users[resident].resident
        grid = member[worker]
        dept_name = depts[community.parent_id]
        dept = member[dept_name]
        seats.append(
            {
                "resident": persona(
                    resident,
                    home=home.household.unit.building_id,
                    cases=recent(cases.filter(reporter=users[resident])) or ["0"],
                ),
                "grid": persona(
                    worker,
                    households=list(
                        Household.objects.outside_door("bench")
                        .filter(grid=grid)
                        .values_list("pk", flat=True)[:50]
                    ),
                ),
                "community": persona(
                    name, cases=recent(cases.filter(territory_path__startswith=community.path))
                ),
                "handler": persona(
                    dept_name,
                    cases=recent(
                        cases.filter(
                            pk__in=Assignment.objects.filter(organisation=dept).values("case_id")
                        )
                    ),
                ),
                "street": persona(streets[community.parent_id], org=community.parent_id),
                "api": {"ip": f"10.200.0.{len(seats) + 1}"},
            }
        )
    _key, secret = issue_key(
        name="压测：12345 热线系统", rate_limit_per_minute=1_000_000, actor=None
    )
    public = list(public_categories())
    spec = {
        "seed": SEED,
        "seats": seats,
        "api_key": secret,
        "categories": [c.pk for c in public if c.kind == "request"][:200],
        "service_codes": [c.code for c in public if c.kind == "request"][:200],
        "texts": [t for ts in TEXTS.values() for t in ts]
        + ["；".join(ts) * 3 for ts in TEXTS.values()],  # and long messages
        "surnames": ["王", "李", "张", "刘", "陈", "杨"],
    }
    del Kind, Organisation
    Path(spec_path).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------- one load run


def locust(host: str, spec: Path, env: dict[str, str], mode: str, seconds: int, users: int) -> dict:
    """Run locust headless; the aggregated figures and the per-endpoint rows."""
    prefix = OUT / f"locust_{mode}"
    cmd = [
        str(ROOT / ".venv" / "bin" / "locust"),
        "-f",
        str(ROOT / "bench" / "_locustfile.py"),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "30",  # the requests under way at the end finish and count
    ]
    child_env = {**env, "LOAD_SPEC": str(spec), "LOAD_MODE": mode}
    load_before = load_average()
    subprocess.run(cmd, cwd=ROOT, env=child_env, check=False, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    if not int(total["Request Count"]):
        raise SystemExit(f"locust made no request ({mode}); run it by hand to see why")
    failures = list(csv.DictReader((prefix.parent / f"{prefix.name}_failures.csv").open()))
    return {
        "rps": float(total["Requests/s"]),
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "p99": float(total["99%"]),
        "rows": [r for r in rows if r["Name"] != "Aggregated"],
        "failures": failures,
        "load": f"{load_before} → {load_average()}",
    }


def report(label: str, r: dict) -> None:
    print(
        f"{label}: {r['rps']:.0f} req/s, {r['requests']} requests, p50 {r['p50']:.0f} ms, "
        f"p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms, {r['errors']} errors "
        f"(load {r['load']})",
        flush=True,
    )


def mix_table(r: dict) -> tuple[float, float]:
    """Per endpoint: share, median and p95; returns (write share, cockpit+briefing share)."""
    total = sum(int(x["Request Count"]) for x in r["rows"]) or 1
    writes = cockpit = 0
    print(f"  {'endpoint':40} {'share':>6} {'p50':>6} {'p95':>6} {'errors':>6}")
    for x in sorted(r["rows"], key=lambda x: -int(x["Request Count"])):
        n = int(x["Request Count"])
        if "[write]" in x["Name"]:
            writes += n
        if x["Name"] in {"street: cockpit", "street: briefing"}:
            cockpit += n
        print(
            f"  {x['Name']:40} {n / total:6.1%} {float(x['50%']):6.0f} {float(x['95%']):6.0f} "
            f"{int(x['Failure Count']):6d}"
        )
    for f in r["failures"][:10]:
        print(f"  failure: {f['Name']}: {f['Error'][:160]} × {f['Occurrences']}")
    return writes / total, cockpit / total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--floor-seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--replica", help="URL of a streaming replica's server")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the run's database")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare)
        return 0
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench mixed_load: skipped — set DATABASE_URL to a PostgreSQL server")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    database = run_copy(url)
    print(f"a fresh copy of the load world: {database} ({time.perf_counter() - started:.0f} s)")
    env = environment(database)
    flush_redis()
    spec = OUT / "spec.json"
    subprocess.run(
        [sys.executable, __file__, "--prepare", str(spec)], cwd=ROOT, env=env, check=True
    )
    log = OUT / "gunicorn.log"
    log.write_text("")
    runs: list[tuple[str, dict]] = []
    try:
        with Server(env, log) as server:
            floor = locust(server.url, spec, env, "floor", args.floor_seconds, args.users)
            report("floor (minimal authenticated view)", floor)
            mixed = locust(server.url, spec, env, "mixed", args.seconds, args.users)
            report("mixed", mixed)
            writes, cockpit = mix_table(mixed)
            print(f"  writes {writes:.1%} of requests, cockpit and briefing {cockpit:.1%}")
            runs.append(("primary", mixed))
        if args.replica:
            base = args.replica.rsplit("/", 1)[0]
            replica_env = environment(database, f"{base}/{database.rsplit('/', 1)[1]}")
            _wait_for_replica(replica_env["DATABASE_REPLICA_URL"], database)
            with Server(replica_env, log) as server:
                again = locust(server.url, spec, replica_env, "mixed", args.seconds, args.users)
                report("mixed, cockpit and exports on the replica", again)
                mix_table(again)
                runs.append(("replica", again))
    finally:
        if not args.keep:
            drop_copy(url)
    ok = (
        all(
            r["rps"] >= FLOOR_SHARE * floor["rps"]
            and r["rps"] >= MIN_RPS
            and r["p95"] < P95_MS
            and r["errors"] == 0
            for _n, r in runs
        )
        and writes >= 0.15
        and cockpit >= 0.05
    )
    worst = min(runs, key=lambda nr: nr[1]["rps"])[1]
    print(
        f"bench mixed_load: {worst['rps']:.0f} req/s = {worst['rps'] / floor['rps']:.0%} of the floor "
        f"({floor['rps']:.0f} req/s), p95 {max(r['p95'] for _n, r in runs):.0f} ms, "
        f"{sum(r['errors'] for _n, r in runs)} errors over {len(runs)} run(s) "
        f"({', '.join(n for n, _r in runs)}); writes {writes:.0%}, cockpit+briefing {cockpit:.0%} "
        f"(targets: >= {FLOOR_SHARE:.0%} of the floor and >= {MIN_RPS:.0f} req/s, "
        f"p95 < {P95_MS:.0f} ms, 0 errors) {'PASS' if ok else 'MISS'}"
    )
    return 0


def _wait_for_replica(replica_url: str, database: str) -> None:
    """Until the replica has the run's database (the copy reaches it through WAL)."""
    import psycopg

    deadline = time.monotonic() + 300
    while True:
        try:
            with psycopg.connect(replica_url, connect_timeout=3) as conn:
                conn.execute("SELECT count(*) FROM cases_case").fetchone()
                return
        except psycopg.Error:
            if time.monotonic() > deadline:
                raise SystemExit(f"the replica has no {database} after 5 minutes") from None
            time.sleep(2)


if __name__ == "__main__":
    raise SystemExit(main())
