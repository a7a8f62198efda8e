"""The deadline sweep through a real Celery worker on Redis, against a database it shares.

Like core/tests/test_celery_redis.py (a worker process, Redis db 15, a queue of its own)
and people/tests/test_ledger_kill.py (a scratch database both processes reach: an SQLite
file, or a fresh PostgreSQL database when the suite runs on PostgreSQL). The worker runs
the task `doorstep.cases.sweep_deadlines`; the overdue flag, and the reminder it sends
through the same worker, are then read straight from the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery

from doorstep.core.scratch_db import manage, scratch_database

REDIS_URL = os.environ.get("DOORSTEP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[3]

SETUP = """
import datetime as dt
from django.utils import timezone
from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.cases.testing import build_case_world
from doorstep.core.testing import build_world

cw = build_case_world(build_world())
p = cw.personas
case = services.create_case(
    actor=p["resident"], category=cw.repair, description="楼道灯坏了",
    location=locate(building=cw.world.building_a),
)
case = services.perform(case, "accept", actor=p["community_officer"])
case = services.perform(case, "dispatch", actor=p["community_officer"], lead=p["party_member"])
case = services.perform(case, "sign", actor=p["party_member"])
now = timezone.now()
Case.objects.filter(pk=case.pk).update(
    due_at=now - dt.timedelta(hours=1), warn_at=now - dt.timedelta(hours=2)
)
print("CASE", case.pk, p["party_member"].pk)
"""


@pytest.fixture
def scratch_db(tmp_path):
    """DATABASE_URL of a migrated database of its own, and a function that runs one query
    on it (core/scratch_db.py)."""
    with scratch_database(tmp_path) as (url, query):
        yield url, query


@pytest.fixture
def worker_on(scratch_db, tmp_path):
    """A Celery worker on Redis db 15 and the scratch database; yields (client, queue, …)."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:  # a missing service fails the suite; never skip
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    url, query = scratch_db
    env = {**os.environ, "DATABASE_URL": url, "DOORSTEP_MEDIA_ROOT": str(tmp_path / "media")}
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)  # the setup runs in-process
    out = manage(env, "shell", "-c", SETUP)
    case_id, handler_id = (int(x) for x in out.split("CASE", 1)[1].split()[:2])

    client = Celery("doorstep-test-client", broker=REDIS_URL, backend=REDIS_URL)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker_env = {
        **env,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "doorstep.cases.tests.celery_worker_settings",
        "DOORSTEP_TEST_QUEUE": queue,
    }
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
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield client, queue, query, case_id, handler_id
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_the_sweep_runs_in_a_worker_and_its_result_is_in_the_database(worker_on):
    client, queue, query, case_id, handler_id = worker_on
    assert query(f"SELECT flag FROM cases_case WHERE id = {case_id}") == ("normal",)
    reminders = f"SELECT COUNT(*) FROM inbox_notification WHERE kind = 'case_overdue' AND user_id = {handler_id}"
    assert query(reminders) == (0,)

    result = client.send_task("doorstep.cases.sweep_deadlines", queue=queue)
    counts = result.get(timeout=90)
    assert counts["overdue"] == 1 and counts["escalated"] == 0
    assert query(f"SELECT flag, version FROM cases_case WHERE id = {case_id}")[0] == "overdue"

    # The reminder went through the same worker (sent on commit), into the handler's inbox.
    deadline = time.monotonic() + 60
    while query(reminders) == (0,) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert query(reminders) == (1,)

    again = client.send_task("doorstep.cases.sweep_deadlines", queue=queue).get(timeout=90)
    assert again == dict.fromkeys(again, 0)
    time.sleep(1)  # a stray second reminder would have arrived by now
    assert query(reminders) == (1,)
