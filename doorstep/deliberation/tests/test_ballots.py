"""Owners' votes end to end over the housing register: the roll taken when the ballot
opens, who may vote (owners and proxies, never tenants), one vote per part, an owner of
several parts voting them all, paper ballots, the result after the deadline with both
thresholds, and the secrecy of each part's choice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from doorstep.atlas.places.models import Compound, Household
from doorstep.core.models import AuditEntry
from doorstep.deliberation import ballots
from doorstep.deliberation.errors import Conflict, DeliberationError, NotAllowed
from doorstep.deliberation.models import Ballot, BallotVote, RollEntry

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _ballot(world, estate, matter="ordinary", **kw) -> Ballot:
    ballot = ballots.draw_up(
        actor=world.personas["community_officer"], compound=estate.compound,
        title=kw.pop("title", "选聘新的物业服务企业"), question="是否同意选聘××物业为静淑苑物业服务企业？",
        matter=matter, opens_at=NOW - dt.timedelta(hours=1), closes_at=NOW + dt.timedelta(days=7),
    )  # fmt: skip
    return ballots.open_ballot(actor=world.personas["community_officer"], ballot=ballot)


def _vote(estate, login, room, choice, ballot):
    return ballots.cast(
        actor=estate.people[login], ballot=ballot, household=estate.parts[room], choice_=choice
    )


def _after_deadline(world, ballot) -> Ballot:
    with time_machine.travel(ballot.closes_at + dt.timedelta(minutes=1)):
        return ballots.close_ballot(actor=world.personas["community_officer"], ballot=ballot)


def test_headcount_passes_but_area_does_not_then_a_second_vote_passes(world, estate):
    officer = world.personas["community_officer"]
    first = _ballot(world, estate)
    assert RollEntry.objects.filter(ballot=first).count() == 8
    _vote(estate, "owner_chen", "104", "yes", first)
    _vote(estate, "proxy", "105", "yes", first)  # 林业主's registered proxy
    _vote(estate, "owner_zhou", "106", "no", first)
    # the developer's letter on its two unsold flats, entered from paper by staff
    ballots.cast(actor=officer, ballot=first, household=estate.parts["107"], choice_="yes",
                 channel="paper")  # fmt: skip
    t = ballots.tally(first)
    assert (t.total.area, t.total.owners) == (76_000, 5)  # 王 ×3 flats = 1, developer ×2 = 1
    assert (t.voted.area, t.voted.owners) == (49_000, 4)
    assert t.quorum_owners and not t.quorum_area  # 4/5 ≥ 2/3 of owners; 490 < 506.67 m²
    closed = _after_deadline(world, first)
    assert closed.passed is False and closed.result["voted"] == {"area": 49_000, "owners": 4}

    second = _ballot(world, estate, title="选聘新的物业服务企业（第二次）")
    _vote(estate, "owner_wang", "102", "yes", second)  # votes his three flats at once
    assert BallotVote.objects.filter(ballot=second).count() == 3
    _vote(estate, "owner_chen", "104", "yes", second)
    _vote(estate, "owner_zhou", "106", "no", second)
    ballots.cast(actor=officer, ballot=second, household=estate.parts["108"], choice_="abstain",
                 channel="paper")  # fmt: skip
    closed = _after_deadline(world, second)
    # took part: 王 27,000 + 陈 12,000 + 周 10,000 + developer 16,000 = 65,000 of 76,000, 4 of 5
    # agreed: 39,000 of 65,000 (> 1/2) and 2 of 4 owners (not > 1/2): 未通过 on headcount
    assert closed.result["yes"] == {"area": 39_000, "owners": 2}
    assert closed.passed is False and not closed.result["pass_owners"]


def test_a_major_matter_needs_three_quarters_of_both(world, estate):
    ballot = _ballot(world, estate, matter="major", title="续筹专项维修资金")
    for login, room in (("owner_wang", "101"), ("owner_chen", "104"), ("proxy", "105"),
                        ("owner_zhou", "106")):  # fmt: skip
        _vote(estate, login, room, "yes", ballot)
    t = ballots.tally(ballot)
    # 4 of 5 owners and 60,000 of 76,000 took part; all agreed
    assert t.quorum and t.passed


def test_a_tenant_cannot_vote_and_nothing_is_written(world, estate):
    ballot = _ballot(world, estate)
    with pytest.raises(NotAllowed, match="业主或委托代理人"):
        _vote(estate, "tenant", "104", "yes", ballot)
    with pytest.raises(NotAllowed):  # nor an owner for someone else's flat
        _vote(estate, "owner_chen", "106", "yes", ballot)
    assert not BallotVote.objects.filter(ballot=ballot).exists()


def test_one_vote_per_part_the_proxy_first_then_the_owner_is_refused(world, estate):
    ballot = _ballot(world, estate)
    _vote(estate, "proxy", "105", "no", ballot)
    with pytest.raises(Conflict, match="已投票"):
        _vote(estate, "owner_lin", "105", "yes", ballot)
    with pytest.raises(Conflict, match="已投票"):  # staff cannot overwrite it from paper
        ballots.cast(actor=world.personas["community_officer"], ballot=ballot,
                     household=estate.parts["105"], choice_="yes", channel="paper")  # fmt: skip
    assert list(BallotVote.objects.filter(ballot=ballot).values_list("choice", flat=True)) == ["no"]


def test_no_vote_before_the_opening_or_after_the_deadline(world, estate):
    ballot = _ballot(world, estate)
    late = ballot.closes_at + dt.timedelta(seconds=1)
    with time_machine.travel(late), pytest.raises(Conflict, match="已截止"):
        _vote(estate, "owner_chen", "104", "yes", ballot)
    closed = _after_deadline(world, ballot)
    with pytest.raises(Conflict, match="已截止"):
        _vote(estate, "owner_chen", "104", "yes", closed)
    with pytest.raises(DeliberationError, match="截止前"):  # closing early is refused
        ballots.close_ballot(
            actor=world.personas["community_officer"], ballot=_ballot(world, estate)
        )
    later = ballots.draw_up(
        actor=world.personas["community_officer"], compound=estate.compound, title="下周表决",
        question="内容", matter="ordinary", opens_at=NOW + dt.timedelta(days=2),
        closes_at=NOW + dt.timedelta(days=9),
    )  # fmt: skip
    later = ballots.open_ballot(actor=world.personas["community_officer"], ballot=later)
    with pytest.raises(Conflict, match="尚未开始"):
        _vote(estate, "owner_chen", "104", "yes", later)
    assert not BallotVote.objects.exists()


def test_the_roll_is_a_snapshot_later_register_edits_do_not_move_the_result(world, estate):
    ballot = _ballot(world, estate)
    _vote(estate, "owner_chen", "104", "yes", ballot)
    before = ballots.tally(ballot)
    Household.objects.filter(pk=estate.parts["104"].pk).update(area=99_999)
    assert ballots.tally(ballot) == before


def test_a_ballot_with_no_parts_or_holes_in_the_register_does_not_open(world, estate):
    officer = world.personas["community_officer"]
    empty = Compound.objects.create(name="空小区", community=world.community_1)
    draft = ballots.draw_up(
        actor=officer, compound=empty, title="试表决", question="内容", matter="ordinary",
        opens_at=NOW, closes_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(DeliberationError, match="没有登记专有部分"):
        ballots.open_ballot(actor=officer, ballot=draft)
    Household.objects.filter(pk=estate.parts["103"].pk).update(area=None)
    draft = ballots.draw_up(
        actor=officer, compound=estate.compound, title="试表决", question="内容",
        matter="ordinary", opens_at=NOW, closes_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(DeliberationError, match="1 户未登记专有部分面积"):
        ballots.open_ballot(actor=officer, ballot=draft)
    assert not RollEntry.objects.exists()
    for bad in ({"closes_at": NOW - dt.timedelta(days=1)}, {"title": "表决\x07"},
                {"matter": "whatever"}, {"opens_at": "明天"}):  # fmt: skip
        args = {"actor": officer, "compound": estate.compound, "title": "表决", "question": "内容",
                "matter": "ordinary", "opens_at": NOW, "closes_at": NOW + dt.timedelta(days=1)}  # fmt: skip
        with pytest.raises(DeliberationError):
            ballots.draw_up(**{**args, **bad})
    with pytest.raises(NotAllowed):  # a grid worker runs no vote
        ballots.draw_up(**{**args, "actor": world.personas["grid_worker_a"]})


def test_how_a_part_voted_is_secret_but_to_its_voters_and_audited_staff(world, estate):
    ballot = _ballot(world, estate)
    _vote(estate, "proxy", "105", "no", ballot)
    _vote(estate, "owner_chen", "104", "yes", ballot)
    # each owner sees their own part's choice only
    assert ballots.my_parts(estate.people["owner_chen"], ballot) == [
        (estate.parts["104"].pk, "yes")
    ]
    assert ballots.my_parts(estate.people["tenant"], ballot) == []
    with pytest.raises(NotAllowed):
        ballots.choices_of(actor=world.personas["grid_worker_a"], ballot=ballot)
    seen = ballots.choices_of(actor=world.personas["community_officer"], ballot=ballot)
    assert seen == {estate.parts["104"].pk: "yes", estate.parts["105"].pk: "no"}
    assert (
        AuditEntry.objects.filter(action="view_vote_choices", target_id=str(ballot.pk)).count() == 1
    )
    # the audit of a vote names who cast it and for which part, never how
    cast = AuditEntry.objects.filter(action="vote", target_id=str(ballot.pk))
    assert cast.count() == 2 and all(
        "yes" not in str(e.detail) and "no" not in str(e.detail.values()) for e in cast
    )
    # the ballot is on an owner's and a proxy's list, not on a tenant's or another resident's
    assert Ballot.objects.visible_to(estate.people["proxy"]).filter(pk=ballot.pk).exists()
    assert not Ballot.objects.visible_to(world.personas["resident"]).filter(pk=ballot.pk).exists()
    assert Ballot.objects.visible_to(world.personas["street_officer"]).filter(pk=ballot.pk).exists()


def test_a_stack_of_paper_ballots_is_entered_whole_or_not_at_all(world, estate):
    officer = world.personas["community_officer"]
    ballot = _ballot(world, estate)
    p = estate.parts
    _vote(estate, "owner_zhou", "106", "no", ballot)
    for bad, message in (
        ({p["101"].pk: "yes", p["106"].pk: "yes"}, "已投票"),  # 106 has voted
        ({p["101"].pk: "yes", p["102"].pk: "no"}, "不一致"),  # one owner, two ways
        ({p["101"].pk: "yes", 999_999: "yes"}, "不在本次表决范围内"),
        ({p["101"].pk: "maybe"}, "表决意见"),
    ):
        with pytest.raises(DeliberationError, match=message):
            ballots.enter_paper_stack(actor=officer, ballot=ballot, choices=bad)
    assert BallotVote.objects.filter(ballot=ballot).count() == 1
    with pytest.raises(NotAllowed):  # a grid worker of another grid
        ballots.enter_paper_stack(
            actor=world.personas["grid_worker_b"], ballot=ballot, choices={p["104"].pk: "yes"}
        )
    n = ballots.enter_paper_stack(
        actor=world.personas["grid_worker_a"], ballot=ballot,
        choices={p["101"].pk: "yes", p["104"].pk: "yes", p["107"].pk: "abstain"},
    )  # fmt: skip
    assert n == 6  # 101–103 (one owner), 104, and the developer's 107–108
    t = ballots.tally(ballot)
    assert (t.voted.owners, t.yes.owners) == (4, 2)
