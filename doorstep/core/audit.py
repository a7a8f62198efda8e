"""Writing and verifying the audit log (审计日志).

Entries are chained: each stores the hash of the one before, so changing or removing any
row breaks every hash after it. Appends are serialised (an advisory lock on PostgreSQL;
SQLite has a single writer already) so two writers cannot both chain to the same tail.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import auditkeys
from .middleware import client_ip
from .models import GENESIS_HASH, AuditEntry

_LOCK_KEY = 7_301_2024  # any constant: the advisory lock that serialises appends


def record(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    actor_name: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the action it records."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditEntry(
            at=timezone.now(),
            actor=user,
            actor_name=actor_name or (user.get_username() if user else ""),
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail or {},
            ip=client_ip.get() if ip is None else ip,
            prev_hash=last or GENESIS_HASH,
            key_id=auditkeys.writing_key_id(),
        )
        digest = entry.compute_hash()
        if digest is None:  # cannot happen: the writing key is the first configured one
            raise RuntimeError("audit MAC key missing")
        entry.hash = digest
        entry.save()
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(batch: int = 5000, *, after: int = 0, prev: str = GENESIS_HASH) -> ChainReport:
    """Walk the log in order (from entry `after`, whose hash is `prev`); name the first
    entry whose MAC or link does not hold."""
    checked = 0
    last_id = after
    keyed = False
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return ChainReport(checked=checked, broken_id=None)
        for entry in rows:
            if entry.at.tzinfo is None:
                entry.at = entry.at.replace(tzinfo=dt.UTC)
            if entry.prev_hash != prev:
                return ChainReport(checked, entry.id, "上一条哈希不匹配（记录被删除或插入）")
            if entry.key_id:
                keyed = True
            elif keyed:
                return ChainReport(
                    checked, entry.id, "未加密钥的记录出现在加密钥记录之后（日志疑被重写）"
                )
            expected = entry.compute_hash()
            if expected is None:
                return ChainReport(
                    checked, entry.id, f"签名密钥 {entry.key_id} 未配置，无法核验（请检查密钥设置）"
                )
            if not hmac.compare_digest(expected, entry.hash):
                return ChainReport(checked, entry.id, "内容与哈希不符（记录被篡改）")
            prev = entry.hash
            checked += 1
            last_id = entry.id
