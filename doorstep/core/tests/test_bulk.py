"""core.bulk.insert stores what bulk_create would: the same rows, encrypted fields
encrypted, timestamps stamped, primary keys set — on PostgreSQL through COPY with ids from
the table's sequence, so rows made afterwards the ordinary way never collide."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from doorstep.atlas.people.models import Resident
from doorstep.atlas.people.services import create_resident
from doorstep.core import bulk
from doorstep.core.crypto import lookup_hash

pytestmark = pytest.mark.django_db

ID = "110108197703035319"


def _rows(world, n: int) -> list[Resident]:
    home = world.household_a
    return [
        Resident(
            household_id=home.pk,
            grid_id=home.grid_id,
            name=f"批量{i}",
            id_card=ID if i == 0 else "",
            id_card_hash=lookup_hash(ID) if i == 0 else None,
            phone=f"1380000{i:04d}",
            tags=["elderly"] if i % 2 else None,
            residence_type="registered",
        )
        for i in range(n)
    ]


def test_inserted_rows_read_back_as_written_with_their_keys(world):
    made = bulk.insert(Resident, _rows(world, 30))
    assert all(r.pk for r in made) and len({r.pk for r in made}) == 30
    stored = {r.pk: r for r in Resident.objects.filter(pk__in=[r.pk for r in made])}
    assert len(stored) == 30
    for r in made:
        s = stored[r.pk]
        assert (s.name, s.phone, s.tags, s.id_card) == (r.name, r.phone, r.tags, r.id_card)
        assert s.created_at is not None and s.updated_at is not None
    # Encrypted at rest: the raw column holds neither the number nor the phone.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_card, phone FROM people_resident WHERE id = %s", [made[0].pk])
        raw_id, raw_phone = cursor.fetchone()
    assert ID not in raw_id and "13800000000" not in raw_phone


def test_rows_made_afterwards_the_ordinary_way_take_new_keys(world):
    made = bulk.insert(Resident, _rows(world, 5))
    later = create_resident(
        household=world.household_a, name="后来者", residence_type="registered", actor=None
    )
    assert later.pk not in {r.pk for r in made}
    assert later.pk > max(r.pk for r in made)


def test_nothing_to_insert_writes_nothing(world):
    before = Resident.objects.count()
    assert bulk.insert(Resident, []) == []
    assert Resident.objects.count() == before


def test_values_of_another_type_are_prepared_by_their_field(world):
    """A value COPY could not send as it is (a number as text, a date as text) takes its
    field's own preparation, as bulk_create would give it, and reads back the same."""
    import datetime as dt

    row = _rows(world, 1)[0]
    row.household_id = str(world.household_a.pk)
    row.birth_date = "1977-03-03"
    row.note = 12345
    (made,) = bulk.insert(Resident, [row])
    stored = Resident.objects.get(pk=made.pk)
    assert stored.household_id == world.household_a.pk
    assert stored.birth_date == dt.date(1977, 3, 3)
    assert stored.note == "12345"


def test_each_value_is_what_its_field_would_prepare(world):
    """The shortcut for plain values sends exactly what the field's preparation would (on
    PostgreSQL: elsewhere insert() is bulk_create, which prepares every value itself)."""
    import datetime as dt

    if connection.vendor != "postgresql":
        assert bulk.insert(Resident, _rows(world, 1))[0].pk  # bulk_create's path
        return

    row = _rows(world, 1)[0]
    row.birth_date = dt.date(1977, 3, 3)
    fields = Resident._meta.concrete_fields
    for field in fields:
        if field.primary_key or getattr(field, "auto_now", False):
            continue
        if getattr(field, "auto_now_add", False) or "Encrypted" in type(field).__name__:
            continue  # stamped with the time, or encrypted with a fresh nonce: tested above
        expected = field.get_db_prep_save(field.pre_save(row, True), connection)
        assert bulk._preparer(field, timezone.now())(row) == expected, field.name
    row.user_id = world.personas["resident"].pk  # a one-to-one key given as a number
    user = Resident._meta.get_field("user")
    expected = user.get_db_prep_save(user.pre_save(row, True), connection)
    assert bulk._preparer(user, timezone.now())(row) == expected == row.user_id


def test_one_insert_stamps_its_rows_with_one_moment(world):
    """created_at and updated_at: on PostgreSQL the insert's one moment on every row
    (bulk_create, elsewhere, asks the clock per row), stored as the objects say, within
    the moments around the call."""
    before = timezone.now()
    made = bulk.insert(Resident, _rows(world, 3))
    after = timezone.now()
    stored = {r.pk: r for r in Resident.objects.filter(pk__in=[r.pk for r in made])}
    for r in made:
        assert before <= r.created_at <= after and before <= r.updated_at <= after
        assert (stored[r.pk].created_at, stored[r.pk].updated_at) == (r.created_at, r.updated_at)
    if connection.vendor == "postgresql":
        assert len({(r.created_at, r.updated_at) for r in made}) == 1
        assert made[0].created_at == made[0].updated_at
