"""Issuing, checking and revoking Open311 API keys, and the per-key rate limit."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from doorstep.core import audit
from doorstep.core.models import AuditAction

from .models import ApiKey

SECRET_PREFIX = "o311_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def fill_secret(key: ApiKey) -> str:
    """Give an unsaved key a fresh secret (its hash and prefix); returns the secret."""
    secret = new_secret()
    key.key_hash = hash_secret(secret)
    key.prefix = secret[:12]
    return secret


@transaction.atomic
def issue_key(
    *, name: str, user: Any = None, rate_limit_per_minute: int = 60, actor: Any
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its secret, which is never stored."""
    key = ApiKey(name=name, user=user, rate_limit_per_minute=rate_limit_per_minute)
    secret = fill_secret(key)
    key.save()
    record_issue(key, actor)
    return key, secret


def record_issue(key: ApiKey, actor: Any) -> None:
    audit.record(
        actor=actor,
        action=AuditAction.TOKEN,
        target=key,
        detail={
            "op": "issue",
            "kind": "open311",
            "for": key.user.get_username() if key.user else "",
        },
    )


@transaction.atomic
def revoke_keys(keys: Any, *, actor: Any) -> int:
    """Deactivate the given keys (a queryset); returns how many were still active."""
    now = timezone.now()
    found = list(
        ApiKey.objects.select_for_update().filter(
            pk__in=list(keys.values_list("pk", flat=True)), active=True
        )
    )
    for key in found:
        ApiKey.objects.filter(pk=key.pk).update(active=False, revoked_at=now)
        audit.record(
            actor=actor,
            action=AuditAction.TOKEN,
            target=key,
            detail={"op": "revoke", "kind": "open311"},
        )
    return len(found)


def key_for_secret(secret: str) -> ApiKey | None:
    """The active key with this secret (its user, if any, must be active too)."""
    if not secret or len(secret) > 200 or "\x00" in secret:
        return None
    key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=hash_secret(secret), active=True)
        .first()
    )
    if key is None or (key.user is not None and not key.user.is_active):
        return None
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
    return key


# ---------------------------------------------------------------- rate limit

RATE_WINDOW_SECONDS = 60
_clock = time.time  # tests may replace it to stay inside one window


def _cache() -> Any:
    return caches[getattr(settings, "OPEN311_RATE_CACHE", "default")]


def take(key: ApiKey) -> bool:
    """Count one request against the key's fixed one-minute window; False once over."""
    window = int(_clock()) // RATE_WINDOW_SECONDS
    name = f"open311:rate:{key.pk}:{window}"
    cache = _cache()
    cache.add(name, 0, timeout=RATE_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=RATE_WINDOW_SECONDS * 2)
        count = 1
    return count <= key.rate_limit_per_minute
