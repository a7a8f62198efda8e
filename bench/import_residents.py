"""Benchmark: import 100k residents from a ledger file, against COPY of the same rows into the real table.

    DATABASE_URL=postgres://user@host:5432/anything .venv/bin/python bench/import_residents.py \
        [--rows 100000] [--format csv|xlsx|both]

Works in a scratch database (`<name>_bench_import`, created afresh and migrated here), so
it never touches the database DATABASE_URL names. The import runs the real code path:
the whole-file check, then `run_job` (validation of every row, encryption, keyed hashes,
units and households created as needed, residents written in batches of 2,000, each batch
in its own transaction).

The anchor does the same database work: `COPY … FROM STDIN (FORMAT binary)` of the rows
the import stored (encrypted, hashed) into a clone of `people_resident` with all its
indexes and checks. Each round imports each format and then runs the anchor on what that
import stored, alternating; the ratio is the median over `--rounds` (3) rounds.

The last line is `bench import_residents: ratio X (target >= 0.25), peak M MB (target <
500) PASS|MISS`, X the import's rows/s over the anchor's (the slower format's median).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from _scratch import scratch_postgres, setup_django  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.25
MEMORY_MB = 500
BUILDINGS = 40


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scratch_database(url: str, *, drop_only: bool = False) -> str:
    return scratch_postgres(url, "bench_import", drop_only=drop_only)


def ledger_rows(rows: int):
    from doorstep.atlas.people.ledger import sample

    names = building_names()
    for i in range(rows):
        yield sample.resident_row(i, names[(i // 4) // 150 % len(names)])


def building_names() -> list[str]:
    return [f"学知园{n + 10}号楼" for n in range(BUILDINGS)]


def write_excel_like_xlsx(path: Path, rows: int) -> None:
    """Write the workbook the way Excel does (shared strings, a <dimension> element).

    openpyxl's normal mode holds the sheet in memory, so this runs in a child process:
    the import's peak memory is measured in this one.
    """
    from openpyxl import Workbook

    from doorstep.atlas.people.ledger import sample

    wb = Workbook()
    ws = wb.active
    ws.title = "居民台账"
    ws.append(sample.RESIDENT_HEADERS)
    for row in ledger_rows(rows):
        ws.append(row)
    wb.save(path)


def make_files(rows: int, folder: Path, formats: list[str]) -> dict[str, Path]:
    from doorstep.atlas.people.ledger import sample

    files = {"csv": sample.write_csv(folder / "residents.csv", ledger_rows(rows))}
    if "xlsx" in formats:
        files["xlsx"] = folder / "residents.xlsx"
        subprocess.run(
            [sys.executable, __file__, "--write-xlsx", str(files["xlsx"]), "--rows", str(rows)],
            check=True,
        )
    return files


def time_import(path: Path, actor, rows: int, keep: IO[bytes] | None = None) -> tuple[float, dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from doorstep.atlas.people.ledger import importer
    from doorstep.atlas.people.models import ImportJob, Resident

    importer._enqueue = lambda job_id: None  # run it here, not through the task queue
    before = Resident.objects.count()
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    start, cpu = time.perf_counter(), time.process_time()
    job = importer.start_import(kind="residents", upload=upload, actor=actor)
    importer.run_job(job.pk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    job = ImportJob.objects.get(pk=job.pk)
    added = Resident.objects.count() - before
    counts = {
        "status": job.status,
        "imported": job.imported,
        "errors": job.error_count,
        "added": added,
        "cpu": cpu,
    }
    if job.imported != rows or added != rows:
        raise SystemExit(f"import did not import every row: {counts}")
    if keep is not None:  # the imported rows as stored, for the second anchor
        sql = "COPY people_resident TO STDOUT (FORMAT binary)"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for block in copy:
                keep.write(block)
    # Leave the next import an empty ledger again (and PostgreSQL a clean table).
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE people_resident, places_household, places_unit CASCADE")
        cursor.execute("VACUUM ANALYZE people_resident")
    return seconds, counts


def time_copy_stored(dump: IO[bytes]) -> tuple[float, int]:
    """COPY the imported rows as stored (encrypted) into a clone of people_resident with all
    its indexes and checks: what the database alone needs for the same result."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_resident")
        cursor.execute("CREATE TABLE bench_resident (LIKE people_resident INCLUDING ALL)")
    dump.seek(0)
    start = time.perf_counter()
    sql = "COPY bench_resident FROM STDIN (FORMAT binary)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        while block := dump.read(1 << 20):
            copy.write(block)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_resident")
        (copied,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_resident")
    return seconds, copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-xlsx", help=argparse.SUPPRESS)  # child process: make the file
    args = parser.parse_args()
    if args.write_xlsx:
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        write_excel_like_xlsx(Path(args.write_xlsx), args.rows)
        return 0
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench import_residents: skipped — set DATABASE_URL to a PostgreSQL server")
        return 0
    formats = ["csv", "xlsx"] if args.format == "both" else [args.format]
    workdir = tempfile.TemporaryDirectory(prefix="bench-import-")
    os.environ["DOORSTEP_MEDIA_ROOT"] = str(Path(workdir.name) / "media")  # uploads go here

    setup_django(scratch_database(url), migrate=True)
    from doorstep.atlas.places.models import Building
    from doorstep.core.testing import build_world

    world = build_world()
    names = building_names()
    Building.objects.bulk_create(
        [Building(name=n, grid=(world.grid_a, world.grid_b)[i % 2]) for i, n in enumerate(names)]
    )
    actor = world.personas["community_officer"]

    with workdir as folder:
        started = time.perf_counter()
        files = make_files(args.rows, Path(folder), formats)
        print(
            f"generated {args.rows} rows ({', '.join(formats)}) in {time.perf_counter() - started:.1f} s"
        )
        rss_before = peak_rss_mb()
        ratios: dict[str, list[float]] = {fmt: [] for fmt in formats}
        # Ours and the anchor alternate, round after round, so both see the same machine.
        for round_ in range(1, args.rounds + 1):
            for fmt in formats:
                stored = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed below)
                seconds, counts = time_import(files[fmt], actor, args.rows, stored)
                rate = args.rows / seconds
                copy_seconds, copied = time_copy_stored(stored)
                stored.close()
                anchor = copied / copy_seconds
                ratios[fmt].append(rate / anchor)
                size = files[fmt].stat().st_size / 1e6
                print(
                    f"round {round_} {fmt:4} ({size:.1f} MB): import {args.rows} rows in "
                    f"{seconds:.2f} s = {rate:,.0f} rows/s ({counts['cpu']:.1f} s CPU here); "
                    f"COPY of the same rows as stored into a people_resident clone with all "
                    f"its indexes: {anchor:,.0f} rows/s; ratio {rate / anchor:.3f}; "
                    f"peak RSS {peak_rss_mb():.0f} MB"
                )
    from django.db import connections

    connections.close_all()
    scratch_database(url, drop_only=True)
    peak = peak_rss_mb()
    print(f"peak RSS {peak:.0f} MB (after generating the files: {rss_before:.0f} MB)")
    medians = {fmt: statistics.median(r) for fmt, r in ratios.items()}
    for fmt in formats:
        print(f"median ratio {fmt}: {medians[fmt]:.3f} over {args.rounds} rounds")
    ratio = min(medians.values())
    verdict = "PASS" if ratio >= TARGET and peak < MEMORY_MB else "MISS"
    print(
        f"bench import_residents: ratio {ratio:.3f} (target >= {TARGET}), "
        f"peak {peak:.0f} MB (target < {MEMORY_MB}) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
