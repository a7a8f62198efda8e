"""The production profile for the mixed-load benchmark: its environment and the server
(gunicorn with deploy/gunicorn.conf.py), started and stopped.

The server runs `_load_settings` (config.settings as the environment below makes it, plus
the floor URL); see that module.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DB = 13  # a Redis database of its own (and the broker's below it), flushed per run


# ---------------------------------------------------------------- the environment


def environment(database_url: str, replica_url: str = "") -> dict[str, str]:
    """The production environment (deploy/doorstep.env.example) for a run on loopback.

    The field key is the one the district preset was encrypted with (the development
    default derives it from the development secret), so the seeded residents decrypt; every
    other key is made here."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    var = ROOT / "var" / "bench" / "load"
    var.mkdir(parents=True, exist_ok=True)
    signing = var / "audit-signing.pem"
    if not signing.exists():
        signing.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    dev_secret = "insecure-demo-key-change-me-" + "x" * 32
    field_key = base64.urlsafe_b64encode(hashlib.sha256(dev_secret.encode()).digest()).decode()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "_load_settings",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
        "DOORSTEP_DEBUG": "0",
        "DOORSTEP_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DOORSTEP_CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        "DOORSTEP_SITE_URL": "https://127.0.0.1",
        "DOORSTEP_TRUSTED_PROXIES": "127.0.0.1",
        "DOORSTEP_SSL_REDIRECT": "1",
        "DOORSTEP_SECRET_KEY": "bench-load-" + hashlib.sha256(b"bench secret").hexdigest(),
        "DOORSTEP_FIELD_KEY": field_key,
        "DOORSTEP_AUDIT_KEY": hashlib.sha256(b"bench audit").hexdigest(),
        "DOORSTEP_AUDIT_SIGNING_KEY_FILE": str(signing),
        "DOORSTEP_AUDIT_CHECKPOINT_FILE": str(var / "audit-checkpoints.jsonl"),
        "DATABASE_URL": database_url,
        "DOORSTEP_DB_POOL_SIZE": "2",
        "DOORSTEP_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{CACHE_DB - 1}",
        "DOORSTEP_CACHE_URL": f"redis://127.0.0.1:6379/{CACHE_DB}",
        "DOORSTEP_VAR_DIR": str(var),
        "DOORSTEP_MEDIA_ROOT": str(var / "media"),
        "DOORSTEP_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DOORSTEP_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    return env


def flush_redis() -> None:
    import redis

    for db in (CACHE_DB - 1, CACHE_DB):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn as deploy/ runs it (its config file, 4 sync workers), on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = {**env, "DOORSTEP_BIND": f"127.0.0.1:{self.port}"}
        self.log = log

    def __enter__(self) -> Server:
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "config.wsgi",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log}")
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/healthz",
                    headers={"X-Forwarded-Proto": "https"},
                )
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer /healthz in 60 s; see {self.log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
