"""The embedded default's web process starts, serves, and runs the beat schedule itself
(a real `runserver --noreload` on a migrated SQLite file, logging at INFO)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runserver_serves_and_its_jobs_thread_runs_the_schedule(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "DOORSTEP_LOG_LEVEL": "INFO",
        "DOORSTEP_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env={**env, "DOORSTEP_TEST_FIRST_RUN_DELAY": "1"},
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            status, ran = None, False
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (status == 200 and ran):
                time.sleep(0.5)
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                        status = r.status
                except OSError:
                    pass
                ran = "in-process jobs:" in log.read_text()
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert status == 200, text[-3000:]
    assert ran, text[-3000:]
    assert "doorstep.service.credit_cases" in text and "doorstep.cases.sweep_deadlines" in text
    assert "Traceback" not in text, text[-3000:]
