"""双人复核: one mechanism for every sensitive action that needs a second person.

`request()` files an Approval (audited); `decide()` lets someone who holds
`accounts.decide_approval` (the security and audit admins) and is not the requester
approve or reject it (audited); on approval the kind's executor, registered in
EXECUTORS, does the action. A later two-person rule is one more Kind and one executor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from doorstep.core import audit
from doorstep.core.errors import Conflict, NotAllowed
from doorstep.core.models import AuditAction

from . import grants, passwords
from .models import Approval, Membership, Role, User

Executor = Callable[[Approval, User], dict[str, Any]]
EXECUTORS: dict[str, Executor] = {}
# Who may decide a kind, when not the security and audit admins (a fund's keepers decide
# its spending): kind -> why the actor may not decide it (None: they may). Registered by
# the domain that owns the kind, like its executor.
Decider = Callable[[User, Approval], "str | None"]
DECIDERS: dict[str, Decider] = {}


def decider(kind: str) -> Callable[[Decider], Decider]:
    def register(fn: Decider) -> Decider:
        DECIDERS[kind] = fn
        return fn

    return register


def executor(kind: str) -> Callable[[Executor], Executor]:
    def register(fn: Executor) -> Executor:
        EXECUTORS[kind] = fn
        return fn

    return register


def request(
    *, kind: str, actor: User, target: User, summary: str, payload: dict[str, Any], reason: str = ""
) -> Approval:
    """File a request for a second person (the same pending one is not filed twice)."""
    same = Approval.objects.filter(
        kind=kind, target=target, payload=payload, status=Approval.Status.PENDING
    ).first()
    if same is not None:
        return same
    with transaction.atomic():
        approval = Approval.objects.create(
            kind=kind,
            target=target,
            summary=summary[:200],
            payload=payload,
            reason=reason[:200],
            requested_by=actor,
        )
        audit.record(
            actor=actor,
            action=AuditAction.APPROVAL,
            target=approval,
            detail={"op": "request", "kind": kind, "summary": approval.summary},
        )
    return approval


def may_decide(actor: User, approval: Approval) -> str | None:
    """Why `actor` may not decide this (None: they may). Nobody decides their own request."""
    if approval.kind in DECIDERS:
        if approval.requested_by_id == actor.pk:
            return "不能审批自己提交的申请，须由另一位工作人员审批"
        return DECIDERS[approval.kind](actor, approval)
    if not actor.has_perm("accounts.decide_approval"):
        return "只有安全管理员或审计管理员可以审批"
    if approval.requested_by_id == actor.pk:
        return "不能审批自己提交的申请，须由另一位管理员审批"
    if approval.target_id == actor.pk:
        return "不能审批与自己账号有关的申请"
    return None


def decide(*, approval: Approval, actor: User, approve: bool, note: str = "") -> dict[str, Any]:
    """Approve (and carry out) or reject a pending request; returns what the executor
    hands back to show once (e.g. a temporary password)."""
    why = may_decide(actor, approval)
    if why:
        raise NotAllowed(why)
    with transaction.atomic():
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        if locked.status != Approval.Status.PENDING:
            raise Conflict(f"该申请已{locked.get_status_display()}")
        locked.status = Approval.Status.APPROVED if approve else Approval.Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.note = note[:200]
        locked.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit.record(
            actor=actor,
            action=AuditAction.APPROVAL,
            target=locked,
            detail={
                "op": "approve" if approve else "reject",
                "kind": locked.kind,
                "requested_by": locked.requested_by.get_username() if locked.requested_by else None,
            },
        )
        outcome = EXECUTORS[locked.kind](locked, actor) if approve else {}
    approval.refresh_from_db()
    return outcome


# --- role grants -------------------------------------------------------------------------


def grant_needs_approval(actor: User, role: Role) -> bool:
    return not actor.is_superuser and grants.reads_personal_data(role)


def request_grant(
    *,
    actor: User,
    user: User,
    organisation: Any,
    role: Role,
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
    membership_id: int | None = None,
) -> Approval:
    """Ask for a role that reads personal data to be granted (or a membership changed to
    it); `organisation` is the node it is held at."""
    return request(
        kind=Approval.Kind.ROLE_GRANT,
        actor=actor,
        target=user,
        summary=f"授予 {user} 在“{organisation.name}”的“{role.name}”角色",
        payload={
            "organisation": organisation.pk,
            "role": role.pk,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_to": valid_to.isoformat() if valid_to else None,
            "membership": membership_id,
        },
    )


def grant_or_file(*, actor: User, membership: Membership) -> Approval | None:
    """A membership about to be saved (new or changed): file it for approval when its role
    reads personal data (returns the Approval; the caller must not save), else None."""
    if not grant_needs_approval(actor, membership.role):
        return None
    return request_grant(
        actor=actor,
        user=membership.user,
        organisation=membership.organisation,
        role=membership.role,
        valid_from=membership.valid_from,
        valid_to=membership.valid_to,
        membership_id=membership.pk,
    )


@executor(Approval.Kind.ROLE_GRANT)
def _grant(approval: Approval, actor: User) -> dict[str, Any]:
    p = approval.payload
    fields = {
        "organisation_id": p["organisation"],
        "role_id": p["role"],
        "valid_from": dt.datetime.fromisoformat(p["valid_from"]) if p["valid_from"] else None,
        "valid_to": dt.datetime.fromisoformat(p["valid_to"]) if p["valid_to"] else None,
    }
    before = None
    existing = Membership.objects.filter(pk=p.get("membership"), user=approval.target).first()
    if existing is not None:
        before = grants.facts(existing)
        for k, v in fields.items():
            setattr(existing, k, v)
        existing.save()
        m = existing
    else:
        m, _ = Membership.objects.update_or_create(
            user=approval.target,
            organisation_id=fields["organisation_id"],
            role_id=fields["role_id"],
            defaults={"valid_from": fields["valid_from"], "valid_to": fields["valid_to"]},
        )
    m = Membership.objects.select_related("user", "organisation", "role").get(pk=m.pk)
    grants.record(
        actor,
        m,
        "change" if before else "add",
        before,
        approval=approval.pk,
        requested_by=approval.requested_by.get_username() if approval.requested_by else None,
    )
    grants.grant_staff_if_needed(m)
    return {}


# --- password resets ---------------------------------------------------------------------


def request_password_reset(*, actor: User, user: User, reason: str = "") -> Approval:
    if not actor.has_perm("accounts.change_user"):
        raise NotAllowed("没有管理用户的权限")
    if user.pk == actor.pk:
        raise NotAllowed("请在“修改密码”页修改自己的密码")
    how = "邮件链接" if user.email else "临时密码（下次登录须修改）"
    return request(
        kind=Approval.Kind.PASSWORD_RESET,
        actor=actor,
        target=user,
        summary=f"重置 {user} 的密码（{how}）",
        payload={"by": "link" if user.email else "temporary"},
        reason=reason,
    )


@executor(Approval.Kind.PASSWORD_RESET)
def _reset(approval: Approval, actor: User) -> dict[str, Any]:
    user = User.objects.get(pk=approval.target_id)
    if user.email:
        transaction.on_commit(lambda: passwords.send_reset_link(user))
        passwords.record(user=user, actor=actor, op="reset_link", approval=approval.pk)
        return {"sent_to": user.email}
    temporary = passwords.set_temporary(user)
    passwords.record(user=user, actor=actor, op="reset_temporary", approval=approval.pk)
    return {"temporary_password": temporary}
