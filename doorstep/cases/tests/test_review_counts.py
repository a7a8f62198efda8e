"""Review: counters and clocks on the paths the brief named (each counted once)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from doorstep.cases import rollups, services
from doorstep.cases.errors import Conflict, NotAllowed
from doorstep.cases.locating import locate
from doorstep.cases.rates import rates_for

pytestmark = pytest.mark.django_db


def _case(cw):
    return services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=cw.world.building_a),
    )


def test_received_once_through_supplement_and_escalation(cw):
    p = cw.personas
    before = rates_for(cw.world.street)["received"]
    case = _case(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "request_info", actor=p["community_officer"], note="请补充照片")
    case = services.perform(case, "supplement", actor=p["resident"], note="已补充")
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "escalate", actor=p["community_officer"], note="需街道协调")
    assert rates_for(cw.world.street)["received"] == before + 1
    assert rollups.stored() == rollups.recount_from_events()


def test_report_in_counts_once_and_cannot_repeat(cw):
    p = cw.personas
    case = services.perform(_case(cw), "accept", actor=p["community_officer"])
    case = services.perform(case, "whistle", actor=p["street_officer"], departments=[cw.dept_city])
    case = services.perform(case, "report_in", actor=p["liaison_city"])
    with pytest.raises(NotAllowed):
        services.perform(case, "report_in", actor=p["liaison_city"])
    assert rollups.stored() == rollups.recount_from_events()


def test_extension_while_suspended_keeps_the_time_left(cw):
    p = cw.personas
    case = services.perform(_case(cw), "accept", actor=p["community_officer"])
    case = services.perform(case, "dispatch", actor=p["community_officer"], lead=p["party_member"])
    case = services.perform(case, "sign", actor=p["party_member"])
    case = services.perform(case, "start", actor=p["party_member"])
    case = services.perform(
        case, "request_extension", actor=p["party_member"], note="等配件", amount=2, unit="hours"
    )
    case = services.perform(case, "suspend", actor=p["party_member"], note="等物业")
    paused_due = case.due_at
    case = services.perform(case, "approve_extension", actor=p["community_officer"])
    assert case.paused_at is not None and case.due_at > paused_due
    case = services.perform(case, "resume", actor=p["party_member"])
    assert case.paused_at is None and case.due_at >= paused_due
    assert case.due_at > timezone.now()
    with pytest.raises(Conflict):  # resume without a suspend: not a move from 办理中
        services.perform(case, "resume", actor=p["party_member"])
