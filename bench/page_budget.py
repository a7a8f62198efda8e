"""Benchmark: every page kind at district scale, against replaying that page's own SQL.

    DATABASE_URL=postgres://user@host:5432/anything .venv/bin/python bench/page_budget.py \
        [--rounds 5]

Runs on the load world of bench/mixed_load.py — the district preset at scale 1 (174,731
residents) with a year of cases (500,000), built once into `<name>_bench_load_template` and
kept — in a copy made for the run and dropped after (bench/_load_world.py), with the cache
production has: Redis, figures kept until a table they read is written
(core/figure_cache.py; a Redis database of its own, flushed before and after). Each page is
asked in process through the whole middleware stack (Django's test client, DEBUG off, as
the persona who uses it) twice to warm, then `--rounds` times; after each request the
page's own SELECTs, as it ran them, are replayed on a raw cursor — the same work for the
database alone, interleaved with ours. Per page it prints the median server time, the
query count and the median replay time (the SQL floor) warm, as a page is served until a
write renews what it read; and beside them, for what the first request after such a write
costs, the median time with the cache emptied before each request ("cold").

Targets: every page takes < 30 ms or its SQL floor is >= 60 % of its time; the cockpit
and the briefing take < 100 ms. The last line is `bench page_budget: worst … PASS|MISS`,
covering every page and both targets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from _load_world import drop_copy, run_copy  # bench/ is on sys.path when run as a script
from _scratch import setup_django

ROOT = Path(__file__).resolve().parent.parent
FAST_MS = 30.0
FLOOR_SHARE = 0.60
HEAVY_MS = 100.0
HEAVY = ("cockpit", "briefing")
CACHE_DB = 11  # a Redis database of its own (bench/_load_site.py uses 12 and 13)


def pages() -> list[tuple[str, str, str]]:
    """(name, login, url) of each page kind, with ids from the district."""
    from django.contrib.auth import get_user_model

    from doorstep.atlas.organisations.models import Kind, Organisation
    from doorstep.atlas.places.models import Household
    from doorstep.cases.models import Case

    def node_of(login: str) -> Organisation:
        user = get_user_model().objects.get(username=login)
        return user.memberships.select_related("organisation").first().organisation

    district, street, grid = node_of("jk_district"), node_of("jk_street"), node_of("jk_grid")
    community = (
        Organisation.objects.outside_door("bench: the street's first community")
        .filter(kind=Kind.COMMUNITY, path__startswith=street.path)
        .order_by("path")
        .first()
    )
    home = Household.objects.outside_door("bench: a home in the grid").filter(grid=grid).first()
    ensure_resident_login(grid)
    case = (
        Case.objects.outside_door("bench: a case of the street")
        .filter(territory_path__startswith=street.path)
        .order_by("-created_at")
        .first()
    )
    return [
        ("workbench (grid)", "jk_grid", "/"),
        ("case desk (grid)", "jk_grid", "/cases/"),
        ("household page", "jk_grid", f"/households/{home.pk}/"),
        ("search", "jk_grid", "/search/?q=王"),
        ("inbox", "jk_grid", "/inbox/"),
        ("workbench (resident)", "jk_resident", "/"),
        ("my cases (resident)", "jk_resident", "/cases/mine/"),
        ("filing form (resident)", "jk_resident", "/cases/new/"),
        ("case page (street)", "jk_street", f"/cases/{case.number}/"),
        ("workbench (street)", "jk_street", "/"),
        ("case desk (street)", "jk_street", "/cases/"),
        ("organisation tree", "jk_street", "/org/"),
        ("community page", "jk_street", f"/org/{community.pk}/"),
        ("cockpit (street)", "jk_street", f"/cockpit/{street.pk}/"),
        ("briefing (street)", "jk_street", f"/cockpit/{street.pk}/briefing/"),
        ("drill list: residents", "jk_street", f"/cockpit/{street.pk}/list/residents/"),
        ("party roll", "jk_street", "/party/"),
        ("needs list", "jk_street", "/cogov/"),
        ("topics", "jk_street", "/topics/"),
        ("activities", "jk_street", "/activities/"),
        ("cockpit (district)", "jk_district", f"/cockpit/{district.pk}/"),
        ("briefing (district)", "jk_district", f"/cockpit/{district.pk}/briefing/"),
    ]


def forget_figures() -> None:
    """Empty the figure cache (not the sessions, which live in the same Redis database)."""
    import redis

    kept = redis.Redis(host="127.0.0.1", port=6379, db=CACHE_DB)
    names = list(kept.scan_iter(match="*fig:*", count=1000))
    if names:
        kept.delete(*names)


def ensure_resident_login(grid: Any) -> None:
    """`jk_resident`: a resident of the grid with a login, as a resident has (made once in
    run's copy, like the demo's logins)."""
    from doorstep.atlas.people.models import Resident
    from doorstep.demo.logins import Login, ensure_logins

    resident = (
        Resident.objects.outside_door("bench: a resident of the grid")
        .filter(grid=grid, birth_date__year__lte=2000)
        .order_by("id")
        .first()
    )
    ensure_logins([Login("jk_resident", "居民", "resident", grid, resident)])


def measure(client: Any, url: str, rounds: int) -> tuple[float, int, float, float]:
    """(median ms of the page warm, its query count, median ms of replaying its SELECTs,
    median ms with the cache emptied first)."""
    from contextlib import ExitStack

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        client.get(url)
    ours: list[float] = []
    floor: list[float] = []
    cold: list[float] = []
    count = 0
    for _ in range(rounds):
        with ExitStack() as stack:
            # each database the page read (the primary; the replica when configured)
            captured = {
                alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
                for alias in connections
            }
            start = time.perf_counter()
            response = client.get(url)
            ours.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        count = sum(len(c.captured_queries) for c in captured.values())
        start = time.perf_counter()
        for alias, queries in captured.items():
            with connections[alias].cursor() as cursor:
                for q in queries.captured_queries:
                    if q["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                        cursor.execute(q["sql"])
                        cursor.fetchall()
        floor.append((time.perf_counter() - start) * 1000)
        forget_figures()  # the same page with nothing kept (and then kept again)
        start = time.perf_counter()
        client.get(url)
        cold.append((time.perf_counter() - start) * 1000)
    return statistics.median(ours), count, statistics.median(floor), statistics.median(cold)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--replica",
        help="URL of a streaming replica's server: the cockpit and exports read from it",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench page_budget: skipped — set DATABASE_URL to a PostgreSQL server")
        return 0
    district = run_copy(url)
    if args.replica:
        os.environ["DATABASE_REPLICA_URL"] = (
            f"{args.replica.rsplit('/', 1)[0]}/{district.rsplit('/', 1)[1]}"
        )
        print(f"reads of the cockpit go to the replica at {args.replica.rsplit('/', 1)[0]}")
    os.environ["DOORSTEP_CACHE_URL"] = f"redis://127.0.0.1:6379/{CACHE_DB}"
    os.environ["DOORSTEP_FIGURE_CACHE"] = "1"
    setup_django(district)
    forget_figures()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from django.contrib.auth import get_user_model
    from django.test import Client

    listed = pages()  # (makes the resident's login)
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="jk_")}
    clients: dict[str, Client] = {}
    misses: list[str] = []
    worst = ("", 0.0)
    print(
        f"{'page':28} {'ms':>8} {'queries':>8} {'SQL ms':>8} {'floor':>6}  verdict {'cold ms':>8}"
    )
    for name, login, path in listed:
        if login not in clients:
            clients[login] = Client()
            clients[login].force_login(users[login])
        ms, queries, sql_ms, cold_ms = measure(clients[login], path, args.rounds)
        share = sql_ms / ms if ms else 1.0
        heavy = any(h in name for h in HEAVY)
        ok = (ms < FAST_MS or share >= FLOOR_SHARE) and (not heavy or ms < HEAVY_MS)
        if not ok:
            misses.append(name)
        if ms > worst[1]:
            worst = (name, ms)
        print(
            f"{name:28} {ms:8.1f} {queries:8d} {sql_ms:8.1f} {share:6.0%}"
            f"  {'ok  ' if ok else 'MISS'}    {cold_ms:8.1f}",
            flush=True,
        )
    forget_figures()
    from django.db import connections

    connections.close_all()
    drop_copy(url)
    verdict = "PASS" if not misses else "MISS"
    print(
        f"bench page_budget: {len(misses)} of {len(listed)} pages miss warm (targets: < {FAST_MS:.0f} ms"
        f" or SQL floor >= {FLOOR_SHARE:.0%} of the page; cockpit and briefing < {HEAVY_MS:.0f} ms);"
        f" slowest {worst[0]} {worst[1]:.0f} ms {verdict}"
        + (f" — missing: {', '.join(misses)}" if misses else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
