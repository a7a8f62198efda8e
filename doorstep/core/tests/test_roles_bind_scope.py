"""A permission counts only where the role that grants it is held: a user who is both an
admin (ALL scope, for their own duties) and a resident (who may view residents, of their
own household) reads residents as a resident, not across the admin's tree."""

from __future__ import annotations

import pytest

from doorstep.accounts.models import Membership, Role
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Household
from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.core.access import scope_of

pytestmark = pytest.mark.django_db


def _also(user, code, org):
    Membership.objects.create(user=user, role=Role.objects.get(code=code), organisation=org)
    for cached in ("_doorstep_held", "_doorstep_scopes", "_perm_cache"):
        user.__dict__.pop(cached, None)


def test_an_admin_who_is_also_a_resident_sees_only_their_household(world):
    user = world.personas["resident"]
    own = set(Resident.objects.filter(user=user).values_list("pk", flat=True))
    assert set(Resident.objects.visible_to(user).values_list("pk", flat=True)) == own
    _also(user, "system_admin", world.street)
    assert scope_of(user).everything  # the admin duty still spans the tree
    assert set(Resident.objects.visible_to(user).values_list("pk", flat=True)) == own
    assert Resident.objects.count() > len(own)
    homes = Household.objects.visible_to(user)
    assert set(homes.values_list("pk", flat=True)) == {Resident.objects.get(user=user).household_id}


def test_an_admin_who_is_also_a_resident_sees_only_the_cases_they_filed(cw):
    user = cw.personas["resident"]
    where = locate(building=cw.world.building_a)
    mine = cases.create_case(
        actor=user, category=cw.repair, description="楼道灯坏了", location=where
    )
    found = cases.create_case(
        actor=cw.personas["grid_worker_a"],
        category=cw.repair,
        description="巡查发现井盖松动",
        location=where,
    )
    _also(user, "security_admin", cw.world.street)
    visible = set(Case.objects.visible_to(user).values_list("pk", flat=True))
    assert mine.pk in visible and found.pk not in visible
    assert found.pk in set(
        Case.objects.visible_to(cw.personas["grid_worker_a"]).values_list("pk", flat=True)
    )


def test_a_grid_worker_who_lives_elsewhere_sees_the_grid_and_their_home(world):
    worker = world.personas["grid_worker_b"]
    planted = Resident.objects.get(user=world.personas["resident"])
    before = set(Resident.objects.visible_to(worker).values_list("pk", flat=True))
    assert planted.pk not in before
    planted.user = None
    planted.save(update_fields=["user"])
    planted.user = worker
    planted.save(update_fields=["user"])
    _also(worker, "resident", planted.household.grid)
    after = set(Resident.objects.visible_to(worker).values_list("pk", flat=True))
    assert after == before | {planted.pk}
