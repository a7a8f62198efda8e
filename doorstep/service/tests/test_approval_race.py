"""Two staff approving the same self-reported record at the same moment: one approval,
one set of points. Real concurrent writers: threads on PostgreSQL; on SQLite, threads in
a child process on a SQLite file (the in-memory test database cannot queue writers)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from doorstep.core.testing import build_world, run_in_sqlite_file
from doorstep.service import records
from doorstep.service.errors import Conflict
from doorstep.service.models import PointLine, ServiceRecord

from .helpers import hours_ago, photo, second_staff

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 10


def _race() -> None:
    world = build_world()
    staff = [world.personas["community_officer"], second_staff(world)]
    member = world.personas["party_member"]
    for n in range(ROUNDS):
        start, end = hours_ago(3 * n + 3, 3 * n + 2)
        record = records.self_report(
            user=member,
            organisation=world.community_1,
            started_at=start,
            ended_at=end,
            description=f"楼道清理第{n + 1}次",
            evidence=photo(),
        )
        barrier = threading.Barrier(2, timeout=60)
        results: list[Any] = [None, None]

        def approve(
            i: int,
            record: ServiceRecord = record,
            barrier: threading.Barrier = barrier,
            results: list[Any] = results,
        ) -> None:
            seen = ServiceRecord.objects.get(pk=record.pk)
            barrier.wait()
            try:
                results[i] = records.approve(seen, actor=staff[i]).decided_by_id
            except Conflict as exc:
                results[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if isinstance(r, int)]
        assert len(winners) == 1, results
        assert isinstance(next(r for r in results if not isinstance(r, int)), Conflict)
        saved = ServiceRecord.objects.get(pk=record.pk)
        assert saved.status == "verified" and saved.decided_by_id == winners[0]
        assert PointLine.objects.filter(source__startswith=f"record:{record.pk}:").count() == 1


def sqlite_child() -> None:
    _race()
    print("sqlite race: ok")


def test_two_staff_approving_at_once_make_one_approval(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    if connection.vendor == "postgresql":
        _race()
    else:
        run_in_sqlite_file(tmp_path, "doorstep.service.tests.test_approval_race:sqlite_child")
