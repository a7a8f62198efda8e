from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from doorstep.core import audit, auditkeys, checkpoints
from doorstep.core.audit import verify_chain
from doorstep.core.models import AuditAction, AuditEntry


def _three_entries() -> list[AuditEntry]:
    return [
        audit.record(
            actor=None, actor_name=f"user{i}", action=AuditAction.LOGIN_FAILED, ip="10.0.0.1"
        )
        for i in range(3)
    ]


def _tamper(sql: str, params: list) -> None:
    """What an attacker with database rights would do: lift the guard, change a row.

    DDL is transactional on both databases, so the guard returns when the test rolls back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_update")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_update")
        else:
            cursor.execute("DROP TRIGGER core_auditentry_no_update")
            cursor.execute("DROP TRIGGER core_auditentry_no_delete")
            cursor.execute(sql, params)


def test_an_untouched_chain_verifies(db, capsys):
    _three_entries()
    call_command("verify_audit")
    assert "共 3 条" in capsys.readouterr().out
    assert verify_chain().ok


def test_each_entry_links_to_the_one_before(db):
    a, b, c = _three_entries()
    assert b.prev_hash == a.hash and c.prev_hash == b.hash
    assert len({a.hash, b.hash, c.hash}) == 3


def test_tampering_with_one_row_names_that_row(db):
    _, middle, _ = _three_entries()
    _tamper("UPDATE core_auditentry SET actor_name = %s WHERE id = %s", ["someone-else", middle.id])
    report = verify_chain()
    assert report.broken_id == middle.id
    assert report.checked == 1
    with pytest.raises(CommandError, match=f"第 {middle.id} 条"):
        call_command("verify_audit")


def test_deleting_a_row_breaks_the_chain_at_the_next_one(db):
    _, middle, last = _three_entries()
    _tamper("DELETE FROM core_auditentry WHERE id = %s", [middle.id])
    assert verify_chain().broken_id == last.id


def test_the_database_refuses_updates_and_deletes(db):
    (entry, *_) = _three_entries()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_name="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.actor_name == "user0"
    assert AuditEntry.objects.count() == 3


def test_the_model_refuses_to_save_twice_or_delete(db):
    (entry, *_) = _three_entries()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", [1, 2])
def test_committed_entries_are_guarded_too(round_):
    (entry, *_) = _three_entries()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.count() == 3  # the flush after round 1 left nothing behind


# --- a log that proves itself (trust probe, finding 4) ------------------------------------
# Before, the hash was an unkeyed SHA-256: anyone who could write the table could edit a row
# and re-hash the rest, and cutting the tail was not noticed. Now the chain is an HMAC under
# a key outside the database, and signed checkpoints outside it fix the head.


def _rewrite(rows: list[tuple[int, dict]]) -> None:
    """Several row updates with the guard lifted once (an attacker with table rights)."""
    sets = []
    for pk, values in rows:
        cols = ", ".join(f"{k} = %s" for k in values)
        sets.append((f"UPDATE core_auditentry SET {cols} WHERE id = %s", [*values.values(), pk]))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_update")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")
        for sql, params in sets:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_update")


def _rehash_from(first_id: int, *, edit: dict, keyed: bool) -> None:
    """Edit entry `first_id` and recompute every hash from there on, as someone without
    the key would: a plain SHA-256 (keyed=False also drops the key ids, posing as entries
    from before the chain was keyed), or an HMAC under a key of their own."""
    import hashlib
    import hmac as hmac_

    entries = list(AuditEntry.objects.order_by("id"))
    prev = None
    updates = []
    for entry in entries:
        if entry.id < first_id:
            prev = entry.hash
            continue
        if entry.id == first_id:
            for k, v in edit.items():
                setattr(entry, k, v)
        entry.prev_hash = prev or entry.prev_hash
        if not keyed:
            entry.key_id = ""
        payload = entry.payload().encode()
        entry.hash = (
            hmac_.new(b"a key of my own", payload, hashlib.sha256).hexdigest()
            if keyed
            else hashlib.sha256(payload).hexdigest()
        )
        prev = entry.hash
        updates.append(
            (
                entry.id,
                {**edit, "prev_hash": entry.prev_hash, "hash": entry.hash, "key_id": entry.key_id}
                if entry.id == first_id
                else {"prev_hash": entry.prev_hash, "hash": entry.hash, "key_id": entry.key_id},
            )
        )
    _rewrite(updates)


def _problems() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    return str(caught.value)


def test_entries_are_keyed_and_checkpoints_verify(db, capsys, settings):
    entries = _three_entries()
    assert {e.key_id for e in entries} == {auditkeys.writing_key_id()}
    assert all(len(e.hash) == 64 for e in entries)
    call_command("audit_checkpoint")
    audit.record(actor=None, actor_name="after", action=AuditAction.LOGIN_FAILED)
    call_command("audit_checkpoint")
    capsys.readouterr()
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "共 4 条" in out and "2 个签名检查点相符" in out
    points = checkpoints.read()
    assert [p["last_id"] for p in points] == [entries[-1].id, entries[-1].id + 1]


def test_edit_and_rehash_without_the_key_is_named(db):
    _, middle, _ = _three_entries()
    _rehash_from(middle.id, edit={"actor_name": "someone-else"}, keyed=True)
    report = verify_chain()
    assert (report.broken_id, report.reason) == (middle.id, "内容与哈希不符（记录被篡改）")
    assert f"第 {middle.id} 条" in _problems()


def test_a_chain_rebuilt_as_pre_key_entries_is_named_by_the_checkpoint(db):
    first, middle, last = _three_entries()
    call_command("audit_checkpoint")
    # Posing as a chain from before the key: every entry plain SHA-256, no key ids.
    _rehash_from(first.id, edit={}, keyed=False)
    _rehash_from(middle.id, edit={"actor_name": "someone-else"}, keyed=False)
    assert verify_chain().ok  # the chain alone cannot tell
    assert f"第 {last.id} 条与检查点不符（日志被改写后重算了哈希）" in _problems()


def test_unkeyed_entries_after_keyed_ones_are_named(db):
    _, middle, _ = _three_entries()
    _rehash_from(middle.id, edit={"actor_name": "someone-else"}, keyed=False)
    report = verify_chain()
    assert report.broken_id == middle.id and "未加密钥" in report.reason


def test_a_cut_tail_is_named(db):
    first, middle, last = _three_entries()
    call_command("audit_checkpoint")
    _tamper("DELETE FROM core_auditentry WHERE id >= %s", [middle.id])
    assert verify_chain().ok  # what is left still links up
    assert f"日志尾部被截断：检查点记到第 {last.id} 条，数据库只到第 {first.id} 条" in _problems()


def test_a_deleted_middle_row_is_named(db):
    first, middle, last = _three_entries()
    call_command("audit_checkpoint")
    _tamper("DELETE FROM core_auditentry WHERE id = %s", [middle.id])
    problems = _problems()
    assert f"第 {last.id} 条处断裂：上一条哈希不匹配（记录被删除或插入）" in problems
    assert f"第 {last.id} 条及以前应有 3 条，现有 2 条（记录被删除）" in problems


def test_an_edited_checkpoint_fails_its_signature(db, settings):
    _three_entries()
    call_command("audit_checkpoint")
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    point = json.loads(path.read_text())
    point["count"] = 2
    path.write_text(json.dumps(point) + "\n")
    assert "检查点签名无效" in _problems()


def test_no_checkpoint_is_written_over_a_broken_chain(db, settings):
    _, middle, _ = _three_entries()
    _tamper("UPDATE core_auditentry SET actor_name = %s WHERE id = %s", ["x", middle.id])
    with pytest.raises(CommandError, match="未写检查点"):
        call_command("audit_checkpoint")
    assert not Path(settings.AUDIT_CHECKPOINT_FILE).exists()


def test_rotating_the_mac_key_keeps_old_entries_verifiable(db, settings):
    settings.AUDIT_MAC_KEY = "old-key-0123456789"
    auditkeys.clear_caches()
    try:
        old = _three_entries()
        settings.AUDIT_MAC_KEY = "new-key-9876543210,old-key-0123456789"
        auditkeys.clear_caches()
        new = audit.record(actor=None, actor_name="rotated", action=AuditAction.LOGIN_FAILED)
        assert new.key_id != old[0].key_id
        assert verify_chain().ok
        settings.AUDIT_MAC_KEY = "new-key-9876543210"  # the old key dropped too soon
        auditkeys.clear_caches()
        report = verify_chain()
        assert report.broken_id == old[0].id and "未配置" in report.reason
    finally:
        settings.AUDIT_MAC_KEY = ""
        auditkeys.clear_caches()
