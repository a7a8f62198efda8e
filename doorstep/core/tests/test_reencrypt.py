"""manage.py reencrypt: after a run under `new,old` the old field key and the old lookup
key can be dropped, and every personal-data value still reads and is still found."""

from __future__ import annotations

import base64
import hashlib
import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from doorstep.atlas.people.models import Resident
from doorstep.cases import services as case_services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.core import crypto
from doorstep.core.crypto import lookup_hash
from doorstep.core.management.commands.reencrypt import HASHES, build_plans, encrypted_fields
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE
from doorstep.nearby.sites.models import ServiceSite

OLD_LOOKUP = "old-lookup-key-for-tests"
NEW_LOOKUP = "new-lookup-key-for-tests"
ENCRYPTED = ("id_card", "phone", "tags")


@pytest.fixture(autouse=True)
def _fresh_keys():
    crypto._keys.cache_clear()
    yield
    crypto._keys.cache_clear()  # the next test reads the restored settings


def _use(settings, field_key: str, lookup_key: str) -> None:
    settings.FIELD_ENCRYPTION_KEY = field_key
    settings.FIELD_LOOKUP_KEY = lookup_key
    crypto._keys.cache_clear()


def _run(*args: str) -> str:
    out = StringIO()
    call_command("reencrypt", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _raw(pk: int) -> dict[str, str | None]:
    """The stored ciphertexts and hashes, read with plain SQL (no field decrypts them)."""
    table = connection.ops.quote_name(Resident._meta.db_table)
    columns = [*ENCRYPTED, "id_card_hash", "phone_hash"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return dict(zip(columns, row, strict=True))


def _plain(pk: int) -> tuple[str, str, list[str] | None]:
    r = Resident._base_manager.get(pk=pk)
    return r.id_card, r.phone, r.tags


def _opens(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@pytest.fixture
def old_world(world, settings):
    """The persona world with every value under OLD (a single key) and every hash under
    OLD_LOOKUP. The world was built under the test settings' key, so it is moved onto OLD
    first (which is itself a rotation)."""
    built_under = (
        settings.FIELD_ENCRYPTION_KEY
        or base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest()).decode()
    )
    old = Fernet.generate_key().decode()
    _use(settings, f"{old},{built_under}", OLD_LOOKUP)
    _run()
    _use(settings, old, OLD_LOOKUP)
    residents = list(Resident._base_manager.order_by("pk").values_list("pk", flat=True))
    assert len(residents) >= 4
    for pk in residents:
        for name, token in _raw(pk).items():
            if name in ENCRYPTED and token:
                assert _opens(old, token)
    assert Resident.objects.get(id_card_hash=lookup_hash(PLANTED_ID_CARD)) == world.planted
    return world, old, residents


def test_after_a_run_the_old_keys_can_be_dropped(old_world, settings):
    world, old, residents = old_world
    values = {pk: _plain(pk) for pk in residents}
    raw_before = {pk: _raw(pk) for pk in residents}
    assert values[world.planted.pk] == (PLANTED_ID_CARD, PLANTED_PHONE, ["elderly_alone"])

    new = Fernet.generate_key().decode()
    _use(settings, f"{new},{old}", NEW_LOOKUP)
    out = _run()
    assert "people.Resident.id_card" in out and "合计" in out

    _use(settings, new, NEW_LOOKUP)  # the old field key and the old lookup key are gone
    rotated = 0
    for pk in residents:
        assert _plain(pk) == values[pk]
        after = _raw(pk)
        for name in ENCRYPTED:
            token = raw_before[pk][name]
            if not token:
                assert after[name] == token
                continue
            assert after[name] != token
            assert _opens(new, after[name]) and not _opens(old, after[name])
            rotated += 1
    assert rotated >= 8

    planted = world.planted
    assert _raw(planted.pk)["id_card_hash"] != raw_before[planted.pk]["id_card_hash"]
    assert Resident.objects.get(id_card_hash=lookup_hash(PLANTED_ID_CARD)) == planted
    assert Resident.objects.get(phone_hash=lookup_hash(PLANTED_PHONE)) == planted
    assert Resident.objects.get(id_card_hash=lookup_hash(world.resident_b.id_card)).pk == (
        world.resident_b.pk
    )
    # No phone: the hash stays empty, no ID: it stays NULL.
    assert _raw(world.resident_c.pk)["phone_hash"] == ""
    for pk in residents:
        id_card, phone, _ = values[pk]
        raw = _raw(pk)
        assert raw["id_card_hash"] == (lookup_hash(id_card) if id_card else None)
        assert raw["phone_hash"] == (lookup_hash(phone) if phone else "")


def test_a_second_run_is_harmless(old_world, settings):
    world, old, residents = old_world
    values = {pk: _plain(pk) for pk in residents}
    new = Fernet.generate_key().decode()
    _use(settings, f"{new},{old}", NEW_LOOKUP)
    _run()
    first = {pk: _raw(pk) for pk in residents}
    out = _run("--batch", "2")  # several batches this time
    assert "其中 0 个有变化" in out  # the hashes were already right
    for pk in residents:
        assert _plain(pk) == values[pk]
        again = _raw(pk)
        assert again["id_card_hash"] == first[pk]["id_card_hash"]
        assert again["phone_hash"] == first[pk]["phone_hash"]
        if first[pk]["id_card"]:
            assert again["id_card"] != first[pk]["id_card"]  # encrypted afresh
            assert _opens(new, again["id_card"])


def test_without_a_run_dropping_the_old_key_loses_the_data(old_world, settings):
    world, old, residents = old_world
    new = Fernet.generate_key().decode()
    _use(settings, new, NEW_LOOKUP)
    with pytest.raises(ValueError):
        _plain(world.planted.pk)
    assert not Resident.objects.filter(id_card_hash=lookup_hash(PLANTED_ID_CARD)).exists()


def test_dry_run_writes_nothing(old_world, settings):
    world, old, residents = old_world
    raw_before = {pk: _raw(pk) for pk in residents}
    audits = AuditEntry.objects.count()
    _use(settings, f"{Fernet.generate_key().decode()},{old}", NEW_LOOKUP)
    out = _run("--dry-run")
    assert "试运行" in out
    with_id = sum(1 for pk in residents if raw_before[pk]["id_card"])
    assert f"people.Resident.id_card（居民·身份证号）：将重新加密 {with_id} 行" in out
    assert {pk: _raw(pk) for pk in residents} == raw_before
    assert AuditEntry.objects.count() == audits


def test_the_audit_entry_holds_counts_only(old_world, settings):
    world, old, residents = old_world
    new = Fernet.generate_key().decode()
    _use(settings, f"{new},{old}", NEW_LOOKUP)
    _run()
    entry = AuditEntry.objects.filter(target_type="crypto").order_by("-id").first()
    assert entry is not None
    assert entry.action == AuditAction.UPDATE
    assert entry.actor_id is None and entry.actor_name == "manage.py reencrypt"
    detail = entry.detail
    with_id = sum(1 for pk in residents if Resident._base_manager.get(pk=pk).id_card)
    assert detail["reencrypted"]["people.Resident.id_card"] == with_id
    assert detail["hashes_recomputed"]["people.Resident.id_card_hash"] == with_id
    assert detail["total_reencrypted"] >= 8
    assert detail["unreadable"] == {}
    text = json.dumps(detail, ensure_ascii=False)
    for secret in (PLANTED_ID_CARD, PLANTED_PHONE, "elderly_alone", new, old, NEW_LOOKUP):
        assert secret not in text
    assert "gAAAA" not in text  # no ciphertext either
    assert lookup_hash(PLANTED_ID_CARD) not in text


def test_a_run_that_dies_midway_leaves_every_row_readable(old_world, settings, monkeypatch):
    world, old, residents = old_world
    values = {pk: _plain(pk) for pk in residents}
    new = Fernet.generate_key().decode()
    _use(settings, f"{new},{old}", NEW_LOOKUP)
    real_encrypt = crypto.encrypt
    victim = world.resident_b.id_card

    def dying_encrypt(value: str) -> str:
        if value == victim:
            raise RuntimeError("power cut")
        return real_encrypt(value)

    monkeypatch.setattr(crypto, "encrypt", dying_encrypt)
    with pytest.raises(RuntimeError):
        _run("--batch", "1")
    monkeypatch.setattr(crypto, "encrypt", real_encrypt)

    # The batches before it committed, its own rolled back: all readable with new,old.
    assert world.planted.pk < world.resident_b.pk
    assert _opens(new, _raw(world.planted.pk)["id_card"])
    assert _opens(old, _raw(world.resident_b.pk)["id_card"])
    for pk in residents:
        assert _plain(pk) == values[pk]

    _run()  # run again: done
    _use(settings, new, NEW_LOOKUP)
    for pk in residents:
        assert _plain(pk) == values[pk]
    assert Resident.objects.get(id_card_hash=lookup_hash(victim)) == world.resident_b


def test_a_value_no_key_reads_is_left_alone_and_reported(old_world, settings):
    world, old, residents = old_world
    stray = Fernet(Fernet.generate_key()).encrypt(b"110108199001010010").decode()
    table = connection.ops.quote_name(Resident._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET id_card = %s WHERE id = %s", [stray, world.resident_c.pk]
        )
    hash_before = _raw(world.resident_c.pk)["id_card_hash"]
    new = Fernet.generate_key().decode()
    _use(settings, f"{new},{old}", NEW_LOOKUP)
    with pytest.raises(CommandError, match="无法用当前配置的任何字段密钥解密"):
        _run()
    assert _raw(world.resident_c.pk)["id_card"] == stray
    assert _raw(world.resident_c.pk)["id_card_hash"] == hash_before
    assert _opens(new, _raw(world.planted.pk)["id_card"])  # the rest was done
    entry = AuditEntry.objects.filter(target_type="crypto").order_by("-id").first()
    assert entry is not None
    assert entry.detail["unreadable"] == {"people.Resident.id_card": 1}


def test_other_models_are_rotated_too(old_world, cw, settings):
    world, old, _ = old_world
    made = case_services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=world.building_a),
        contact_name="王芳",
        contact_phone=PLANTED_PHONE,
    )
    new = Fernet.generate_key().decode()
    _use(settings, f"{new},{old}", NEW_LOOKUP)
    out = _run()
    assert "cases.Case.contact_phone（工单·联系电话）：已重新加密 1 行" in out
    _use(settings, new, NEW_LOOKUP)
    table = connection.ops.quote_name(Case._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT contact_name, contact_phone FROM {table} WHERE id = %s", [made.pk])
        name, phone = cursor.fetchone()
    assert _opens(new, name) and _opens(new, phone)
    case = Case._base_manager.get(pk=made.pk)
    assert (case.contact_name, case.contact_phone) == ("王芳", PLANTED_PHONE)


def test_every_encrypted_field_and_hash_is_covered():
    found = set(encrypted_fields())
    expected = {
        Resident._meta.get_field("id_card"),
        Resident._meta.get_field("phone"),
        Resident._meta.get_field("tags"),
        Case._meta.get_field("contact_name"),
        Case._meta.get_field("contact_phone"),
        ServiceSite._meta.get_field("contact_phone"),
    }
    assert expected <= found
    assert all(isinstance(f, crypto.EncryptedTextField | crypto.EncryptedJSONField) for f in found)
    assert len(found) == len(encrypted_fields())  # each once
    assert {(s.hash_field, s.source_field) for s in HASHES} >= {
        ("id_card_hash", "id_card"),
        ("phone_hash", "phone"),
    }
    build_plans()  # the registry names fields that exist


def test_batch_must_be_positive(db):
    with pytest.raises(CommandError):
        _run("--batch", "0")
