"""Two staff accepting the same resource for two needs beyond its capacity at the same
moment: one match, the other a clear refusal, the capacity never overdrawn. Real concurrent
writers: threads on PostgreSQL; on SQLite, threads in a child process on a SQLite file (the
in-memory test database cannot queue writers)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from doorstep.accounts.models import Membership, Role
from doorstep.cogov import matching, services
from doorstep.cogov.errors import Conflict
from doorstep.cogov.models import Match, Need, Resource
from doorstep.core.testing import make_user, run_in_sqlite_file

from .helpers import build_co_world

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 8


def _race() -> None:
    co = build_co_world()
    second = make_user("community1b", "社区干部乙", ("community_staff", co.world.community_1))
    staff = [co.p["community_officer"], second]
    assert Membership.objects.filter(role=Role.objects.get(code="community_staff")).count() == 2
    for n in range(ROUNDS):
        resource = services.offer_resource(
            actor=co.p["liaison_904"],
            provider=co.hospital,
            title=f"夜间义诊第{n + 1}期",
            kind="service",
            fields=["new_workers"],
            capacity="10",
            unit="hours",
        )
        needs = [
            services.record_need(
                actor=staff[i],
                node=co.world.grid_a,
                title=f"骑手就医{n}-{i}",
                field="new_workers",
                wants="service",
                building=co.world.building_a,
            )
            for i in range(2)
        ]
        barrier = threading.Barrier(2, timeout=60)
        results: list[Any] = [None, None]

        def accept(
            i: int,
            resource: Resource = resource,
            needs: list[Need] = needs,
            barrier: threading.Barrier = barrier,
            results: list[Any] = results,
        ) -> None:
            seen = Resource.objects.get(pk=resource.pk)
            barrier.wait()
            try:
                results[i] = matching.accept(
                    actor=staff[i], need=needs[i], resource=seen, amount="6"
                ).pk
            except Conflict as exc:
                results[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if isinstance(r, int)]
        assert len(winners) == 1, results
        loser = next(r for r in results if not isinstance(r, int))
        assert isinstance(loser, Conflict) and "剩余4小时" in loser.message, results
        assert Resource.objects.get(pk=resource.pk).remaining == Decimal("4")
        assert Match.objects.filter(resource=resource).count() == 1
        statuses = sorted(
            Need.objects.filter(pk__in=[x.pk for x in needs]).values_list("status", flat=True)
        )
        assert statuses == ["matched", "open"]


def sqlite_child() -> None:
    _race()
    print("sqlite race: ok")


def test_two_staff_promising_the_same_capacity_make_one_match(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    if connection.vendor == "postgresql":
        _race()
    else:
        run_in_sqlite_file(tmp_path, "doorstep.cogov.tests.test_match_race:sqlite_child")
