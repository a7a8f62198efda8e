"""The embedded default's web process starts, serves, and runs the beat schedule itself
(a real `runserver --noreload` on a migrated SQLite file, logging at INFO), in the demo
profile `make demo` uses: DEBUG off over plain HTTP, keys made under var/ on first run,
Chinese error pages, static files through WhiteNoise."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runserver_serves_and_its_jobs_thread_runs_the_schedule(tmp_path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "DOORSTEP_PROFILE": "demo",
        "DOORSTEP_VAR_DIR": str(var),
        "DOORSTEP_LOG_LEVEL": "INFO",
        "DOORSTEP_MEDIA_ROOT": str(tmp_path / "media"),
    }
    for name in ("DATABASE_URL", "DOORSTEP_DEBUG", "DOORSTEP_SECRET_KEY", "DOORSTEP_FIELD_KEY",
                 "DOORSTEP_AUDIT_KEY", "DOORSTEP_AUDIT_SIGNING_KEY_FILE"):  # fmt: skip
        env.pop(name, None)
    env.pop("CELERY_BROKER_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    # first run made the demo's keys, readable by the owner only, in var/ next to its database
    keys = json.loads((var / "demo-keys.json").read_text())
    assert set(keys) == {"secret_key", "field_key", "audit_key"}
    for name in ("demo-keys.json", "demo-audit-signing.pem"):
        assert stat.S_IMODE((var / name).stat().st_mode) == 0o600, name
    assert (var / "demo.sqlite3").exists()
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
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                        status = r.status
                except OSError:
                    pass
                ran = "in-process jobs:" in log.read_text()
            base = f"http://127.0.0.1:{port}"
            missing = _get(f"{base}/no-such-page/")
            css = _get(f"{base}/static/css/doorstep.css")
            icon = _get(f"{base}/favicon.ico")
            login = _get(f"{base}/accounts/login/")
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert status == 200, text[-3000:]
    assert ran, text[-3000:]
    assert "doorstep.service.credit_cases" in text and "doorstep.cases.sweep_deadlines" in text
    assert "Traceback" not in text, text[-3000:]
    # DEBUG is off: a Chinese 404, not Django's list of every URL pattern
    assert missing[0] == 404 and "找不到这个页面" in missing[1], missing
    assert "URLconf" not in missing[1] and "Page not found" not in missing[1]
    assert css[0] == 200 and ".topbar" in css[1]  # WhiteNoise, no collectstatic
    assert icon[0] == 200
    # plain HTTP: no redirect to https, no Secure-only cookie the browser would drop
    assert login[0] == 200 and "登录" in login[1], login[0]
    assert "secure" not in login[2].lower(), login[2]
    # the keys stayed the same for the second process (the web server)
    assert json.loads((var / "demo-keys.json").read_text()) == keys


def _get(url: str) -> tuple[int, str, str]:
    """(status, body, Set-Cookie) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read().decode(errors="replace"), r.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), e.headers.get("Set-Cookie", "")
