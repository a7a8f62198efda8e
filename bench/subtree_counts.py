"""Benchmark: street-level subtree counts (组织树统计) against raw SQL GROUP BY.

    .venv/bin/python bench/subtree_counts.py [--scale 1]      (or BENCH_SCALE=0.2)

Seeds the synthetic district (`seed_demo --preset district --scale N`) into a fresh
database: a SQLite file under var/bench/, and — when DATABASE_URL points at PostgreSQL — a
scratch database `<name>_bench_subtree_counts` on that server (dropped afterwards unless
BENCH_KEEP=1). Each database is measured in its own child process.

For the first street it times, interleaved, median of several runs:
  * `subtree_counts(street, [street, *children], from_counters=True)` — the figures of the
    street page, as the page takes them (the population from the counters);
  * the anchor, the same work hand-written: the buildings by GROUP BY, the asked nodes'
    counters by one SELECT, the tree rolled up in Python, the party chain of the party
    nodes walked and its members counted. Both must equal the figures
    counted from the rows themselves (households, residents, members GROUP BY);
  * the whole organisation page for a street officer through the Django test client.

Target (issue): street-level counts render in under 300 ms on SQLite and PostgreSQL, and
the ORM path costs at most 1.5× the raw SQL. The last line is
`bench subtree_counts_sqlite: ratio X (target <= 1.5) PASS|MISS`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _scratch import (  # bench/ is on sys.path when run as a script
    fresh_sqlite,
    on_each_database,
    timed,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
TARGET_MS = 300.0
RUNS = 15
WARMUP = 2
NON_PARTY = {"district", "street", "community", "grid", "department", "co_building"}
NON_PARTY_KINDS = sorted(NON_PARTY | {"central_household"})  # not on the party chain


# --- the anchor: the same figures from plain SQL -------------------------------------------


def anchor_counts(
    root_path: str,
    nodes: list[tuple[int, str]],
    *,
    from_counters: bool = False,
    party_nodes: list[int] = (),  # type: ignore[assignment]
) -> dict[int, dict[str, Any]]:
    """Per-node figures from three GROUP BY queries plus the tree, rolled up by path prefix;
    with from_counters, as the pages take them: buildings by GROUP BY, the population
    (households, links, residents by type, party members) read from each asked node's
    counters, the tree rolled up."""
    from django.db import connection

    if from_counters:
        return _anchor_from_counters(root_path, nodes, party_nodes)

    like = root_path + "%"
    grids_sql = "SELECT id FROM organisations_organisation WHERE path LIKE %s AND kind = 'grid'"
    per_grid: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        _buildings_per_grid(cursor, grids_sql, like, per_grid)
        cursor.execute(
            f"SELECT h.grid_id, COUNT(*), COUNT(l.id) FROM places_household h "
            f"LEFT JOIN people_householdlink l ON l.household_id = h.id "
            f"WHERE h.grid_id IN ({grids_sql}) GROUP BY h.grid_id",
            [like],
        )
        for grid_id, n, linked in cursor.fetchall():
            per_grid[grid_id]["households"] = n
            per_grid[grid_id]["households_linked"] = linked
        cursor.execute(
            f"SELECT r.grid_id, r.residence_type, COUNT(*), COUNT(m.id) FROM people_resident r "
            f"LEFT JOIN people_partymember m ON m.resident_id = r.id "
            f"WHERE r.grid_id IN ({grids_sql}) GROUP BY r.grid_id, r.residence_type",
            [like],
        )
        for grid_id, kind, n, members in cursor.fetchall():
            per_grid[grid_id]["residents"] += n
            per_grid[grid_id]["by_type:" + kind] += n
            per_grid[grid_id]["party_members"] += members
        cursor.execute(
            "SELECT id, kind, path, parent_id FROM organisations_organisation WHERE path LIKE %s",
            [like],
        )
        orgs = cursor.fetchall()
    out = _roll_up(per_grid, orgs, nodes)
    return {node_id: {k: v for k, v in total.items() if v} for node_id, total in out.items()}


def _buildings_per_grid(cursor: Any, grids_sql: str, like: str, per_grid: dict) -> None:
    """Each grid's number of buildings, by GROUP BY (both anchors count them so)."""
    cursor.execute(
        f"SELECT grid_id, COUNT(*) FROM places_building "
        f"WHERE grid_id IN ({grids_sql}) GROUP BY grid_id",
        [like],
    )
    for grid_id, n in cursor.fetchall():
        per_grid[grid_id]["buildings"] = n


