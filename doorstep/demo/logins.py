"""Demo logins (演示账号): one user per role, each holding its role at a fitting node."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from doorstep.accounts.models import Membership, Role, User
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident

from .common import DEMO_PASSWORD, Log


@dataclass(frozen=True)
class Login:
    """A demo account: who, which role where, and (for residents) which resident they are."""

    username: str
    display: str
    role: str | None  # None: the superuser
    org: Organisation | None = None
    resident: Resident | None = None


def ensure_logins(logins: Sequence[Login]) -> None:
    """Create missing users with the demo password; add their roles. Existing passwords stay."""
    # One hash for all: PBKDF2 takes a noticeable fraction of a second per call.
    hashed = make_password(DEMO_PASSWORD)
    roles = {r.code: r for r in Role.objects.all()}
    for login in logins:
        user = User.objects.filter(username=login.username).first()
        if user is None:
            user = User.objects.create(
                username=login.username,
                display_name=login.display,
                password=hashed,
                is_superuser=login.role is None,
                is_staff=login.role is None,
            )
        if login.role is not None and login.org is not None:
            role = roles[login.role]
            Membership.objects.get_or_create(user=user, organisation=login.org, role=role)
            if role.is_staff_role and not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        if login.resident is not None:
            Resident.objects.filter(user=user).exclude(pk=login.resident.pk).update(user=None)
            Resident.objects.filter(pk=login.resident.pk).update(user=user)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def print_logins(log: Log, usernames: Sequence[str]) -> None:
    """Print a table of the demo logins as they stand in the database."""
    rows: list[tuple[str, str, str, str]] = [("账号", "密码", "角色", "范围")]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    for username in usernames:
        user = users.get(username)
        if user is None:
            continue
        if user.is_superuser:
            rows.append((username, DEMO_PASSWORD, "超级管理员", "全部"))
        memberships = (
            Membership.objects.filter(user=user)
            .select_related("role", "organisation")
            .order_by("id")
        )
        for m in memberships:
            rows.append((username, DEMO_PASSWORD, m.role.name, m.organisation.name))
    widths = [max(_width(r[i]) for r in rows) + 2 for i in range(4)]
    for i, row in enumerate(rows):
        log("  " + "".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            log("  " + "-" * (sum(widths) - 2))
    log("  （已存在的账号保留原来的密码。）")
