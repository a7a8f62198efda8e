"""议题: residents raise and second topics of their own community, staff record them from
patrol, cases and needs, and screen them (accept, merge, decline with a reason); a topic
with enough seconds gets an answer deadline. Every refusal leaves nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from doorstep.core.models import AuditEntry
from doorstep.deliberation import topics
from doorstep.deliberation.errors import Conflict, DeliberationError, NotAllowed
from doorstep.deliberation.models import Topic, TopicSecond, TopicStatus

pytestmark = pytest.mark.django_db


def _raise(estate, login="owner_chen", **kw):
    return topics.raise_topic(
        actor=estate.people[login],
        title=kw.pop("title", "静淑苑加装电梯"),
        detail=kw.pop("detail", "5号楼老人多，上下楼难，建议加装电梯。"),
        **kw,
    )


def test_a_resident_raises_a_topic_for_their_own_community_and_neighbours_second_it(world, estate):
    topic = _raise(estate, compound=estate.compound.pk)
    assert (topic.node, topic.compound, topic.source) == (
        world.community_1,
        estate.compound,
        "resident",
    )
    for login in ("owner_lin", "owner_zhou", "tenant"):  # a tenant lives here too: may second
        topics.second(actor=estate.people[login], topic=topic)
    topic.refresh_from_db()
    assert topic.seconds == 3 == TopicSecond.objects.filter(topic=topic).count()
    assert topic.answer_due is None  # below the threshold
    # residents of the community see it; of another community not
    assert Topic.objects.visible_to(estate.people["tenant"]).filter(pk=topic.pk).exists()
    outsider = world.personas["outsider"]
    assert not Topic.objects.visible_to(outsider).filter(pk=topic.pk).exists()


def test_seconding_is_once_per_resident_never_ones_own_and_only_neighbours(world, estate):
    topic = _raise(estate)
    topics.second(actor=estate.people["owner_lin"], topic=topic)
    with pytest.raises(Conflict):
        topics.second(actor=estate.people["owner_lin"], topic=topic)
    with pytest.raises(DeliberationError, match="自己"):
        topics.second(actor=estate.people["owner_chen"], topic=topic)
    with pytest.raises(NotAllowed):
        topics.second(actor=world.personas["outsider"], topic=topic)
    topic.refresh_from_db()
    assert topic.seconds == 1 == TopicSecond.objects.filter(topic=topic).count()


def test_enough_seconds_set_an_answer_deadline_once(world, estate, monkeypatch):
    monkeypatch.setattr(topics, "SECONDS_TO_ANSWER", 2)
    topic = _raise(estate)
    topics.second(actor=estate.people["owner_lin"], topic=topic)
    before = timezone.now()
    topic = topics.second(actor=estate.people["owner_zhou"], topic=topic)
    due = topic.answer_due
    assert due is not None
    assert (
        dt.timedelta(days=topics.ANSWER_DAYS)
        <= due - before
        < dt.timedelta(days=topics.ANSWER_DAYS, minutes=1)
    )
    topic = topics.second(actor=estate.people["tenant"], topic=topic)
    assert topic.answer_due == due  # set once
    community = Topic.objects.visible_to(world.personas["community_officer"])
    assert list(topics.awaiting_answer(community)) == [topic]
    assert list(topics.overdue(community, now=due + dt.timedelta(minutes=1))) == [topic]
    topics.accept(actor=world.personas["community_officer"], topic=topic)
    assert not topics.overdue(community, now=due + dt.timedelta(minutes=1)).exists()


def test_staff_screen_accept_merge_and_decline_with_a_reason_the_proposer_sees(world, estate):
    officer = world.personas["community_officer"]
    lift = _raise(estate)
    same = _raise(estate, login="owner_lin", title="5号楼装电梯")
    noise = _raise(estate, login="owner_zhou", title="楼下广场舞太吵")
    topics.accept(actor=officer, topic=lift)
    merged = topics.merge(actor=officer, topic=same, into=lift.pk)
    assert (merged.status, merged.merged_into) == (TopicStatus.MERGED, lift)
    assert "静淑苑加装电梯" in merged.answer
    with pytest.raises(DeliberationError, match="原因"):
        topics.decline(actor=officer, topic=noise, reason="  ")
    declined = topics.decline(actor=officer, topic=noise, reason="属于噪声扰民，已转城管执法处理")
    seen = Topic.objects.visible_to(estate.people["owner_zhou"]).get(pk=noise.pk)
    assert (seen.status, seen.answer) == ("declined", "属于噪声扰民，已转城管执法处理")
    assert declined.answered_by == officer and declined.answered_at is not None
    with pytest.raises(Conflict):  # answered already
        topics.accept(actor=officer, topic=noise)
    assert AuditEntry.objects.filter(action="update", target_id=str(noise.pk)).exists()


def test_who_may_screen_and_record(world, estate):
    topic = _raise(estate)
    for persona in ("grid_worker_a", "resident", "street_officer", "outsider"):
        with pytest.raises(NotAllowed):
            topics.accept(actor=world.personas[persona], topic=topic)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN and topic.answered_at is None
    # a grid worker records a topic heard on patrol in a community their grid is in
    heard = topics.raise_topic(
        actor=world.personas["grid_worker_a"], title="小区停车难", node=world.community_1.pk
    )
    assert (heard.source, heard.raised_by) == ("visit", world.personas["grid_worker_a"])
    with pytest.raises(NotAllowed):  # a community their grid is not in
        topics.raise_topic(
            actor=world.personas["grid_worker_a"], title="小区停车难", node=world.community_2.pk
        )
    with pytest.raises(NotAllowed, match="居民"):  # no home, no node
        topics.raise_topic(actor=world.personas["outsider"], title="小区停车难")


@pytest.mark.parametrize(
    ("title", "detail", "field"),
    [("", "", "title"), ("电梯" * 31, "", "title"), ("加装\x07电梯", "", "title"),
     ("加装电梯", "说" * 2001, "detail")],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_written(estate, title, detail, field):
    with pytest.raises(DeliberationError) as err:
        _raise(estate, title=title, detail=detail)
    assert err.value.field == field
    assert not Topic.objects.exists()


def test_traditional_chinese_and_long_text_are_kept(estate):
    topic = _raise(estate, title="靜淑苑加裝電梯議題", detail="長" * 2000)
    assert topic.title == "靜淑苑加裝電梯議題" and len(topic.detail) == 2000


def test_a_case_becomes_a_topic_once(world, estate, cw):
    from doorstep.cogov.services import file_case

    officer = world.personas["community_officer"]
    case = file_case(actor=officer, category=cw.repair, node=world.grid_a,
                     title="5号楼电梯加装意见不一", description="部分业主同意加装，低层业主反对。")  # fmt: skip
    topic = topics.from_case(actor=officer, case=case)
    assert (topic.source, topic.case, topic.node) == ("case", case, world.community_1)
    assert case.number in topic.source_ref
    with pytest.raises(Conflict):
        topics.from_case(actor=officer, case=case)
    with pytest.raises(NotAllowed):
        topics.from_case(actor=world.personas["outsider"], case=case)
    assert Topic.objects.filter(case=case).count() == 1
