"""Volunteer teams and posts (认岗领责): create, join, apply, approve, leave.

Staff act within their subtree; a post's holders never exceed its slots (the post row is
locked while approving); in-service party members who report to a community (双报到)
may take a post there as their report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.accounts.typing import Actor
from doorstep.atlas.people.models import PartyMember
from doorstep.inbox.services import notify

from . import ledger
from .errors import Conflict, Denied, ServiceError
from .models import (
    ACTIVE_HOLDING,
    HoldingStatus,
    MemberKind,
    Post,
    PostHolding,
    RuleCode,
    Team,
    TeamMember,
)


def _clean(text: str, field: str, label: str, limit: int, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ServiceError(f"请填写{label}", field)
    if "\x00" in text or len(text) > limit:
        raise ServiceError(f"{label}不超过{limit}字，且不能含无效字符", field)
    return text


def create_team(
    *,
    actor: Actor,
    organisation: Any,
    name: str,
    theme: Any = None,
    leader: Actor | None = None,
    skills: str = "",
    description: str = "",
) -> Team:
    if not (actor.has_perm("service.add_team") and scope_of(actor).covers(organisation.path)):
        raise Denied("只能在本辖区组建志愿服务队")
    name = _clean(name, "name", "队伍名称", 60)
    try:
        with transaction.atomic():
            team = Team.objects.create(
                name=name,
                organisation=organisation,
                theme=theme,
                leader=leader,
                skills=_clean(skills, "skills", "服务技能", 200, required=False),
                description=_clean(description, "description", "队伍简介", 2000, required=False),
            )
            if leader is not None:
                TeamMember.objects.create(team=team, user=leader, kind=_kind_of(leader))
    except IntegrityError:
        raise Conflict("本组织已有同名队伍", "name") from None
    return team


def _kind_of(user: Actor) -> str:
    if PartyMember.objects.filter(resident__user=user).exists():
        return MemberKind.PARTY
    if user.memberships.filter(role__code="volunteer").exists():
        return MemberKind.VOLUNTEER
    return MemberKind.RESIDENT


def join(team: Team, user: Actor, *, actor: Actor) -> TeamMember:
    """A staff member adds someone, or a person joins themselves."""
    if actor.pk != user.pk and not (
        actor.has_perm("service.change_team") and scope_of(actor).covers(team.organisation_path)
    ):
        raise Denied("没有管理该队伍的权限")
    if not team.active:
        raise Conflict("该队伍已撤销")
    try:
        with transaction.atomic():
            return TeamMember.objects.create(team=team, user=user, kind=_kind_of(user))
    except IntegrityError:
        raise Conflict("已是该队队员") from None


def leave(team: Team, user: Actor, *, actor: Actor) -> None:
    if actor.pk != user.pk and not (
        actor.has_perm("service.change_team") and scope_of(actor).covers(team.organisation_path)
    ):
        raise Denied("没有管理该队伍的权限")
    n = TeamMember.objects.filter(team=team, user=user, left_at__isnull=True).update(
        left_at=timezone.now()
    )
    if n == 0:
        raise Conflict("不是该队队员")


def create_post(
    *,
    actor: Actor,
    organisation: Any,
    title: str,
    duties: str = "",
    slots: int = 1,
    team: Any = None,
) -> Post:
    if not (actor.has_perm("service.add_post") and scope_of(actor).covers(organisation.path)):
        raise Denied("只能在本辖区设岗")
    if not 1 <= slots <= 1000:
        raise ServiceError("岗位人数应在1到1000之间", "slots")
    return Post.objects.create(
        title=_clean(title, "title", "岗位名称", 60),
        organisation=organisation,
        duties=_clean(duties, "duties", "岗位职责", 2000, required=False),
        slots=slots,
        team=team,
    )


def _dual_report_ok(user: Actor, post: Post) -> bool:
    member = PartyMember.objects.filter(resident__user=user, in_service=True).first()
    community = getattr(member, "reported_community", None)
    return community is not None and post.organisation_path.startswith(community.path)


def apply(post: Post, user: Actor, *, dual_report: bool = False, note: str = "") -> PostHolding:
    """认岗: apply for a post (staff of the area then approve)."""
    if not post.active:
        raise Conflict("该岗位已撤销")
    if dual_report and not _dual_report_ok(user, post):
        raise ServiceError("只有已报到本社区的在职党员可以双报到认岗", "dual_report")
    try:
        with transaction.atomic():
            holding = PostHolding.objects.create(
                post=post,
                user=user,
                status=HoldingStatus.APPLIED,
                dual_report=dual_report,
                note=_clean(note, "note", "说明", 200, required=False),
            )
    except IntegrityError:
        raise Conflict("您已申请或正在该岗位") from None
    return holding


def _lock_post(post_id: int) -> Post:
    qs = Post.objects.all()
    if connection.vendor == "postgresql":
        qs = qs.select_for_update()
    return qs.get(pk=post_id)


def _may_decide(actor: Actor, post: Post) -> bool:
    return actor.has_perm("service.change_post") and scope_of(actor).covers(post.organisation_path)


def approve(holding: PostHolding, *, actor: Actor) -> PostHolding:
    """领责: the applicant takes the post, if a slot is free."""
    with transaction.atomic():
        post = _lock_post(holding.post_id)
        if not _may_decide(actor, post):
            raise Denied("您无权审批该岗位")
        if holding.user_id == actor.pk:
            raise Denied("不能审批本人的认岗申请")
        if not post.active:
            raise Conflict("该岗位已撤销")
        held = post.holdings.filter(status=HoldingStatus.HOLDING).count()
        if held >= post.slots:
            raise Conflict(f"该岗位已满（{post.slots}人）")
        now = timezone.now()
        if (
            PostHolding.objects.filter(pk=holding.pk, status=HoldingStatus.APPLIED).update(
                status=HoldingStatus.HOLDING,
                decided_by=actor,
                decided_at=now,
                since=timezone.localdate(),
            )
            != 1
        ):
            raise Conflict("该申请已处理")
        holding.refresh_from_db()
        notify(
            [holding.user_id],
            kind="post_approved",
            title=f"认岗成功：{post.title}",
            url="/service/me/",
        )
    return holding


def decline(holding: PostHolding, *, actor: Actor, reason: str) -> PostHolding:
    with transaction.atomic():
        post = _lock_post(holding.post_id)
        if not _may_decide(actor, post):
            raise Denied("您无权审批该岗位")
        reason = _clean(reason, "reason", "未通过原因", 200)
        if (
            PostHolding.objects.filter(pk=holding.pk, status=HoldingStatus.APPLIED).update(
                status=HoldingStatus.DECLINED,
                decided_by=actor,
                decided_at=timezone.now(),
                note=reason,
            )
            != 1
        ):
            raise Conflict("该申请已处理")
        notify(
            [holding.user_id],
            kind="post_declined",
            title=f"认岗未通过：{post.title}",
            body=f"原因：{reason}",
            url="/service/me/",
        )
    holding.refresh_from_db()
    return holding


def end(holding: PostHolding, *, actor: Actor) -> PostHolding:
    """离岗: the holder or staff of the area."""
    if actor.pk != holding.user_id and not _may_decide(actor, holding.post):
        raise Denied("您无权办理离岗")
    if (
        PostHolding.objects.filter(pk=holding.pk, status__in=ACTIVE_HOLDING).update(
            status=HoldingStatus.ENDED, ended_at=timezone.now()
        )
        != 1
    ):
        raise Conflict("该岗位记录已结束")
    holding.refresh_from_db()
    return holding


def grant_post_duty(month: dt.date) -> int:
    """Monthly duty points to everyone who held a post through the whole month (once)."""
    first = month.replace(day=1)
    holdings = PostHolding.objects.filter(
        status=HoldingStatus.HOLDING, since__lte=first
    ).select_related("post__organisation", "user")
    granted = 0
    for holding in holdings:
        line = ledger.grant(
            user=holding.user,
            code=RuleCode.POST_DUTY,
            source=f"post:{holding.pk}:{first:%Y-%m}",
            organisation=holding.post.organisation,
        )
        granted += line is not None
    return granted
