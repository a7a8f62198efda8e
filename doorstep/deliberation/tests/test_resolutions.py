"""决议: published from a passed owners' vote or an accepted topic, in notice for a set
period with objections answered on record, then carried out as a 协商式治理项目, a case or
a need — and marked done when that ends, read from the lower domains' event logs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from doorstep.cogov import projects
from doorstep.cogov.models import Project, ProjectKind
from doorstep.deliberation import ballots, follow, resolutions, topics
from doorstep.deliberation.errors import Conflict, DeliberationError, NotAllowed
from doorstep.deliberation.models import Objection, Resolution, TopicStatus

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _passed_ballot(world, estate):
    officer = world.personas["community_officer"]
    ballot = ballots.draw_up(
        actor=officer, compound=estate.compound, title="5号楼加装电梯",
        question="是否同意5号楼加装电梯并使用维修资金？", matter="major",
        opens_at=NOW - dt.timedelta(hours=1), closes_at=NOW + dt.timedelta(days=7),
    )  # fmt: skip
    ballot = ballots.open_ballot(actor=officer, ballot=ballot)
    for login, room in (("owner_wang", "101"), ("owner_chen", "104"), ("proxy", "105"),
                        ("owner_zhou", "106")):  # fmt: skip
        ballots.cast(actor=estate.people[login], ballot=ballot, household=estate.parts[room],
                     choice_="yes")  # fmt: skip
    with time_machine.travel(ballot.closes_at + dt.timedelta(minutes=1)):
        closed = ballots.close_ballot(actor=officer, ballot=ballot)
    assert closed.passed
    return closed


def _accepted_topic(world, estate):
    topic = topics.raise_topic(actor=estate.people["owner_chen"], title="5号楼加装电梯")
    return topics.accept(actor=world.personas["community_officer"], topic=topic)


def _publish(world, estate, **kw):
    return resolutions.publish(
        actor=world.personas["community_officer"],
        title="5号楼加装电梯",
        text_="经业主共同决定，同意5号楼加装电梯，使用专项维修资金。",
        **kw,
    )


def test_a_passed_vote_is_published_objected_to_answered_and_started_as_a_project(world, estate):
    officer, street = world.personas["community_officer"], world.personas["street_officer"]
    topic = _accepted_topic(world, estate)
    resolution = _publish(world, estate, topic=topic, ballot=_passed_ballot(world, estate))
    assert resolution.node == world.community_1
    assert resolution.notice_ends - resolution.published_at == dt.timedelta(days=7)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED
    assert resolutions.state_of(resolution) == "公示中"
    # in notice: a neighbour objects, nothing can be carried out yet
    objection = resolutions.object_to(
        actor=estate.people["tenant"], resolution=resolution, text_="低层住户采光受影响怎么办？"
    )
    with pytest.raises(DeliberationError, match="公示期"):
        resolutions.start_project(
            actor=officer, resolution=resolution, starts_on="2027-01-01", ends_on="2027-06-30"
        )
    after = resolution.notice_ends + dt.timedelta(minutes=1)
    with time_machine.travel(after):
        with pytest.raises(DeliberationError, match="异议未答复"):
            resolutions.start_project(
                actor=officer, resolution=resolution, starts_on="2027-01-01",
                ends_on="2027-06-30",
            )  # fmt: skip
        resolutions.answer(
            actor=officer, objection=objection, text_="电梯井道采用玻璃幕墙，设计已通过日照分析。"
        )
        assert resolutions.state_of(resolution) == "待落实"
        resolutions.start_project(
            actor=officer, resolution=resolution, starts_on="2027-01-01", ends_on="2027-06-30"
        )
    resolution.refresh_from_db()
    project = resolution.project
    assert (project.kind, project.node, project.status) == (
        ProjectKind.CONSULTATIVE, world.community_1, "proposed",
    )  # fmt: skip
    assert "依据决议“5号楼加装电梯”" in project.summary
    assert resolutions.state_of(resolution) == "落实中"
    with pytest.raises(Conflict):  # carried out once
        resolutions.start_project(
            actor=officer, resolution=resolution, starts_on="2027-01-01", ends_on="2027-06-30"
        )
    assert Project.objects.count() == 1
    # the project runs its course; the resolution learns it from the project's event log
    projects.add_budget_line(actor=officer, project=project, item="电梯", amount="600000",
                             source="共治基金")  # fmt: skip
    for code, who in (("submit", officer), ("approve", street), ("start", officer),
                      ("finish", officer)):  # fmt: skip
        projects.perform(project, code, actor=who)
    follow.follow_projects()
    resolution.refresh_from_db()
    assert resolution.done_at is None
    projects.perform(project, "pass", actor=street)
    follow.follow_projects()
    follow.follow_projects()  # idempotent
    resolution.refresh_from_db()
    assert resolution.done_at is not None and resolutions.state_of(resolution) == "已办结"


def test_objections_only_by_neighbours_in_notice_and_answered_once(world, estate):
    officer = world.personas["community_officer"]
    resolution = _publish(world, estate, topic=_accepted_topic(world, estate), notice_days="3")
    with pytest.raises(NotAllowed):
        resolutions.object_to(actor=world.personas["outsider"], resolution=resolution, text_="反对")
    objection = resolutions.object_to(
        actor=estate.people["owner_lin"], resolution=resolution, text_="反对"
    )
    with pytest.raises(NotAllowed):
        resolutions.answer(actor=world.personas["grid_worker_a"], objection=objection, text_="好")
    resolutions.answer(actor=officer, objection=objection, text_="已与您沟通，保留意见记录在案。")
    with pytest.raises(Conflict):
        resolutions.answer(actor=officer, objection=objection, text_="再答一次")
    late = resolution.notice_ends + dt.timedelta(seconds=1)
    with time_machine.travel(late), pytest.raises(Conflict, match="公示期已结束"):
        resolutions.object_to(
            actor=estate.people["owner_lin"], resolution=resolution, text_="迟到的异议"
        )
    assert Objection.objects.filter(resolution=resolution).count() == 1
    objection.refresh_from_db()
    assert objection.answer == "已与您沟通，保留意见记录在案。"


@pytest.mark.parametrize("days", ["0", "31", "七", "-1"])
def test_a_notice_period_out_of_range_is_refused(world, estate, days):
    topic = _accepted_topic(world, estate)
    with pytest.raises(DeliberationError, match="公示期"):
        _publish(world, estate, topic=topic, notice_days=days)
    assert not Resolution.objects.exists()
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ACCEPTED


def test_only_an_accepted_topic_or_a_passed_closed_vote_resolves(world, estate):
    officer = world.personas["community_officer"]
    open_topic = topics.raise_topic(actor=estate.people["owner_chen"], title="加装电梯")
    with pytest.raises(DeliberationError, match="已受理"):
        _publish(world, estate, topic=open_topic)
    ballot = ballots.draw_up(
        actor=officer, compound=estate.compound, title="续聘物业", question="是否续聘？",
        matter="ordinary", opens_at=NOW - dt.timedelta(hours=1), closes_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(DeliberationError, match="通过"):
        _publish(world, estate, ballot=ballots.open_ballot(actor=officer, ballot=ballot))
    with pytest.raises(DeliberationError, match="议题或表决"):
        _publish(world, estate)
    with pytest.raises(NotAllowed):
        resolutions.publish(actor=world.personas["grid_worker_a"], title="x", text_="y",
                            topic=topics.accept(actor=officer, topic=open_topic))  # fmt: skip
    assert not Resolution.objects.exists()


def test_a_resolution_carried_out_as_a_case_is_done_when_the_case_closes(world, estate, cw):
    from doorstep.cases import services as cases
    from doorstep.cases.models import CaseEvent

    officer = world.personas["community_officer"]
    resolution = _publish(world, estate, topic=_accepted_topic(world, estate), notice_days="1")
    with time_machine.travel(resolution.notice_ends + dt.timedelta(minutes=1)):
        resolutions.open_case(actor=officer, resolution=resolution, category=cw.repair)
    resolution.refresh_from_db()
    case = resolution.case
    assert case is not None and "依据决议" in case.description
    assert resolution.action == "case" and resolutions.state_of(resolution) == "落实中"
    # close it the way a community closes its own case, and let the follower read the log
    member = world.personas["party_member"]
    case = cases.perform(case, "dispatch", actor=officer, lead=member)
    case = cases.perform(case, "sign", actor=member)
    case = cases.perform(case, "start", actor=member)
    case = cases.perform(case, "resolve", actor=member, note="电梯加装方案已报房管所备案")
    case = cases.perform(case, "verify", actor=officer)
    follow.follow_cases()
    resolution.refresh_from_db()
    assert resolution.done_at is None  # resolved, not yet closed
    case = cases.perform(case, "rate", actor=officer, rating="satisfied", solved=True)
    assert CaseEvent.objects.filter(case=case, to_status="closed").exists()
    follow.follow_cases()
    resolution.refresh_from_db()
    assert resolution.done_at is not None
