"""What benchmarks share: throwaway PostgreSQL databases (beside the one DATABASE_URL
names) and SQLite files, timing functions interleaved, and running a benchmark's child
process on each database in turn."""

from __future__ import annotations


def scratch_postgres(url: str, suffix: str, *, drop_only: bool = False) -> str:
    """(Re)create an empty database `<name>_<suffix>` on the same server; return its URL."""
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    scratch = f"{name.split('?')[0] or 'postgres'}_{suffix}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    return f"{base}/{scratch}"


def run_child(script: str, url: str, label: str, args: list[str]) -> tuple[int, str]:
    """Run `script --child LABEL ARGS…` against the database at `url`, echoing its output
    prefixed with the label; return its exit code and its `bench` line."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DATABASE_URL": url}
    cmd = [sys.executable, script, "--child", label, *args]
    root = Path(script).resolve().parent.parent
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, text=True)
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        print(f"[{label}] {line}", end="", flush=True)
        if line.startswith("bench "):
            last = line.strip()
    return proc.wait(), last


def on_each_database(script: str, name: str, sqlite_url: str, args: list[str]) -> int:
    """The benchmark's child on PostgreSQL (a scratch database `<db>_bench_<name>` when
    DATABASE_URL points at PostgreSQL, dropped afterwards unless BENCH_KEEP=1), then on
    the SQLite file; prints every `bench` line at the end; 1 when a child failed."""
    import os

    targets: list[tuple[str, str]] = []
    url = os.environ.get("DATABASE_URL", "")
    on_pg = url.startswith(("postgres://", "postgresql://"))
    if on_pg:
        targets.append(("pg", scratch_postgres(url, f"bench_{name}")))
    targets.append(("sqlite", sqlite_url))  # last, so its line ends the output
    results: list[str] = []
    failed = False
    try:
        for label, target in targets:
            code, last = run_child(script, target, label, args)
            failed |= code != 0 or not last
            results.append(last or f"bench {name}_{label}: did not finish")
    finally:
        if on_pg and not os.environ.get("BENCH_KEEP"):
            scratch_postgres(url, f"bench_{name}", drop_only=True)
    print()
    for line in results:
        print(line)
    return 1 if failed else 0


def fresh_sqlite(name: str) -> str:
    """An empty SQLite file var/bench/<name>.sqlite3 (and no WAL left over); its URL."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def timed(fns: dict, runs: int, warmup: int) -> dict[str, list[float]]:
    """Run the functions in turn, round after round, so each sees the same machine load;
    the times in ms of the rounds after `warmup`."""
    import time

    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(warmup + runs):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            if i >= warmup:
                times[name].append((time.perf_counter() - t0) * 1000)
    return times


def district_database(url: str, scale: float = 1.0) -> str:
    """The district preset at `scale`, built once into `<name>_bench_district` on the
    server DATABASE_URL names and kept there (a run does not re-seed): its URL. Drop that
    database to build it again (after a migration, say)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    target = f"{name.split('?')[0] or 'postgres'}_bench_district"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target]).fetchone()
    target_url = f"{base}/{target}"
    if exists:
        with psycopg.connect(target_url) as conn:
            seeded = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables "
                "WHERE table_name = 'people_resident') "
            ).fetchone()
            if seeded and seeded[0]:
                count = conn.execute("SELECT count(*) FROM people_resident").fetchone()
                if count and count[0] > 0:
                    return target_url
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": target_url}
    print(f"building the district preset (scale {scale}) into {target} once …", flush=True)
    for args in (["migrate", "-v0"], ["seed_demo", "--preset", "district", "--scale", str(scale)]):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return target_url


def setup_django(url: str, *, migrate: bool = False) -> None:
    """Start Django in this process against `url`, DEBUG off as in production (no per-query
    log: time and memory), the schema migrated when asked."""
    import os
    import sys
    from pathlib import Path

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DOORSTEP_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
