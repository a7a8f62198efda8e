from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from doorstep.core import audit
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
