"""Password resets that nobody else can use to take an account over.

- A user with an e-mail address resets by a one-time link (Django's token generator:
  the link dies once the password changes, or after PASSWORD_RESET_TIMEOUT).
- An account that reads personal data is reset only after a second admin approves
  (approvals.py): by the link when it has an e-mail address, else by a temporary
  password that the approver hands over and that must be changed at the next login.
- Every reset and change is written to the hash-chained audit log and told to the
  account's owner (inbox and e-mail).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from doorstep.core import audit, links
from doorstep.core.models import AuditAction
from doorstep.inbox.services import notify

from .models import User

TEMPORARY_ALPHABET = string.ascii_letters + string.digits


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", args=[uid, token])
    return links.absolute(path)


def send_reset_link(user: User) -> None:
    """Mail the one-time link to the account's own address (never shown to anyone)."""
    send_mail(
        "【家门口】重置密码",
        f"{user} 您好：\n\n请在 {settings.PASSWORD_RESET_TIMEOUT // 3600} 小时内打开下面的链接设置新密码"
        f"（只能使用一次）：\n{reset_link(user)}\n\n如果不是您本人或管理员为您申请的，"
        "请立即联系街道安全管理员。",
        None,
        [user.email],
    )


def set_temporary(user: User) -> str:
    """A temporary password, to be changed at the next login; returned once."""
    temporary = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))
    user.set_password(temporary)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return temporary


def set_by_owner(user: User, *, op: str) -> None:
    """The owner has just set a new password (change form or reset link): the temporary
    one, if any, is done with; audited and told."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    record(user=user, actor=user, op=op)


def record(*, user: User, actor: Any, op: str, **detail: Any) -> None:
    """Audit a password event and tell the owner."""
    audit.record(
        actor=actor,
        action=AuditAction.PASSWORD,
        target=user,
        detail={"op": op, "user": user.get_username(), **detail},
    )
    text = {
        "reset_link": "管理员已批准重置您的密码，重置链接已发到您的邮箱。",
        "reset_temporary": "管理员已将您的密码重置为临时密码，下次登录须先修改。",
        "changed": "您的密码已修改。",
        "reset_by_link": "您已通过邮件链接重设密码。",
    }.get(op, "您的账号密码有变动。")
    notify(
        [user.pk],
        kind="security",
        title="账号安全提醒",
        body=text + "如非本人操作，请立即联系街道安全管理员。",
    )
