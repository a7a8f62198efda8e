"""Login lockout by username + IP, counted from the audit log (no extra state to keep)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from doorstep.core.models import AuditAction, AuditEntry


def is_locked_out(*, username: str, ip: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
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
