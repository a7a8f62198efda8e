"""Granting roles (任职) and what makes a role or an account sensitive.

A role "reads personal data" when it holds one of PERSONAL_DATA_PERMS: granting it, and
resetting the password of an account that holds it, need a second person's approval
(approvals.py), so the security admin alone can neither hand out the ledger nor take over
an account that reads it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from doorstep.core import audit
from doorstep.core.models import AuditAction

from .models import Membership, Role, User

PERSONAL_DATA_PERMS = (
    ("people", "view_resident"),
    ("people", "unmask_personal_data"),
    ("people", "export_ledger"),
    ("people", "import_ledger"),
)


def _personal_q() -> Q:
    q = Q(pk__in=[])
    for app, codename in PERSONAL_DATA_PERMS:
        q |= Q(permissions__content_type__app_label=app, permissions__codename=codename)
    return q


def reads_personal_data(role: Role) -> bool:
    return Role.objects.filter(_personal_q(), pk=role.pk).exists()


def holds_personal_data(user: User) -> bool:
    """Whether the account holds (now or later: any membership) a role that reads
    personal data; superusers hold everything."""
    if user.is_superuser:
        return True
    roles = Membership.objects.filter(user=user).values("role")
    return Role.objects.filter(_personal_q(), pk__in=roles).exists()


def facts(m: Membership) -> dict[str, Any]:
    return {
        "user": m.user.get_username(),
        "organisation": m.organisation_id,
        "organisation_name": m.organisation.name,
        "role": m.role.code,
        "valid_from": m.valid_from.isoformat() if m.valid_from else None,
        "valid_to": m.valid_to.isoformat() if m.valid_to else None,
    }


def record(actor: Any, m: Membership, op: str, before: Any = None, **extra: Any) -> None:
    detail: dict[str, Any] = {"op": op, **facts(m), **extra}
    if before is not None:
        detail["before"] = before
    audit.record(actor=actor, action=AuditAction.ROLE_CHANGE, target=m, detail=detail)


def grant_staff_if_needed(m: Membership) -> None:
    """A role that opens the back office makes its holder staff (never the reverse here)."""
    if m.role.is_staff_role:
        User.objects.filter(pk=m.user_id, is_staff=False).update(is_staff=True)
