"""Field-level encryption and keyed hashes for personal data (个人信息).

ID-card numbers, phone numbers and vulnerable-group tags are stored encrypted (Fernet:
AES-128-CBC + HMAC-SHA256, from the well-kept `cryptography` package). To find a person by
an exact number without decrypting every row, we also store an HMAC of the normalised
number (a keyed hash: useless without the key, unlike a plain SHA of an 18-digit number).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _keys() -> tuple[MultiFernet, bytes]:
    raw = settings.FIELD_ENCRYPTION_KEY
    if raw:
        # Several keys separated by commas: the first encrypts, all decrypt (key rotation:
        # put the new key first, keep the old ones until everything is re-encrypted).
        keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
    else:
        keys = [base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest())]
    # The lookup hashes must survive a rotation of the encryption keys, so their key is its
    # own setting, or else derived from the oldest (last) encryption key, which rotation
    # never moves.
    lookup = settings.FIELD_LOOKUP_KEY.encode() or keys[-1]
    mac_key = hashlib.sha256(b"doorstep-lookup-hash:" + lookup).digest()
    return MultiFernet([Fernet(k) for k in keys]), mac_key


def encrypt(value: str) -> str:
    return _keys()[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys()[0].decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or a tampered value: never show ciphertext
        raise ValueError("cannot decrypt personal data field") from exc


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised identifier, for exact-match search and uniqueness."""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(_keys()[1], normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python sees plain text."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


class EncryptedJSONField(models.Field):  # type: ignore[type-arg]
    """A JSON value (list or dict) stored encrypted in a text column; Python sees the value."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))
