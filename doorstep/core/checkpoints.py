"""Signed checkpoints of the audit chain, kept outside the database (审计检查点).

The keyed chain (auditkeys.py) stops someone without the key from editing a row and
re-hashing the rest, but not from cutting the tail, and not from rebuilding a chain of
pre-key entries. So every few minutes (Celery beat, or `manage.py audit_checkpoint`) the
head of the chain — last id, its hash, the number of entries — is signed with the Ed25519
key and appended as one JSON line to AUDIT_CHECKPOINT_FILE, and written to the log (which
production sends to syslog/journald). A checkpoint is only written over a chain that
verifies from the previous checkpoint on. `verify_audit` checks every checkpoint against
the table: a signature that fails, an entry gone past the last one (truncation), a
hash that differs (a rewritten chain) or fewer entries than counted (a deleted row).
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from . import auditkeys
from .audit import verify_chain
from .errors import Conflict
from .models import GENESIS_HASH, AuditEntry

log = logging.getLogger("doorstep.audit")


def _path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def _signed_part(point: dict[str, Any]) -> bytes:
    body = {k: point[k] for k in ("v", "last_id", "hash", "count", "at", "key")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def read() -> list[dict[str, Any]]:
    """Every checkpoint in the file, oldest first (a line that is not JSON is kept as
    {"bad": line} so that verification names it)."""
    path = _path()
    if not path.exists():
        return []
    points = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            points.append(json.loads(line))
        except json.JSONDecodeError:
            points.append({"bad": line[:80]})
    return points


class ChainBroken(Conflict):
    """The chain does not verify: no checkpoint may bless it."""


def write() -> dict[str, Any] | None:
    """Sign the chain's head and append it (None: the log is still empty)."""
    head = AuditEntry.objects.order_by("-id").values("id", "hash").first()
    if head is None:
        return None
    previous = [p for p in read() if "last_id" in p]
    after, prev = 0, GENESIS_HASH
    if previous:
        last = previous[-1]
        stored = AuditEntry.objects.filter(id=last["last_id"]).values_list("hash", flat=True)
        if stored.first() == last["hash"]:
            after, prev = last["last_id"], last["hash"]
    report = verify_chain(after=after, prev=prev)
    if not report.ok:
        raise ChainBroken(f"第 {report.broken_id} 条：{report.reason}")
    point: dict[str, Any] = {
        "v": 1,
        "last_id": head["id"],
        "hash": head["hash"],
        "count": AuditEntry.objects.filter(id__lte=head["id"]).count(),
        "at": timezone.now().isoformat(),
        "key": auditkeys.public_id(),
    }
    point["sig"] = base64.b64encode(auditkeys.signing_key().sign(_signed_part(point))).decode()
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(point, sort_keys=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    log.info("audit checkpoint %s", line)  # to syslog/journald beside the file
    return point


@dataclass(frozen=True)
class Finding:
    last_id: int | None
    reason: str


def verify() -> list[Finding]:
    """What the checkpoints say is wrong with the table (empty: all hold)."""
    findings = []
    public = auditkeys.verify_key()
    our_key = auditkeys.public_id(public)
    top = AuditEntry.objects.aggregate(top=Max("id"))["top"] or 0
    for point in read():
        if "bad" in point:
            findings.append(Finding(None, f"检查点文件中有无法读取的一行：{point['bad']}"))
            continue
        last_id = point.get("last_id")
        try:
            if point.get("key") != our_key or not isinstance(last_id, int):
                raise InvalidSignature
            public.verify(base64.b64decode(point["sig"]), _signed_part(point))
        except (InvalidSignature, KeyError, ValueError, TypeError):
            findings.append(Finding(last_id, f"第 {last_id} 条处的检查点签名无效（检查点被改动）"))
            continue
        if last_id > top:
            findings.append(
                Finding(
                    last_id,
                    f"日志尾部被截断：检查点记到第 {last_id} 条，数据库只到第 {top} 条",
                )
            )
            continue
        stored = AuditEntry.objects.filter(id=last_id).values_list("hash", flat=True).first()
        if stored is None:
            findings.append(Finding(last_id, f"检查点所记的第 {last_id} 条记录已不存在（被删除）"))
        elif stored != point["hash"]:
            findings.append(
                Finding(last_id, f"第 {last_id} 条与检查点不符（日志被改写后重算了哈希）")
            )
        else:
            count = AuditEntry.objects.filter(id__lte=last_id).count()
            if count != point["count"]:
                findings.append(
                    Finding(
                        last_id,
                        f"第 {last_id} 条及以前应有 {point['count']} 条，现有 {count} 条"
                        "（记录被删除）",
                    )
                )
    return findings
