"""API tokens: issued once in clear, stored as a SHA-256 hash, checked on each request."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from doorstep.core import audit
from doorstep.core.models import AuditAction

from .models import ApiToken, User


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(*, user: User, name: str, actor: Any) -> str:
    """Create a token for `user`; returns the secret, which is never stored."""
    secret = "ds_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:10], key_hash=_hash(secret)
    )
    audit.record(actor=actor, action=AuditAction.TOKEN, target=token, detail={"for": user.username})
    return secret


LAST_USED_PRECISION = dt.timedelta(minutes=1)


def user_for_token(secret: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    # "Last used" to the minute is enough, and saves a write on every call of a busy client.
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class TokenAuth(HttpBearer):
    """Authorization: Bearer ds_…"""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie: not this scheme's business, so the caller gets 401, not a
        # CSRF failure.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None
