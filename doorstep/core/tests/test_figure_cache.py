"""The figure cache (core/figure_cache.py) serves a kept figure only while no table it
was read from has been written — by any path: the ORM, `update()`, raw SQL, a COPY — and
never to a transaction that wrote one itself; a figure that changes with the clock lasts
until the moment it said.

These tests commit (transaction=True): the watch renews tokens at commit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from doorstep.cases.models import Category
from doorstep.core import bulk, figure_cache

pytestmark = pytest.mark.django_db(transaction=True)

PREFIX = "缓存测试"


def _count() -> int:
    return Category.objects.filter(name__startswith=PREFIX).count()


def kept() -> int:
    return figure_cache.remembered("test:count", PREFIX, _count)


def _new(code: str) -> Category:
    return Category.objects.create(code=code, name=f"{PREFIX}{code}")


def _warm(fn):
    fn()  # learns the tables it reads
    return fn()  # computes again and keeps it


def test_a_figure_is_kept_until_a_table_it_read_is_written(django_assert_num_queries):
    _new("a1")
    assert _warm(kept) == 1
    with django_assert_num_queries(0):
        assert kept() == 1

    Group.objects.create(name="与分类无关")  # another table: the figure stays
    with django_assert_num_queries(0):
        assert kept() == 1

    _new("a2")  # the ORM
    assert kept() == 2
    with django_assert_num_queries(0):
        assert kept() == 2

    Category.objects.filter(code="a2").update(name="改名")  # update(), no model save
    assert kept() == 1

    with connection.cursor() as cursor:  # hand-written SQL
        cursor.execute("DELETE FROM cases_category WHERE code = %s", ["a1"])
    assert kept() == 0


def test_a_copy_renews_what_it_wrote(django_assert_num_queries):
    assert _warm(kept) == 0
    bulk.insert(Category, [Category(code=f"b{i}", name=f"{PREFIX}{i}") for i in range(3)])
    assert kept() == 3


def test_an_open_transaction_sees_its_own_writes_and_a_rollback_renews_nothing(
    django_assert_num_queries,
):
    _new("c1")
    assert _warm(kept) == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        _new("c2")
        assert kept() == 2  # its own write, not the kept 1
        raise RuntimeError("roll back")
    with django_assert_num_queries(0):
        assert kept() == 1  # nothing was committed: the kept figure stands

    with transaction.atomic():
        _new("c3")
        with django_assert_num_queries(0):
            _ = Group.objects.none()  # (no query) other work in the same transaction
    assert kept() == 2  # renewed at commit


def test_a_write_committed_while_a_figure_is_computed_leaves_nothing_stale():
    _new("d1")
    raced: list[bool] = []

    def racing() -> int:
        n = _count()
        if len(raced) == 1:  # the second computation: another writer commits meanwhile
            _new("d2")
        raced.append(True)
        return n

    assert figure_cache.remembered("test:race", 1, racing) == 1  # learns its tables
    assert figure_cache.remembered("test:race", 1, racing) == 1  # d2 commits during it
    assert figure_cache.remembered("test:race", 1, racing) == 2  # not the 1 it kept


def test_a_figure_built_on_a_kept_figure_follows_its_tables(django_assert_num_queries):
    """The outer figure reads categories only through the inner, kept one: it must still
    be renewed by a write to the categories."""

    def outer() -> int:
        return kept() * 100 + Group.objects.count()

    _new("e1")
    _warm(kept)
    assert _warm(lambda: figure_cache.remembered("test:outer", 1, outer)) == 100
    with django_assert_num_queries(0):
        assert figure_cache.remembered("test:outer", 1, outer) == 100
    _new("e2")
    assert figure_cache.remembered("test:outer", 1, outer) == 200


def test_a_figure_that_changes_with_the_clock_lasts_until_then(django_assert_num_queries):
    soon = timezone.now() + dt.timedelta(hours=1)

    def held() -> int:
        figure_cache.changes_at(soon)
        return int(timezone.now() >= soon) + _count()

    assert _warm(lambda: figure_cache.remembered("test:clock", 1, held)) == 0
    with django_assert_num_queries(0):
        assert figure_cache.remembered("test:clock", 1, held) == 0
    with time_machine.travel(soon + dt.timedelta(minutes=1)):
        assert figure_cache.remembered("test:clock", 1, held) == 1


def test_off_it_computes_every_time(settings, django_assert_num_queries):
    settings.FIGURE_CACHE = False
    _warm(kept)
    with django_assert_num_queries(1):
        assert kept() == 0


@pytest.mark.parametrize(
    ("sql", "written"),
    [
        ('SELECT "cases_category"."id" FROM "cases_category"', None),
        ("WITH RECURSIVE up(id) AS (SELECT 1) SELECT id FROM up", None),
        ('WITH gone AS (DELETE FROM "cases_category" RETURNING id) SELECT 1', {"cases_category"}),
        ('INSERT INTO "cases_category" ("code") VALUES (%s)', {"cases_category"}),
        ("  update cases_category set name = 'x'", {"cases_category"}),
        ('TRUNCATE "cases_category", "auth_group"', {"cases_category", "auth_group"}),
        ("SAVEPOINT s1", None),
        ('(SELECT "role_id" FROM "cases_category") UNION ALL (SELECT 0)', None),
        # only the target is written: what the rest of the statement names is read
        (
            'UPDATE "auth_group" SET "name" = %s WHERE "id" IN '
            '(SELECT U0."id" FROM "cases_category" U0)',
            {"auth_group"},
        ),
        (
            'INSERT OR IGNORE INTO "auth_group" ("name") SELECT "code" FROM "cases_category"',
            {"auth_group"},
        ),
        ('DELETE FROM "auth_group" WHERE "name" = \'cases_category\'', {"auth_group"}),
        # a head that names no known table falls back to every table the statement names
        ('INSERT INTO "no_such_table" SELECT * FROM "cases_category"', {"cases_category"}),
    ],
)
def test_which_statements_write_which_tables(sql, written):
    assert figure_cache.is_write(sql) is (written is not None)
    if written is not None:
        assert figure_cache.written_by(sql) == written


def test_the_watch_outlives_a_connection_opened_while_a_figure_was_computed():
    """Django's execute_wrapper() pops the last wrapper: a connection that opened (and got
    its watch) inside a recorder must keep the watch once the recorder is gone."""
    watches = [w for w in connection.execute_wrappers if isinstance(w, figure_cache._Watch)]
    assert watches
    try:
        connection.execute_wrappers.remove(watches[0])  # as a connection not yet opened
        with connection.execute_wrapper(lambda execute, *args: execute(*args)):
            figure_cache.watch(connection)  # connection_created, inside the recorder
        assert any(isinstance(w, figure_cache._Watch) for w in connection.execute_wrappers)
    finally:
        if not any(isinstance(w, figure_cache._Watch) for w in connection.execute_wrappers):
            connection.execute_wrappers.insert(0, watches[0])
    _new("w1")
    assert _warm(kept) == 1
    _new("w2")
    assert kept() == 2


def test_another_release_never_reads_what_this_one_kept(monkeypatch, django_assert_num_queries):
    _new("v1")
    assert _warm(kept) == 1
    monkeypatch.setattr(figure_cache, "_release", "the-next-deploy")
    with django_assert_num_queries(1):
        assert kept() == 1


def test_with_the_cache_down_figures_are_computed_and_writes_stand(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "doorstep.core.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    settings.CACHE_URL = "redis://127.0.0.1:1/0"
    _new("x1")  # the write commits; its renewal fails and is logged
    assert Category.objects.filter(code="x1").exists()
    assert kept() == 1
    _new("x2")
    assert kept() == 2
