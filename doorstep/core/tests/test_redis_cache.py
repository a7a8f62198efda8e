"""The production cache on a real Redis: one client per pool (core/redis_cache.py), and the
figure cache keeping and renewing a figure through it, as production runs it."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import cache

from doorstep.cases.models import Category
from doorstep.core import figure_cache

REDIS_URL = os.environ.get("DOORSTEP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def on_redis(settings):
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "doorstep.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    figure_cache._hints.clear()
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    figure_cache._hints.clear()


def test_one_client_serves_every_call(on_redis):
    first = on_redis._cache.get_client()
    assert on_redis._cache.get_client() is first
    assert on_redis._cache.get_client(write=True) is on_redis._cache.get_client(write=True)
    on_redis.set_many({"a": 1, "b": "乙"}, 60)
    assert on_redis.get_many(["a", "b", "c"]) == {"a": 1, "b": "乙"}
    assert on_redis.incr("a") == 2
    on_redis.delete("a")
    assert on_redis.get("a") is None


@pytest.mark.django_db(transaction=True)
def test_a_kept_figure_is_served_and_renewed_through_redis(on_redis, django_assert_num_queries):
    def count() -> int:
        return figure_cache.remembered(
            "test:redis", 1, lambda: Category.objects.filter(name__startswith="红").count()
        )

    Category.objects.create(code="r1", name="红一")
    assert count() == 1
    assert count() == 1
    with django_assert_num_queries(0):
        assert count() == 1
    assert on_redis.get(f"{figure_cache._GEN}cases_category") is not None  # in Redis itself
    Category.objects.create(code="r2", name="红二")
    with django_assert_num_queries(1):
        assert count() == 2
    with django_assert_num_queries(0):
        assert count() == 2
