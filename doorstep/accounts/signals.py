"""Login, logout and failed logins go to the audit log (infrastructure, not domain logic)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from doorstep.core import audit
from doorstep.core.models import AuditAction


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action=AuditAction.LOGIN, target=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, action=AuditAction.LOGOUT, target=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The password never reaches the log; Django already masks it in `credentials`. People
    # type phone or ID numbers (even passwords) into the username box: an unknown username
    # is kept only as a keyed hash, enough to count repeats, never readable.
    from .lockout import recorded_name

    username = recorded_name(str(credentials.get("username", "")))
    audit.record(actor=None, actor_name=username, action=AuditAction.LOGIN_FAILED)
