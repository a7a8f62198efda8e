"""A real Celery round-trip: a worker process, Redis as broker and result store."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery

REDIS_URL = os.environ.get("DOORSTEP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def redis_app():
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:  # a missing service fails the suite; never skip
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    # A client app of its own: the project's app runs tasks eagerly in tests.
    client = Celery("doorstep-test-client", broker=REDIS_URL, backend=REDIS_URL)
    env = {**os.environ, "CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL}
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield client, queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_a_task_runs_in_a_worker_through_redis(redis_app):
    client, queue = redis_app
    token = uuid.uuid4().hex
    result = client.send_task("doorstep.core.ping", args=[token], queue=queue)
    assert result.get(timeout=60) == f"pong:{token}"
