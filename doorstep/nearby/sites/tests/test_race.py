"""No double booking under concurrency, and the PostgreSQL exclusion constraint itself.

PostgreSQL: 20 threads, each with its own connection, released at once by a barrier, book
overlapping slots in one room; the exclusion constraint lets exactly one insert through and
the others get "该时段已被预订". SQLite: the in-memory test database cannot take concurrent
writers, so the same threaded race runs in a child process against a migrated SQLite file
(WAL, BEGIN IMMEDIATE, busy timeout: the check-then-insert transactions queue). No test is
skipped on either database.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from doorstep.core.testing import run_in_sqlite_file
from doorstep.nearby.sites import services
from doorstep.nearby.sites.errors import TAKEN, SiteError, SlotTaken
from doorstep.nearby.sites.models import Booking, BookingStatus
from doorstep.nearby.sites.tests.helpers import NOW, at, build_site_world

THREADS = 20
ROUNDS = 3
ROOT = Path(__file__).resolve().parents[4]


def _bookers(n: int) -> list[Any]:
    from doorstep.core.testing import make_user

    sw = build_site_world()
    users = [
        make_user(f"booker{i:02d}", f"预订人{i:02d}", ("resident", sw.world.community_1))
        for i in range(n)
    ]
    return [sw, users]


def _threaded_race() -> None:
    sw, users = _bookers(THREADS)
    for rnd in range(ROUNDS):
        _one_round(sw, users, at(2026, 9, 2 + rnd, 10))
    assert Booking.objects.count() == ROUNDS


def _one_round(sw: Any, users: list[Any], base: dt.datetime) -> None:
    outcomes: list[Any] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(users), timeout=60)
    crashes: list[BaseException] = []

    def worker(i: int, user: Any) -> None:
        # every slot overlaps every other: starts 2 minutes apart, one hour long
        start = base + dt.timedelta(minutes=2 * i)
        try:
            barrier.wait(timeout=60)
            try:
                b = services.book(
                    actor=user,
                    room=sw.room.pk,
                    start=start,
                    end=start + dt.timedelta(hours=1),
                    purpose=f"抢订 {i}",
                    now=NOW,
                )
                result: Any = b.pk
            except SiteError as exc:
                result = exc
            with lock:
                outcomes.append(result)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            crashes.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not crashes, crashes
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == len(users)
    winners = [r for r in outcomes if isinstance(r, int)]
    losers = [r for r in outcomes if not isinstance(r, int)]
    assert len(winners) == 1, f"{base:%m-%d}: {len(winners)} winners"
    assert all(isinstance(e, SlotTaken) and e.message == TAKEN for e in losers), Counter(
        repr(e) for e in losers
    )
    day = Booking.objects.filter(
        room=sw.room, start__gte=base, start__lt=base + dt.timedelta(hours=2)
    )
    assert list(day.values_list("pk", flat=True)) == winners


def sqlite_file_race() -> None:
    """Child process entry (the SQLite file is migrated): race."""
    _threaded_race()
    print("sqlite race: ok")


def test_twenty_threads_book_overlapping_slots_exactly_one_wins(transactional_db, tmp_path):
    if connection.vendor == "postgresql":
        _threaded_race()
    else:
        run_in_sqlite_file(tmp_path, "doorstep.nearby.sites.tests.test_race:sqlite_file_race")


def _raw(room: Any, booker: Any, start: dt.datetime, end: dt.datetime, status: str) -> Booking:
    """An insert that bypasses the booking service and its check."""
    return Booking.objects.create(
        room=room,
        booker=booker,
        purpose="直接写库",
        start=start,
        end=end,
        blocked_from=start,
        blocked_until=end + dt.timedelta(minutes=room.buffer_minutes),
        status=status,
    )


@pytest.mark.django_db
def test_the_database_refuses_an_overlap_that_bypasses_the_service(world):
    sw = build_site_world(world)
    user = sw.p["resident"]
    first = _raw(sw.room, user, at(2026, 9, 2, 10), at(2026, 9, 2, 12), BookingStatus.APPROVED)
    if connection.vendor == "postgresql":
        for status in (BookingStatus.PENDING, BookingStatus.APPROVED, BookingStatus.CHECKED_IN):
            with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
                _raw(sw.room, user, at(2026, 9, 2, 12), at(2026, 9, 2, 13), status)
        # inactive bookings and the moment the buffer ends are fine
        _raw(sw.room, user, at(2026, 9, 2, 11), at(2026, 9, 2, 12), BookingStatus.CANCELLED)
        _raw(sw.room, user, at(2026, 9, 2, 11), at(2026, 9, 2, 12), BookingStatus.DECLINED)
        _raw(sw.room, user, at(2026, 9, 2, 12, 15), at(2026, 9, 2, 13), BookingStatus.PENDING)
        # a cancelled booking cannot come back to life over a taken slot
        ghost = Booking.objects.get(status=BookingStatus.CANCELLED)
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.filter(pk=ghost.pk).update(status=BookingStatus.APPROVED)
    else:
        # SQLite has no exclusion constraint: the service's check (in an IMMEDIATE
        # transaction) is the guarantee; it sees the raw row and refuses the overlap.
        with pytest.raises(SlotTaken, match=TAKEN):
            services.book(
                actor=sw.p["party_member"],
                room=sw.room,
                start=at(2026, 9, 2, 12),
                end=at(2026, 9, 2, 13),
                purpose="重叠",
                now=NOW,
            )
    assert Booking.objects.filter(status__in=["pending", "approved", "checked_in"]).count() == (
        2 if connection.vendor == "postgresql" else 1
    )
    assert first.pk


@pytest.mark.django_db
def test_the_constraint_error_becomes_the_clear_message(world, monkeypatch):
    """Two requests that both passed the check: the second insert hits the constraint on
    PostgreSQL (here forced by hiding the check), and the user reads 该时段已被预订."""
    sw = build_site_world(world)
    services.book(
        actor=sw.p["resident"],
        room=sw.room,
        start=at(2026, 9, 2, 10),
        end=at(2026, 9, 2, 12),
        purpose="先到",
        now=NOW,
    )
    if connection.vendor == "postgresql":
        from doorstep.nearby.sites.models import BookingQuerySet

        monkeypatch.setattr(
            BookingQuerySet, "overlapping", lambda self, *a: self.none(), raising=True
        )
    with pytest.raises(SlotTaken) as info:
        services.book(
            actor=sw.p["party_member"],
            room=sw.room,
            start=at(2026, 9, 2, 11),
            end=at(2026, 9, 2, 13),
            purpose="后到",
            now=NOW,
        )
    assert info.value.message == TAKEN
    assert Booking.objects.count() == 1