def _roll_up(
    per_grid: dict[int, dict[str, Any]], orgs: list[tuple], nodes: list[tuple[int, str]]
) -> dict[int, dict[str, Any]]:
    """Each asked node's totals: its grids' figures and its part of the tree, by path."""
    path_of = {oid: path for oid, _, path, _ in orgs}
    for _, kind, _, parent_id in orgs:
        if kind == "grid_branch":
            per_grid[parent_id]["grids_with_branch"] = 1
        elif kind == "party_group":
            per_grid[parent_id]["grids_with_party_group"] = 1
    out: dict[int, dict[str, Any]] = {}
    for node_id, node_path in nodes:
        total: dict[str, Any] = defaultdict(int)
        for grid_id, figures in per_grid.items():
            if path_of.get(grid_id, "").startswith(node_path):
                for k, v in figures.items():
                    total[k] += v
        for _, kind, path, _ in orgs:
            if not path.startswith(node_path):
                continue
            total["communities"] += kind == "community"
            total["grids"] += kind == "grid"
            total["central_households"] += kind == "central_household"
            total["party_branches"] += kind in {"grid_branch", "compound_branch", "general_branch"}
            total["party_organisations"] += kind not in NON_PARTY | {"central_household"}
        out[node_id] = total
    return out


def _anchor_from_counters(
    root_path: str, nodes: list[tuple[int, str]], party_nodes: list[int]
) -> dict[int, dict[str, Any]]:
    from django.db import connection

    like = root_path + "%"
    grids_sql = "SELECT id FROM organisations_organisation WHERE path LIKE %s AND kind = 'grid'"
    per_grid: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    ids = [node_id for node_id, _ in nodes]
    with connection.cursor() as cursor:
        _buildings_per_grid(cursor, grids_sql, like, per_grid)
        cursor.execute(
            "SELECT organisation_id, dimension, key, n FROM people_populationtally "
            f"WHERE organisation_id IN ({', '.join(['%s'] * len(ids))}) "
            "AND dimension IN ('type', 'member', 'tenure', 'linked')",
            ids,
        )
        tallies = cursor.fetchall()
        cursor.execute(
            "SELECT id, kind, path, parent_id FROM organisations_organisation WHERE path LIKE %s",
            [like],
        )
        orgs = cursor.fetchall()
    out = _roll_up(per_grid, orgs, nodes)
    for org_id, dimension, key, n in tallies:
        total = out[org_id]
        if dimension == "type":
            total["residents"] += n
            total["by_type:" + key] += n
        elif dimension == "member":
            total["party_members"] += n
        elif dimension == "tenure":
            total["households"] += n
        else:
            total["households_linked"] += n
    _anchor_party_chain(out, party_nodes)
    return {node_id: {k: v for k, v in total.items() if v} for node_id, total in out.items()}


def _anchor_party_chain(out: dict[int, dict[str, Any]], party_nodes: list[int]) -> None:
    """org_members and org_descendants of the asked party nodes: the party tree from one
    SELECT, walked down in Python, and the members of the organisations on it."""
    from django.db import connection

    if not party_nodes:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, party_parent_id FROM organisations_organisation "
            f"WHERE kind NOT IN ({', '.join(['%s'] * len(NON_PARTY_KINDS))})",
            list(NON_PARTY_KINDS),
        )
        children: dict[int, list[int]] = defaultdict(list)
        for oid, parent_id in cursor.fetchall():
            if parent_id:
                children[parent_id].append(oid)
        chains = {}
        for node_id in party_nodes:
            seen, stack = set(), [node_id]
            while stack:
                oid = stack.pop()
                if oid not in seen:
                    seen.add(oid)
                    stack.extend(children.get(oid, []))
            chains[node_id] = seen
        wanted = sorted(set().union(*chains.values()))
        cursor.execute(
            "SELECT organisation_id, COUNT(*) FROM people_partymember "
            f"WHERE organisation_id IN ({', '.join(['%s'] * len(wanted))}) "
            "GROUP BY organisation_id",
            wanted,
        )
        members = dict(cursor.fetchall())
    for node_id, seen in chains.items():
        out[node_id]["org_members"] = sum(members.get(oid, 0) for oid in seen)
        out[node_id]["org_descendants"] = len(seen) - 1


