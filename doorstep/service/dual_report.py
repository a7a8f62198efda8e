"""双报到 (在职党员到居住地社区报到): the member asks on a page, the community confirms.

On confirmation the member's record says so (`PartyMember.in_service`,
`reported_community`, `reported_on`, through `people.households.save_party_member`), the
party roll shows it, and from then the member may take the community's posts as a dual
report (teams.apply) and their hours count there. The member is told either way.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people import households
from doorstep.atlas.people.models import PartyMember
from doorstep.core.text import refusal
from doorstep.inbox.services import notify

from .errors import Conflict, Denied, ServiceError
from .models import DualReport, DualStatus


def member_of(user: Actor) -> PartyMember | None:
    return (
        PartyMember.objects.filter(resident__user=user)
        .select_related("reported_community", "resident")
        .first()
    )


def _text(value: Any, field: str, label: str, limit: int, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ServiceError(f"请填写{label}", field)
    if len(text) > limit:
        raise ServiceError(f"{label}过长（最多{limit}字）", field)
    if message := refusal(text):
        raise ServiceError(f"{label}{message}", field)
    return text


def request(
    user: Actor,
    community: Organisation | None,
    *,
    work_unit: str,
    unit_party_org: str = "",
    skills: str = "",
) -> DualReport:
    """The member asks to report to a community; its staff are told."""
    member = member_of(user)
    if member is None:
        raise ServiceError("您的账号没有关联党员信息，请联系社区登记")
    if community is None or community.kind != Kind.COMMUNITY:
        raise ServiceError("请选择要报到的社区", "community")
    if member.reported_community_id == community.pk:
        raise Conflict(f"您已在{community.name}报到")
    fields = {
        "work_unit": _text(work_unit, "work_unit", "工作单位", 100),
        "unit_party_org": _text(unit_party_org, "unit_party_org", "所在单位党组织", 100, False),
        "skills": _text(skills, "skills", "特长与意愿", 200, False),
    }
    try:
        with transaction.atomic():
            report = DualReport.objects.create(member=member, community=community, **fields)
    except IntegrityError:
        raise Conflict("您已有一份待社区确认的报到申请") from None
    from doorstep.accounts.queries import members_with_permission

    notify(
        members_with_permission(community.pk, "people.change_partymember"),
        kind="dual_report",
        title=f"在职党员双报到待确认：{member.resident.name}",
        body=f"{member.resident.name}（{fields['work_unit']}）申请到{community.name}报到",
        url="/service/dual-reports/",
    )
    return report


def decide(report: DualReport, *, actor: Actor, confirm: bool, reason: str = "") -> DualReport:
    """Confirm (the member's record follows) or decline with a reason the member sees."""
    if not actor.has_perm("people.change_partymember"):
        raise Denied("没有确认双报到的权限")
    reason = _text(reason, "reason", "原因", 200, required=not confirm)
    with transaction.atomic():
        locked = DualReport.objects.select_for_update().get(pk=report.pk)
        if locked.status != DualStatus.PENDING:
            raise Conflict("该申请已处理")
        now = timezone.now()
        locked.status = DualStatus.CONFIRMED if confirm else DualStatus.DECLINED
        locked.decided_by, locked.decided_at, locked.reason = actor, now, reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        member = PartyMember.objects.select_for_update().get(pk=locked.member_id)
        if confirm:
            member.in_service = True
            member.work_unit = locked.work_unit
            member.reported_community = locked.community
            member.reported_on = timezone.localdate()
            households.save_party_member(member=member, actor=actor)
        user_id = member.resident.user_id
        if user_id:
            notify(
                [user_id],
                kind="dual_report",
                title=(
                    f"您已在{locked.community.name}报到"
                    if confirm
                    else f"{locked.community.name}未通过您的报到申请"
                ),
                body="可以到“我的服务”认领社区岗位了" if confirm else f"原因：{reason}",
                url="/service/me/",
            )
    return locked
