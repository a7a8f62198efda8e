"""One vote per part per ballot, and one survey response per household, even with two
browsers at once: the owner and the proxy of a part, an owner of several parts voting two
of them, and a flat's owner and tenant answering a survey, each pair at the same moment.
Real concurrent writers: threads on PostgreSQL; on SQLite, threads in a child process on a
SQLite file (the in-memory test database cannot queue writers)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from doorstep.core.testing import build_world, run_in_sqlite_file
from doorstep.deliberation import ballots, surveys
from doorstep.deliberation.errors import Conflict
from doorstep.deliberation.models import Answer, BallotVote, Response

from .conftest import build_estate

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 5


def _at_once(*calls: Any) -> list[Any]:
    barrier = threading.Barrier(len(calls), timeout=60)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = len(calls[i]())
        except Conflict as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _race() -> None:
    world = build_world()
    estate = build_estate(world)
    officer = world.personas["community_officer"]
    now = timezone.now()
    for n in range(ROUNDS):
        ballot = ballots.open_ballot(
            actor=officer,
            ballot=ballots.draw_up(
                actor=officer, compound=estate.compound, title=f"表决{n}", question="内容",
                matter="ordinary", opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=1),
            ),
        )  # fmt: skip

        def vote(login: str, room: str, choice: str, ballot: Any = ballot) -> Any:
            return lambda: ballots.cast(
                actor=estate.people[login], ballot=ballot, household=estate.parts[room],
                choice_=choice,
            )  # fmt: skip

        # 105: its owner and its proxy at once
        results = _at_once(vote("owner_lin", "105", "yes"), vote("proxy", "105", "no"))
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results
        # 王业主 in two browsers, voting 101 and 103 two ways: one wins, for all three flats
        results = _at_once(vote("owner_wang", "101", "yes"), vote("owner_wang", "103", "no"))
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results
        rows = BallotVote.objects.filter(ballot=ballot)
        assert rows.count() == 4  # 105 once, 101–103 once each
        assert rows.filter(household=estate.parts["105"]).count() == 1
        assert (
            len(set(rows.exclude(household=estate.parts["105"]).values_list("choice", flat=True)))
            == 1
        )
        t = ballots.tally(ballot)
        assert (t.voted.owners, t.voted.area) == (2, 38_000)
    # A survey of one response per household: 104's owner and its tenant at the same moment.
    survey = surveys.draw_up(
        actor=officer, node=estate.compound.community, title="停车意愿", per="household",
        opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1),
    )  # fmt: skip
    q = surveys.add_question(actor=officer, survey=survey, kind="single", text_="是否需要车位",
                             options=["需要", "不需要"])  # fmt: skip
    survey = surveys.open_survey(actor=officer, survey=survey)

    def fill(login: str, pick: int) -> Any:
        return lambda: [surveys.answer(actor=estate.people[login], survey=survey,
                                       answers={f"q{q.pk}": pick})]  # fmt: skip

    results = _at_once(fill("owner_chen", 0), fill("tenant", 1))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results
    assert Response.objects.filter(survey=survey).count() == 1
    assert Answer.objects.filter(survey=survey).count() == 1


def sqlite_child() -> None:
    _race()
    print("sqlite race: ok")


def test_two_browsers_voting_the_same_part_make_one_vote(tmp_path):
    if connection.vendor == "postgresql":
        _race()
    else:
        run_in_sqlite_file(tmp_path, "doorstep.deliberation.tests.test_ballot_race:sqlite_child")
