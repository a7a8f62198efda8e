"""The demo profile (DOORSTEP_PROFILE=demo, what `make demo` runs): production-like pages
(DEBUG off, so Chinese error pages and no URL listing) over plain HTTP on one machine.

Its keys are made on first run and kept under var/ (mode 0600), so a newcomer sets
nothing and the data seeded once stays readable across restarts. An operator's own
DOORSTEP_* key variables still win. Production never takes keys from here: without the
profile, settings refuse to start with DEBUG off and a key missing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from pathlib import Path

KEYS_FILE = "demo-keys.json"
SIGNING_KEY_FILE = "demo-audit-signing.pem"


def _write_once(path: Path, body: bytes) -> None:
    """Create `path` with mode 0600 unless it exists; two processes starting at once
    (runserver and its reloader) end up with the same file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        with contextlib.suppress(FileExistsError):  # another process made it first: keep theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def keys(var_dir: Path) -> dict[str, str]:
    """{"secret_key", "field_key", "audit_key", "signing_key_file"} for the demo."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / KEYS_FILE
    if not path.exists():
        fresh = {
            "secret_key": secrets.token_urlsafe(50),
            "field_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "audit_key": secrets.token_urlsafe(32),
        }
        _write_once(path, json.dumps(fresh, indent=1).encode())
    pem = var_dir / SIGNING_KEY_FILE
    if not pem.exists():
        from doorstep.core.auditkeys import new_signing_key_pem  # the one `audit_keys` uses

        _write_once(pem, new_signing_key_pem())
    found: dict[str, str] = json.loads(path.read_text())
    return {**found, "signing_key_file": str(pem)}