def as_dict(counts: Any) -> dict[str, Any]:
    """A Counts as the anchor spells it (zeros dropped), for comparison."""
    from doorstep.atlas.people.queries import SUMMED_FIELDS

    out = {f: getattr(counts, f) for f in SUMMED_FIELDS}
    out.update({"by_type:" + k: v for k, v in counts.by_type.items()})
    return {k: v for k, v in out.items() if v}


# --- one database, in a child process ------------------------------------------------------


def child(scale: float, label: str) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DOORSTEP_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from doorstep.accounts.models import User
    from doorstep.atlas.organisations.models import Organisation
    from doorstep.atlas.people.queries import subtree_counts

    settings.DEBUG = False  # as in production: no per-query log
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", preset="district", scale=scale)
    print(f"seeded in {time.perf_counter() - t0:.1f} s", flush=True)

    street = Organisation.objects.filter(kind="street").order_by("id").first()
    assert street is not None
    nodes = [street, *Organisation.objects.filter(parent=street).order_by("kind", "name")]
    ids = [(n.pk, n.path) for n in nodes]
    # The pages read the population from the counters; both must equal a count of the rows.
    party = [n.pk for n in nodes if n.is_party]
    counted = subtree_counts(street, nodes, from_counters=True)
    orm = {pk: as_dict(c) for pk, c in counted.items()}
    raw = anchor_counts(street.path, ids)
    kept = anchor_counts(street.path, ids, from_counters=True, party_nodes=party)
    chain = {
        pk: {f: getattr(c, f) for f in ("org_members", "org_descendants") if getattr(c, f)}
        for pk, c in counted.items()
    }
    if not (orm == raw and {pk: {**orm[pk], **chain[pk]} for pk in orm} == kept):
        print(f"MISMATCH between subtree_counts, the rows and the counters:\n{orm}\n{raw}\n{kept}")
        return 1
    c = orm[street.pk]
    print(
        f"{street.name}: {c['grids']} grids, {c['households']} households, "
        f"{c['residents']} residents, {c['party_members']} party members, "
        f"{c['households_linked']} linked households; {len(nodes)} nodes on the page"
    )

    client = Client()
    client.force_login(User.objects.get(username="jk_street"))
    url = reverse("atlas:organisation", args=[street.pk])
    assert client.get(url).status_code == 200

    times = timed(
        {
            "subtree_counts": lambda: subtree_counts(street, nodes, from_counters=True),
            "raw SQL anchor": lambda: anchor_counts(
                street.path, ids, from_counters=True, party_nodes=party
            ),
            "street page": lambda: client.get(url),
        },
        RUNS,
        WARMUP,
    )
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    counts_ms, anchor_ms, page_ms = medians.values()
    ratio = counts_ms / anchor_ms
    ok = ratio <= TARGET_RATIO and counts_ms < TARGET_MS and page_ms < TARGET_MS
    for name, runs in times.items():
        spread = ", ".join(f"{t:.0f}" for t in sorted(runs))
        print(f"{name:>15}: median {medians[name]:7.1f} ms  (runs: {spread})")
    print(f"target: counts and page < {TARGET_MS:.0f} ms; counts <= {TARGET_RATIO}x the anchor")
    print(
        f"bench subtree_counts_{label}: ratio {ratio:.2f} (target <= {TARGET_RATIO}) "
        f"{'PASS' if ok else 'MISS'}",
        flush=True,
    )
    return 0


# --- the parent: one child per database ----------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--child", metavar="LABEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.scale, args.child)
    return on_each_database(
        __file__, "subtree_counts", fresh_sqlite("subtree_counts"), ["--scale", str(args.scale)]
    )


if __name__ == "__main__":
    sys.exit(main())
