"""Backups that restore (备份与恢复).

A backup is one folder:

- `database.dump` — `pg_dump --format=custom` (PostgreSQL), or `database.sqlite3` made
  with SQLite's online backup (the embedded default);
- `media.tar.gz` — the uploads (DOORSTEP_MEDIA_ROOT);
- `audit-checkpoints.jsonl` — the signed audit checkpoints, with one written just before
  the dump, so the restored chain can be checked against a head signed outside it;
- `manifest.json` — when, which database, per table its row count and a checksum of its
  rows, the audit head, and the fingerprints of the keys in use (a hash of each key's id:
  never a key — keys live in the secret store, not beside the data they protect).

`restore` loads a backup into an *empty* database (and an empty uploads folder), then
checks it against the manifest: the same row count and checksum per table, an intact
audit chain that matches the checkpoints, the same key fingerprints as the keys configured
now (else the personal data could not be decrypted). `deploy/prod_check.py` runs the
drill: back up the running site, restore into a fresh database, compare, recount.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import auditkeys, checkpoints, figure_cache
from .errors import Conflict, DomainError
from .models import AuditEntry

MANIFEST = "manifest.json"


def _pg_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgresql://{auth}{host}:{port}/{db['NAME']}"


def tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if not t.startswith("sqlite_"))


def table_facts(cursor: Any = None, vendor: str | None = None) -> dict[str, dict[str, Any]]:
    """Per table: rows and a checksum of their content (independent of row order). Reads
    through `cursor` (default: the connection's), e.g. one inside the dump's snapshot."""
    vendor = vendor or connection.vendor
    qn = connection.ops.quote_name
    facts: dict[str, dict[str, Any]] = {}
    own = cursor is None
    cursor = cursor or connection.cursor()
    try:
        for table in tables():
            if vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*), "
                    "coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                    f"FROM {qn(table)} t"
                )
                count, digest = cursor.fetchone()
            else:
                cursor.execute(f"SELECT * FROM {qn(table)}")
                rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
                count = len(rows)
                digest = hashlib.md5("|".join(rows).encode()).hexdigest() if rows else ""
            facts[table] = {"rows": count, "checksum": digest}
    finally:
        if own:
            cursor.close()
    return facts


def key_fingerprints() -> dict[str, str]:
    """Which keys the data needs, as hashes of hashes: enough to tell a mismatch, useless
    to an attacker."""
    from .crypto import _keys

    fernet, lookup = _keys()

    def fp(raw: bytes) -> str:
        return hashlib.sha256(b"doorstep-key-fingerprint:" + raw).hexdigest()[:16]

    field_keys = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    return {
        "field": fp(field_keys.split(",")[0].strip().encode()),
        "lookup": fp(lookup),
        "audit_mac": fp(auditkeys.writing_key_id().encode()),
        "audit_signing": auditkeys.public_id(),
    }


def _audit_head() -> dict[str, Any] | None:
    head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
    return {"id": head[0], "hash": head[1]} if head else None


def make(out: Path) -> Path:
    """Write a backup folder under `out`; returns it. The manifest describes exactly what
    the dump holds: on PostgreSQL both read one exported snapshot; on SQLite the facts are
    read from the copy."""
    checkpoints.write()  # a signed head just before the dump (None when the log is empty)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    folder = out / f"doorstep-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    folder.chmod(0o700)
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            facts = table_facts(cursor)
            head = _audit_head()
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                 f"--file={folder / 'database.dump'}", _pg_url()],
                check=True, capture_output=True,
            )  # fmt: skip
    else:
        copy = folder / "database.sqlite3"
        target = sqlite3.connect(copy)
        connection.ensure_connection()
        connection.connection.backup(target)  # type: ignore[union-attr]
        facts = table_facts(target.cursor(), "sqlite")
        row = target.execute(
            "SELECT id, hash FROM core_auditentry ORDER BY id DESC LIMIT 1"
        ).fetchone()
        head = {"id": row[0], "hash": row[1]} if row else None
        target.close()
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(folder / "media.tar.gz", "w:gz") as tar:
        if media.exists():
            tar.add(media, arcname="media")
    # The checkpoints up to the dumped head (the live site may have signed later ones).
    upto = head["id"] if head else 0
    kept = [
        json.dumps(p, sort_keys=True) for p in checkpoints.read() if p.get("last_id", 0) <= upto
    ]
    (folder / "audit-checkpoints.jsonl").write_text("".join(line + "\n" for line in kept))
    manifest = {
        "made_at": timezone.now().isoformat(),
        "vendor": connection.vendor,
        "tables": facts,
        "audit_head": head,
        "keys": key_fingerprints(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return folder


@dataclass
class Report:
    tables: int
    rows: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _empty_database() -> bool:
    return not tables()


def restore(folder: Path) -> Report:
    """Load a backup into the configured, empty database and uploads folder; then check."""
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise DomainError(f"{folder} 不是备份目录（缺少 {MANIFEST}）")
    manifest = json.loads(manifest_path.read_text())
    if manifest["vendor"] != connection.vendor:
        raise DomainError(f"备份来自 {manifest['vendor']}，当前数据库是 {connection.vendor}")
    if not _empty_database():
        raise Conflict("目标数据库不是空的：请恢复到新建的空数据库")
    media = Path(settings.MEDIA_ROOT)
    if media.exists() and any(media.iterdir()):
        raise Conflict(f"上传文件目录 {media} 不是空的")
    if connection.vendor == "postgresql":
        connection.close()
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_pg_url()}",
             str(folder / "database.dump")],
            check=True, capture_output=True,
        )  # fmt: skip
    else:
        source = sqlite3.connect(folder / "database.sqlite3")
        connection.ensure_connection()
        source.backup(connection.connection)  # type: ignore[arg-type]
        source.close()
    with tarfile.open(folder / "media.tar.gz") as tar:
        tar.extractall(media.parent, filter="data")
    if media.name != "media" and (media.parent / "media").exists():
        (media.parent / "media").rename(media)
    figure_cache.renew_all()  # every table changed underneath the kept figures
    cp_backup = folder / "audit-checkpoints.jsonl"
    cp = Path(settings.AUDIT_CHECKPOINT_FILE)
    if cp_backup.exists() and not cp.exists():
        cp.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cp_backup, cp)
    return check(manifest)


def check(manifest: dict[str, Any]) -> Report:
    """Compare the database now with a backup's manifest."""
    from .audit import verify_chain

    problems: list[str] = []
    now = table_facts()
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(now)):
        want, got = expected.get(table), now.get(table)
        if want is None or got is None:
            problems.append(f"表 {table} {'多出' if want is None else '缺失'}")
        elif want["rows"] != got["rows"]:
            problems.append(f"表 {table} 行数不符：备份 {want['rows']}，恢复后 {got['rows']}")
        elif want["checksum"] != got["checksum"]:
            problems.append(f"表 {table} 内容校验不符")
    chain = verify_chain()
    if not chain.ok:
        problems.append(f"审计日志链在第 {chain.broken_id} 条处断裂：{chain.reason}")
    problems += [f.reason for f in checkpoints.verify()]
    if manifest.get("audit_head") != _audit_head():
        problems.append("审计日志的最后一条与备份时不同")
    keys = key_fingerprints()
    for name, fp in manifest.get("keys", {}).items():
        if keys.get(name) != fp:
            problems.append(f"密钥 {name} 与备份时不同：请配置备份时使用的密钥")
    return Report(tables=len(now), rows=sum(t["rows"] for t in now.values()), problems=problems)
