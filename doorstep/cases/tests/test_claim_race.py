"""Races with real commits: 50 people claiming the same case at once, and two staff
submitting the same stale form.

PostgreSQL (the CI pass runs this): 50 threads, each with its own connection, released at
once by a barrier for each of 20 cases; `perform` locks the row with SELECT … FOR UPDATE
and saves with a compare-and-set on `version`, so exactly one claim wins and the other 49
get "手慢了，该工单已被他人接单".

SQLite: the test database is in memory with a shared cache, where concurrent writers fail
with "table is locked" instead of waiting. So on SQLite the threaded race runs in a child
process against a migrated SQLite file (WAL, BEGIN IMMEDIATE, busy timeout: writers queue),
and a sequential version checks the same with every claimer holding one stale view.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from doorstep.cases import rollups, services
from doorstep.cases.errors import CaseError, Conflict
from doorstep.cases.locating import locate
from doorstep.cases.models import ACTIVE_ASSIGNMENT, Assignment, Case, CaseEvent, Rollup
from doorstep.cases.workflow import S
from doorstep.core.testing import run_in_sqlite_file

pytestmark = pytest.mark.django_db(transaction=True)

CASES = 20
CLAIMERS = 50
TAKEN = "手慢了，该工单已被他人接单"
# The races need real concurrent writers. On PostgreSQL they run in this process against
# the test database; SQLite's in-memory test database fails concurrent writers outright
# ("table is locked"), so there each race runs in a child process on a migrated SQLite
# file. Either way every test runs on both databases: none is skipped.


@pytest.fixture
def race(transactional_db):
    return _build_race()


def _pool_cases(cw: Any, n: int) -> list[int]:
    p = cw.personas
    ids = []
    for i in range(n):
        case = services.create_case(
            actor=p["resident"],
            category=cw.wish if i % 2 else cw.repair,
            description=f"需要帮助 {i}",
            location=locate(building=cw.world.building_a),
        )
        services.perform(case, "accept", actor=p["community_officer"])
        services.perform(case, "publish", actor=p["community_officer"])
        ids.append(case.pk)
    return ids


def _signed(org_id: int) -> int:
    return sum(Rollup.objects.filter(organisation_id=org_id).values_list("signed", flat=True))


def _check_one_winner(case_ids: list[int], outcomes: dict[int, list[Any]], grid_id: int) -> None:
    for cid in case_ids:
        got = outcomes[cid]
        assert len(got) == CLAIMERS
        winners = [r for r in got if isinstance(r, int)]
        losers = [r for r in got if not isinstance(r, int)]
        assert len(winners) == 1, f"case {cid}: {len(winners)} winners"
        assert all(isinstance(e, Conflict) and e.message == TAKEN for e in losers), Counter(
            repr(e) for e in losers
        )
        case = Case.objects.get(pk=cid)
        assert case.status == S.SIGNED
        assert case.version == 4  # create, accept, publish, claim: one increment for 50 tries
        assert CaseEvent.objects.filter(case_id=cid, move="claim").count() == 1
        assert CaseEvent.objects.filter(case_id=cid).count() == case.version
        active = Assignment.objects.filter(case_id=cid, state__in=ACTIVE_ASSIGNMENT)
        assert active.count() == 1
        lead = active.get()
        assert lead.via == "claim" and lead.user_id == winners[0]
        assert CaseEvent.objects.get(case_id=cid, move="claim").actor_id == winners[0]
    assert rollups.stored() == rollups.recount_from_events()


def _build_race() -> tuple[Any, list[Any]]:
    from doorstep.cases.testing import build_case_world
    from doorstep.core.testing import build_world, make_user

    world = build_world()
    cw = build_case_world(world)
    claimers = [
        make_user(
            f"claimer{i:02d}",
            f"接单人{i:02d}",
            ("party_member" if i % 2 else "volunteer", world.grid_a),
        )
        for i in range(CLAIMERS)
    ]
    return cw, claimers


def test_fifty_threads_claim_each_of_twenty_cases_exactly_one_wins(transactional_db, tmp_path):
    if connection.vendor == "postgresql":
        _threaded_claims(*_build_race())
    else:
        _race_in_sqlite_file(tmp_path, "claims")


def _threaded_claims(cw: Any, claimers: list[Any]) -> None:
    case_ids = _pool_cases(cw, CASES)
    grid_id = cw.world.grid_a.pk
    signed_before = _signed(grid_id)
    outcomes: dict[int, list[Any]] = {cid: [] for cid in case_ids}
    lock = threading.Lock()
    barrier = threading.Barrier(CLAIMERS, timeout=60)
    crashes: list[BaseException] = []

    def worker(user: Any) -> None:
        try:
            for cid in case_ids:
                barrier.wait(timeout=60)
                try:
                    services.perform(cid, "claim", actor=user)
                    result: Any = user.pk
                except CaseError as exc:
                    result = exc
                with lock:
                    outcomes[cid].append(result)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            crashes.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(u,)) for u in claimers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not crashes, crashes
    assert not any(t.is_alive() for t in threads)
    _check_one_winner(case_ids, outcomes, grid_id)
    assert _signed(grid_id) == signed_before + CASES


ROOT = Path(__file__).resolve().parents[3]


def sqlite_file_race(which: str) -> None:
    """Child process entry (the SQLite file is migrated): race."""
    cw, claimers = _build_race()
    if which == "claims":
        _threaded_claims(cw, claimers)
    else:
        _stale_form_races(cw)
    print("sqlite race: ok")


def _race_in_sqlite_file(tmp_path: Path, which: str) -> None:
    run_in_sqlite_file(tmp_path, "doorstep.cases.tests.test_claim_race:sqlite_file_race", which)


def test_fifty_claims_on_one_stale_view_exactly_one_wins_sequential(race):
    """The SQLite (and PostgreSQL) companion: every claimer loaded the pool page before
    anyone claimed; claims then arrive one after another."""
    cw, claimers = race
    case_ids = _pool_cases(cw, 4)
    grid_id = cw.world.grid_a.pk
    signed_before = _signed(grid_id)
    outcomes: dict[int, list[Any]] = {cid: [] for cid in case_ids}
    for cid in case_ids:
        seen = Case.objects.get(pk=cid)
        offered = [u for u in claimers if "claim" in {m.code for m in services.moves_for(seen, u)}]
        assert len(offered) == CLAIMERS  # all fifty see the 接单 button
        for user in claimers:
            try:
                services.perform(seen, "claim", actor=user)
                outcomes[cid].append(user.pk)
            except CaseError as exc:
                outcomes[cid].append(exc)
    _check_one_winner(case_ids, outcomes, grid_id)
    assert _signed(grid_id) == signed_before + len(case_ids)


def _second_staff(cw: Any) -> Any:
    from doorstep.core.testing import make_user

    return make_user("community1b", "社区干部乙", ("community_staff", cw.world.community_1))


def _stale_race(case_id: int, moves: list[tuple[Any, str, dict[str, Any]]], version: int):
    """Run the moves at once in threads, all with the same expected_version."""
    barrier = threading.Barrier(len(moves), timeout=60)
    results: list[Any] = [None] * len(moves)

    def worker(i: int) -> None:
        actor, code, params = moves[i]
        try:
            barrier.wait(timeout=30)
            services.perform(case_id, code, actor=actor, expected_version=version, **params)
            results[i] = "ok"
        except CaseError as exc:
            results[i] = exc
        except BaseException as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(moves))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_staff_submit_the_same_stale_form_one_wins_nothing_half_written(
    transactional_db, tmp_path
):
    if connection.vendor == "postgresql":
        _stale_form_races(_build_race()[0])
    else:
        _race_in_sqlite_file(tmp_path, "stale")


def _stale_form_races(cw: Any) -> None:
    p = cw.personas
    other = _second_staff(cw)
    pairs = [
        ("accept", {}, "accept", {}),
        ("accept", {}, "request_info", {"note": "请补充照片"}),
        ("cancel", {"note": "重复"}, "accept", {"urgency": "urgent"}),
    ]
    for round_ in range(5):
        for code_a, params_a, code_b, params_b in pairs:
            case = services.create_case(
                actor=p["resident"],
                category=cw.repair,
                description=f"电梯故障 {round_} {code_a} {code_b}",
                location=locate(building=cw.world.building_a),
            )
            results = _stale_race(
                case.pk,
                [(p["community_officer"], code_a, params_a), (other, code_b, params_b)],
                case.version,
            )
            oks = [r for r in results if r == "ok"]
            fails = [r for r in results if r != "ok"]
            assert len(oks) == 1 and len(fails) == 1, results
            assert isinstance(fails[0], Conflict), fails
            saved = Case.objects.get(pk=case.pk)
            assert saved.version == 2
            events = list(CaseEvent.objects.filter(case=saved).order_by("seq"))
            assert [e.seq for e in events] == [1, 2]
            winner = code_a if results[0] == "ok" else code_b
            assert events[1].move == winner and events[1].to_status == saved.status
    assert rollups.stored() == rollups.recount_from_events()


def test_stale_form_is_refused_and_changes_nothing_sequential(race):
    cw, _claimers = race
    p = cw.personas
    other = _second_staff(cw)
    case = services.create_case(
        actor=p["resident"],
        category=cw.repair,
        description="水管漏水",
        location=locate(building=cw.world.building_a),
    )
    form_version = case.version
    services.perform(case, "accept", actor=p["community_officer"], expected_version=form_version)
    before = Case.objects.get(pk=case.pk)
    with pytest.raises(Conflict, match="已被他人处理"):
        services.perform(
            case, "request_info", actor=other, note="请补充", expected_version=form_version
        )
    after = Case.objects.get(pk=case.pk)
    assert (after.version, after.status, after.paused_at) == (2, S.ACCEPTED, None)
    assert (before.version, before.status) == (after.version, after.status)
    assert CaseEvent.objects.filter(case=case).count() == 2
    assert rollups.stored() == rollups.recount_from_events()
