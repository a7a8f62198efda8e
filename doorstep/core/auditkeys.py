"""The keys that make the audit log prove itself, kept outside the database.

- MAC keys (DOORSTEP_AUDIT_KEY, comma-separated): each entry's hash is an HMAC-SHA256 of
  the entry and the hash before it, so someone who can write the table (a DBA, a stolen
  backup) cannot edit a row and re-hash the rest. The first key writes, every listed key
  verifies: rotate by putting a new key first and keeping the old ones. Each entry names
  its key by a short id (a hash of the key, never the key).
- The signing key (DOORSTEP_AUDIT_SIGNING_KEY_FILE, an Ed25519 private key in PEM): it
  signs checkpoints of the chain's head written outside the database (checkpoints.py),
  so cutting the tail or rebuilding the whole chain is found too. Ed25519 from the
  `cryptography` package the field encryption already uses.

Without them (the demo only; production settings refuse to start) both are derived from
the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"doorstep-audit-key-id:" + key).hexdigest()[:12]


@lru_cache(maxsize=1)
def mac_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) for every MAC key, the writing one first."""
    raw = [k.strip().encode() for k in settings.AUDIT_MAC_KEY.split(",") if k.strip()]
    if not raw:
        raw = [hashlib.sha256(b"doorstep-audit-mac:" + settings.SECRET_KEY.encode()).digest()]
    return tuple((key_id(k), k) for k in raw)


def writing_key_id() -> str:
    return mac_keys()[0][0]


def mac(payload: str, kid: str) -> str | None:
    """The HMAC of `payload` under the key named `kid` (None: no such key here)."""
    for candidate, key in mac_keys():
        if candidate == kid:
            return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return None


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    path = settings.AUDIT_SIGNING_KEY_FILE
    if path:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    seed = hashlib.sha256(b"doorstep-audit-signing:" + settings.SECRET_KEY.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def verify_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_id(public: Ed25519PublicKey | None = None) -> str:
    raw = (public or verify_key()).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:12]


def new_signing_key_pem() -> bytes:
    """A fresh Ed25519 private key in PEM (for `manage.py audit_keys`)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def clear_caches() -> None:
    mac_keys.cache_clear()
    signing_key.cache_clear()
