"""A confirmed match carried out as a case or an activity, with its deadline; the match
and the need follow the case's and the activity's event logs (cogov.follow), not signals.
The consumers run here as the commits would start them (these tests never commit)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.cogov import follow, matching, services
from doorstep.cogov.errors import CogovError, Conflict, NotAllowed
from doorstep.cogov.models import Match, Need
from doorstep.core.testing import make_user
from doorstep.nearby.activities import services as activities

TODAY = timezone.localdate()


def _confirmed(co):
    resource = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="夜间义诊", kind="service",
        fields=["new_workers"], capacity="40", unit="hours",
    )  # fmt: skip
    need = services.record_need(
        actor=co.p["community_officer"], node=co.world.grid_a, title="骑手夜间就医",
        field="new_workers", wants="service", building=co.world.building_a,
    )  # fmt: skip
    match = matching.accept(
        actor=co.p["community_officer"], need=need, resource=resource, amount="6"
    )
    return matching.confirm(actor=co.p["liaison_904"], match=match)


def test_a_match_filed_as_a_case_is_done_when_the_case_closes_and_back_when_reopened(co, cw):
    p = cw.personas
    match = _confirmed(co)
    case = follow.as_case(
        actor=p["community_officer"], match=match, category=cw.repair,
        deadline=TODAY + dt.timedelta(days=7), note="请904医院夜间门诊配合",
    )  # fmt: skip
    assert case.due_at.date() == TODAY + dt.timedelta(days=7)
    assert "由904医院提供“夜间义诊”6小时" in case.description
    assert Match.objects.get(pk=match.pk).case == case
    with pytest.raises(Conflict, match="已转为"):  # once
        follow.as_case(
            actor=p["community_officer"], match=match, category=cw.repair, deadline=TODAY
        )
    # the case is worked and closed; the consumer moves the match and the need
    for move, who, extra in (
        ("publish", "community_officer", {}),
        ("claim", "party_member", {}),
        ("start", "party_member", {}),
        ("resolve", "party_member", {"note": "已联系义诊"}),
        ("verify", "community_officer", {}),
    ):
        case = cases.perform(case, move, actor=p[who], **extra)
    follow.follow_cases()
    assert Match.objects.get(pk=match.pk).status == "confirmed"  # not closed yet
    case = cases.perform(
        case, "rate", actor=p["community_officer"], rating="satisfied", solved=True
    )
    follow.follow_cases()
    assert Match.objects.get(pk=match.pk).status == "done"
    assert Need.objects.get(pk=match.need_id).status == "met"
    follow.follow_cases()  # handled once
    # found unsolved on a return visit: the need is back on the list with its match
    cases.perform(case, "reopen_closed", actor=p["community_officer"], note="回访发现未解决")
    follow.follow_cases()
    assert Match.objects.get(pk=match.pk).status == "confirmed"
    assert Need.objects.get(pk=match.need_id).status == "matched"


def test_a_match_published_as_an_activity_is_done_when_a_volunteer_checks_out(co):
    match = _confirmed(co)
    liaison = co.p["liaison_904"]
    start = timezone.now() + dt.timedelta(days=2)
    activity = follow.as_activity(
        actor=liaison, match=match, starts_at=start, ends_at=start + dt.timedelta(hours=3),
        address="静淑苑1号楼前广场", capacity="10",
    )  # fmt: skip
    assert activity.organiser == co.hospital and activity.territory == co.world.grid_a
    doctor = make_user("doctor", "义诊医生")
    activities.sign_up(activity, doctor, as_volunteer=True)
    with time_machine.travel(start + dt.timedelta(minutes=5)):
        activities.check_in(activity, doctor, by=liaison)
    follow.follow_activities()
    assert Match.objects.get(pk=match.pk).status == "confirmed"
    with time_machine.travel(start + dt.timedelta(hours=2)):
        activities.check_out(activity, doctor, by=liaison)
    follow.follow_activities()
    assert Match.objects.get(pk=match.pk).status == "done"
    assert Need.objects.get(pk=match.need_id).status == "met"


def test_carrying_out_a_match_refuses_bad_input_and_the_wrong_people(co, cw):
    p = cw.personas
    match = _confirmed(co)
    staff = p["community_officer"]
    with pytest.raises(CogovError, match="完成期限不能早于今天"):
        follow.as_case(
            actor=staff, match=match, category=cw.repair, deadline=TODAY - dt.timedelta(days=1)
        )
    with pytest.raises(CogovError, match="工单分类"):
        follow.as_case(actor=staff, match=match, category=None, deadline=TODAY)
    with pytest.raises(NotAllowed):  # another grid's worker
        follow.as_case(actor=p["grid_worker_b"], match=match, category=cw.repair, deadline=TODAY)
    with pytest.raises(NotAllowed):  # staff do not publish the unit's activity for it
        follow.as_activity(
            actor=staff, match=match, starts_at=timezone.now() + dt.timedelta(days=1),
            ends_at=timezone.now() + dt.timedelta(days=1, hours=2), address="广场", capacity=5,
        )  # fmt: skip
    with pytest.raises(CogovError, match="结束时间应晚于开始时间"):
        later = timezone.now() + dt.timedelta(days=1)
        follow.as_activity(
            actor=co.p["liaison_904"], match=match, starts_at=later, ends_at=later,
            address="广场", capacity=5,
        )  # fmt: skip
    fresh = Match.objects.get(pk=match.pk)
    assert fresh.case is None and fresh.activity is None and fresh.status == "confirmed"
