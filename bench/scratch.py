"""Throwaway PostgreSQL databases for benchmarks (beside the one DATABASE_URL names)."""

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
