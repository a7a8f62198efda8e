"""Login lockout by username + IP, and by IP alone, counted from the audit log (no extra
state to keep). An unknown username is counted the same way as a real one (under the
keyed hash its failures are recorded by), so the lockout does not tell which accounts
exist."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from doorstep.core.models import AuditAction, AuditEntry


def recorded_name(username: str) -> str:
    """The name a failed login is recorded (and counted) by: the username of an existing
    account; for an unknown one a keyed hash — people type phone or ID numbers, even
    passwords, into the username box."""
    from django.contrib.auth import get_user_model

    from doorstep.core.crypto import lookup_hash

    username = username[:150]
    if get_user_model().objects.filter(username=username).exists():
        return username
    return "未知账号:" + lookup_hash(username)[:16]


def is_locked_out(*, username: str, ip: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if (
        ip
        and AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, ip=ip, at__gte=since).count()
        >= settings.LOGIN_LOCKOUT_IP_FAILURES
    ):
        return True  # one address trying many names
    username = recorded_name(username)
    last_success = (
        AuditEntry.objects.filter(
            action=AuditAction.LOGIN, actor_name=username, ip=ip, at__gte=since
        )
        .values_list("at", flat=True)
        .order_by("-at")
        .first()
    )
    failures = AuditEntry.objects.filter(
        action=AuditAction.LOGIN_FAILED, actor_name=username, ip=ip, at__gte=last_success or since
    ).count()
    return failures >= settings.LOGIN_LOCKOUT_FAILURES
