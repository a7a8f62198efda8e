import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from doorstep.atlas.people import services
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Unit
from doorstep.core.crypto import lookup_hash
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE


def test_numbers_are_encrypted_at_rest_and_found_by_keyed_hash(world):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_card, phone, tags FROM people_resident WHERE id = %s", [world.planted.pk]
        )
        raw_id, raw_phone, raw_tags = cursor.fetchone()
    assert PLANTED_ID_CARD not in raw_id and PLANTED_PHONE not in raw_phone
    assert "elderly_alone" not in raw_tags
    assert Resident.objects.get(id_card_hash=lookup_hash(PLANTED_ID_CARD.lower())) == world.planted
    assert Resident.objects.get(pk=world.planted.pk).tags == ["elderly_alone"]


def test_create_derives_birth_date_and_gender_from_the_id(world):
    person = services.create_resident(
        household=world.household_b,
        name="陈静",
        residence_type="registered",
        id_card="110108199001010028",
        actor=world.personas["grid_worker_b"],
    )
    assert str(person.birth_date) == "1990-01-01" and person.gender == "F"
    assert person.grid == world.grid_b
    assert (
        AuditEntry.objects.filter(action=AuditAction.CREATE, target_id=str(person.pk)).count() == 1
    )


def test_a_duplicate_id_card_is_refused_and_nothing_is_written(world):
    before = Resident.objects.count()
    with pytest.raises(ValidationError, match="暂不能登记"):
        services.create_resident(
            household=world.household_b,
            name="冒名",
            residence_type="registered",
            id_card=PLANTED_ID_CARD,
            actor=None,
        )
    assert Resident.objects.count() == before


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("id_card", "110108199001010020", "校验位"),
        ("phone", "12345", "手机号"),
        ("tags", ["pirate"], "未知"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(world, field, value, message):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match=message):
        services.update_resident(resident=world.planted, actor=None, **{field: value})
    fresh = Resident.objects.get(pk=world.planted.pk)
    assert (fresh.id_card, fresh.phone, fresh.tags) == (
        PLANTED_ID_CARD,
        PLANTED_PHONE,
        ["elderly_alone"],
    )
    assert AuditEntry.objects.count() == before


def test_update_logs_field_names_never_values(world):
    services.update_resident(
        resident=world.planted,
        actor=world.personas["grid_worker_a"],
        phone="13600001111",
        tags=["elderly_alone", "disabled"],
    )
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("id")
    assert sorted(entry.detail["fields"]) == ["phone", "tags"]
    assert "13600001111" not in entry.payload()
    assert Resident.objects.get(pk=world.planted.pk).phone_last4 == "1111"


def test_moving_a_household_carries_its_residents_to_the_new_grid(world):
    unit_c = Unit.objects.get(building=world.building_c)
    services.move_household(
        household=world.household_a,
        building=world.building_c,
        unit_number=unit_c.number,
        room="909",
        actor=None,
    )
    world.household_a.refresh_from_db()
    assert world.household_a.grid == world.grid_c
    assert set(
        Resident.objects.filter(household=world.household_a).values_list("grid", flat=True)
    ) == {world.grid_c.pk}


def test_moving_onto_an_occupied_room_is_refused(world):
    unit_c = Unit.objects.get(building=world.building_c)
    with pytest.raises(ValidationError, match="已有住户"):
        services.move_household(
            household=world.household_a,
            building=world.building_c,
            unit_number=unit_c.number,
            room="301",
            actor=None,
        )
    world.household_a.refresh_from_db()
    assert world.household_a.grid == world.grid_a


def test_unmask_is_audited_and_denied_without_permission(world):
    values = services.unmask(resident=world.planted, actor=world.personas["grid_leader_a"])
    assert values == {
        "id_card": PLANTED_ID_CARD,
        "phone": PLANTED_PHONE,
        "birth_date": dt.date(1985, 3, 7),
    }
    assert AuditEntry.objects.filter(action=AuditAction.UNMASK, actor_name="leader_a").count() == 1
    with pytest.raises(PermissionDenied):
        services.unmask(resident=world.planted, actor=world.personas["grid_worker_a"])
    assert AuditEntry.objects.filter(action=AuditAction.UNMASK).count() == 1
