"""Teams and posts (认岗领责), household visits (党员联户), volunteer check-out, and the
figures the cockpit reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from doorstep.atlas.people.models import PartyMember
from doorstep.core.testing import make_user
from doorstep.nearby.activities import services as activities
from doorstep.nearby.activities.models import Activity
from doorstep.service import teams, visits
from doorstep.service.errors import Conflict, Denied, ServiceError
from doorstep.service.figures import figures
from doorstep.service.models import (
    PointAccount,
    PointLine,
    PostHolding,
    ServiceRecord,
    Team,
    Theme,
    Visit,
)

pytestmark = pytest.mark.django_db


def _volunteer(world):
    if "volunteer" not in world.personas:
        world.personas["volunteer"] = make_user(
            "volunteer", "志愿者小陈", ("volunteer", world.grid_a)
        )
    return world.personas["volunteer"]


def _balance(user) -> int:
    account = PointAccount.objects.filter(user=user).first()
    return account.balance if account else 0


def test_staff_build_a_team_with_a_theme_and_members(world):
    officer, member = world.personas["community_officer"], world.personas["party_member"]
    red = Theme.objects.get(code="red")
    team = teams.create_team(
        actor=officer, organisation=world.community_1, name="红舍管家服务队", theme=red,
        leader=member, skills="楼道清理、邻里调解",
    )  # fmt: skip
    assert team.members.get().kind == "party"
    volunteer = _volunteer(world)
    teams.join(team, volunteer, actor=volunteer)
    assert team.members.get(user=volunteer).kind == "volunteer"
    with pytest.raises(Conflict):
        teams.join(team, volunteer, actor=officer)
    with pytest.raises(Conflict, match="同名"):
        teams.create_team(actor=officer, organisation=world.community_1, name="红舍管家服务队")
    with pytest.raises(Denied):
        teams.create_team(actor=officer, organisation=world.community_2, name="越界队")
    with pytest.raises(Denied):
        teams.join(team, world.personas["resident"], actor=volunteer)
    assert Team.objects.count() == 1 and team.members.count() == 2
    # visible to the subtree and to members, not to another community
    assert list(Team.objects.visible_to(officer)) == [team]
    assert list(Team.objects.visible_to(volunteer)) == [team]
    other = make_user("c2", "二里庄干部", ("community_staff", world.community_2))
    assert not Team.objects.visible_to(other).exists()


def test_posts_are_applied_for_approved_within_slots_and_ended(world):
    officer = world.personas["community_officer"]
    post = teams.create_post(
        actor=officer, organisation=world.grid_a, title="楼道长", duties="每周巡查楼道", slots=1
    )
    member, volunteer = world.personas["party_member"], _volunteer(world)
    first = teams.apply(post, member)
    second = teams.apply(post, volunteer)
    with pytest.raises(Conflict):
        teams.apply(post, member)
    with pytest.raises(Denied):
        teams.approve(first, actor=member)
    teams.approve(first, actor=officer)
    with pytest.raises(Conflict, match="已满"):
        teams.approve(second, actor=officer)
    assert PostHolding.objects.get(pk=second.pk).status == "applied"
    teams.decline(second, actor=officer, reason="名额已满，请认领文明劝导岗")
    held = PostHolding.objects.get(pk=first.pk)
    assert held.status == "holding" and held.since == timezone.localdate()
    assert held.decided_by == officer
    # a month of duty earns the monthly points, once
    PostHolding.objects.filter(pk=first.pk).update(since=dt.date(2026, 1, 1))
    assert teams.grant_post_duty(dt.date(2026, 2, 1)) == 1
    assert teams.grant_post_duty(dt.date(2026, 2, 1)) == 0
    assert _balance(member) == 10
    teams.end(held, actor=member)
    assert PostHolding.objects.get(pk=first.pk).status == "ended"


def test_in_service_members_take_a_post_where_they_reported(world):
    post = teams.create_post(
        actor=world.personas["community_officer"], organisation=world.grid_a, title="文明劝导"
    )
    member = world.personas["party_member"]
    with pytest.raises(ServiceError, match="双报到"):
        teams.apply(post, member, dual_report=True)
    PartyMember.objects.filter(resident__user=member).update(
        in_service=True, reported_community=world.community_1, work_unit="某研究院"
    )
    holding = teams.apply(post, member, dual_report=True)
    assert holding.dual_report


def test_a_central_household_logs_visits_and_coverage_follows(world):
    member = world.personas["party_member"]  # keeps the central household; household_a linked
    today = timezone.localdate()
    assert visits.coverage(world.grid_a.path, since=today, until=today).share == 0.0
    with pytest.raises(Denied, match="联系户"):
        visits.log_visit(actor=member, household=world.household_b, visited_on=today, found="好")
    with pytest.raises(Denied, match="中心户"):
        visits.log_visit(
            actor=_volunteer(world), household=world.household_a, visited_on=today,
            found="好",
        )  # fmt: skip
    with pytest.raises(ServiceError, match="走访情况"):
        visits.log_visit(actor=member, household=world.household_a, visited_on=today, found=" ")
    assert not Visit.objects.exists()
    visits.log_visit(
        actor=member, household=world.household_a, visited_on=today, found="老人身体好，需修水管"
    )
    assert visits.coverage(world.grid_a.path, since=today, until=today).share == 1.0
    rows = visits.coverage_by(world.street.path, since=today, until=today, by="building")
    assert [(r["name"], r["linked"], r["visited"]) for r in rows] == [("静淑苑1号楼", 1, 1)]
    assert _balance(member) == 2


def test_a_volunteer_checked_in_and_out_earns_the_hours_between(
    world, django_capture_on_commit_callbacks
):
    officer = world.personas["community_officer"]
    volunteer = _volunteer(world)
    now = timezone.now()
    activity = activities.publish(
        actor=officer, title="楼道清理", kind="volunteer", organiser=world.community_1,
        territory=world.community_1, address="静淑苑", starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=4), capacity=10,
    )  # fmt: skip
    signup = activities.sign_up(activity, volunteer)
    assert signup.role == "volunteer"
    start = now - dt.timedelta(hours=2, minutes=30)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=3),
        signup_opens_at=start - dt.timedelta(days=1), signup_closes_at=start,
    )  # fmt: skip
    with pytest.raises(activities.ActivityConflict, match="尚未签到"):
        activities.check_out(activity, volunteer, by=officer)
    activities.check_in(activity, volunteer, by=officer)
    signup.refresh_from_db()
    type(signup).objects.filter(pk=signup.pk).update(checked_in_at=start)
    # The credit follows the check-out's commit (the consumer of the activities' log).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        activities.check_out(activity, volunteer, token=Activity.objects.get().checkin_token)
        assert not ServiceRecord.objects.exists()
    assert len(callbacks) == 1
    record = ServiceRecord.objects.get()
    assert record.source == "activity" and record.status == "verified"
    assert Decimal("2.4") < record.hours < Decimal("2.6")
    assert PointLine.objects.get(user=volunteer).rule == "activity_served"
    with pytest.raises(activities.ActivityConflict, match="已签退"):
        activities.check_out(activity, volunteer, by=officer)
    assert ServiceRecord.objects.count() == 1


def test_the_cockpit_figures_of_an_organisation(world):
    officer = world.personas["community_officer"]
    team = teams.create_team(actor=officer, organisation=world.grid_a, name="绿舍护苗队")
    teams.join(team, _volunteer(world), actor=officer)
    post = teams.create_post(actor=officer, organisation=world.grid_a, title="楼道长", slots=2)
    teams.approve(teams.apply(post, world.personas["party_member"]), actor=officer)
    today = timezone.localdate()
    visits.log_visit(
        actor=world.personas["party_member"], household=world.household_a, visited_on=today,
        found="一切正常",
    )  # fmt: skip
    f = figures(world.community_1, today - dt.timedelta(days=30), today)
    assert (f["teams"], f["members"], f["posts"], f["post_slots"], f["posts_filled"]) == (
        1, 1, 1, 2, 1,
    )  # fmt: skip
    assert (f["linked_households"], f["visited_households"], f["link_coverage"]) == (1, 1, 1.0)
    assert f["points_granted"] == 2
    assert figures(world.community_2, today, today)["teams"] == 0


def test_the_daily_task_grants_last_months_duty_once(world):
    from doorstep.service.tasks import grant_post_duty

    officer = world.personas["community_officer"]
    post = teams.create_post(actor=officer, organisation=world.grid_a, title="楼道长")
    holding = teams.approve(teams.apply(post, world.personas["party_member"]), actor=officer)
    PostHolding.objects.filter(pk=holding.pk).update(since=dt.date(2020, 1, 1))
    assert grant_post_duty.delay().get() == 1
    assert grant_post_duty.delay().get() == 0
    assert _balance(world.personas["party_member"]) == 10
