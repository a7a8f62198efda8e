"""Review findings: who counts as an organisation's handler, and whose pool is whose.

Residents, party members and volunteers hold SELF memberships at communities and grids.
Such a membership must not make them the handler of a case dispatched to that community or
grid (sign, resolve, see it, be notified of it); only the unit's staff are.
"""

from __future__ import annotations

import pytest

from doorstep.accounts.models import Membership, Role
from doorstep.cases import services
from doorstep.cases.errors import NotAllowed
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.cases.workflow import R, S
from doorstep.core.testing import make_user
from doorstep.inbox.models import Notification

pytestmark = pytest.mark.django_db


def _filed_by_grid_worker(cw):
    return services.create_case(
        actor=cw.personas["grid_worker_a"],
        category=cw.repair,
        description="楼道堆放杂物",
        location=locate(building=cw.world.building_a),
    )


def _dispatched(cw):
    """A case dispatched to grid A (lead) with community 1 as co-handler."""
    p, w = cw.personas, cw.world
    case = _filed_by_grid_worker(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    return services.perform(
        case, "dispatch", actor=p["community_officer"], lead=w.grid_a, co=[w.community_1]
    )


def test_a_volunteer_of_the_grid_may_not_sign_for_the_grid(cw):
    p = cw.personas
    case = _dispatched(cw)
    facts = services.facts_for(case, p["volunteer"])  # volunteer: SELF membership at grid A
    assert R.ASSIGNEE not in facts.relations
    assert "sign" not in {m.code for m in services.moves_for(case, p["volunteer"])}
    with pytest.raises(NotAllowed):
        services.perform(case, "sign", actor=p["volunteer"])
    # The grid's own staff may.
    case = services.perform(case, "sign", actor=p["grid_worker_a"])
    assert case.status == S.SIGNED
    case = services.perform(case, "start", actor=p["grid_worker_a"])
    with pytest.raises(NotAllowed):
        services.perform(case, "resolve", actor=p["volunteer"], note="已清理")


def test_a_resident_of_the_community_does_not_see_or_hear_of_its_cases(
    cw, django_capture_on_commit_callbacks
):
    w = cw.world
    neighbour = make_user("neighbour", "居民邻居", ("resident", w.community_1))
    grid_resident = make_user("grid_res", "网格居民", ("resident", w.grid_a))
    with django_capture_on_commit_callbacks(execute=True):
        case = _dispatched(cw)
    for user in (neighbour, grid_resident):
        assert not Case.objects.visible_to(user).filter(pk=case.pk).exists()
        assert not Notification.objects.filter(user=user).exists()
    # The grid's staff were told.
    assert Notification.objects.filter(user=cw.personas["grid_worker_a"]).exists()


def test_a_party_member_living_in_community_2_takes_orders_in_community_1_only(cw):
    p, w = cw.personas, cw.world
    member = p["party_member"]  # party member at a central household in grid A (community 1)
    Membership.objects.create(
        user=member, organisation=w.community_2, role=Role.objects.get(code="resident")
    )
    case = services.create_case(
        actor=p["outsider"],
        category=cw.repair,
        description="二里庄小区门口路灯坏了",
        location=locate(building=w.building_c),
        accepted=True,
        owner=w.community_2,
    )
    case = services.perform(case, "publish", actor=p["street_officer"])
    assert case.status == S.POOL
    fresh = type(member).objects.get(pk=member.pk)
    assert not Case.objects.visible_to(fresh).filter(pk=case.pk).exists()
    with pytest.raises(NotAllowed):
        services.perform(case, "claim", actor=fresh)


def test_overdue_reminders_go_to_the_grid_staff_not_its_residents(
    cw, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from doorstep.cases import sweep

    w = cw.world
    grid_resident = make_user("grid_res", "网格居民", ("resident", w.grid_a))
    case = _dispatched(cw)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep.sweep()
    assert result.overdue == 1
    assert Notification.objects.filter(
        user=cw.personas["grid_worker_a"], kind="case_overdue"
    ).exists()
    assert not Notification.objects.filter(user=grid_resident).exists()
    assert not Notification.objects.filter(user=cw.personas["volunteer"]).exists()
