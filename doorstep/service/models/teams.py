"""Volunteer teams with a theme (五色志愿服务 …), their members, and posts (认岗领责)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class Theme(models.Model):
    """A team's theme, configured by staff: 红舍管家 (red), 银舍生辉 (silver) …"""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    colour = models.CharField(_("颜色"), max_length=7, default="#c8161d")
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("队伍主题")
        verbose_name_plural = _("队伍主题")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="theme_colour_hex"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(ScopedQuerySet["Team"]):
    """A team is visible to staff of its organisation's subtree (`service.view_team`), and
    to its own members."""

    scope_paths = ("organisation_path",)
    node_field = "organisation"
    joins_many = True

    def always(self, user: Any) -> Q | None:
        return Q(members__user=user, members__left_at__isnull=True)


class Team(models.Model):
    name = models.CharField(_("队伍名称"), max_length=60)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="volunteer_teams",
    )
    organisation_path = models.CharField(max_length=255, db_index=True, editable=False)
    theme = models.ForeignKey(
        Theme, verbose_name=_("主题"), null=True, blank=True, on_delete=models.SET_NULL
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("队长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    skills = models.CharField(_("服务技能"), max_length=200, blank=True)
    description = models.TextField(_("队伍简介"), blank=True)
    active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["organisation_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.organisation_path = self.organisation.path
        super().save(*args, **kwargs)


class MemberKind(models.TextChoices):
    PARTY = "party", _("党员")
    VOLUNTEER = "volunteer", _("志愿者")
    RESIDENT = "resident", _("居民")


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    kind = models.CharField(_("身份"), max_length=12, choices=MemberKind.choices)
    joined_at = models.DateTimeField(_("加入时间"), default=timezone.now)
    left_at = models.DateTimeField(_("退出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        ordering = ["team_id", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=Q(left_at__isnull=True),
                name="one_active_membership_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.team}"


class PostQuerySet(ScopedQuerySet["Post"]):
    """Staff see the posts of their subtree (`service.view_post`); members and volunteers
    see the active posts of their street (to apply), and the posts they hold."""

    scope_paths = ("organisation_path",)
    node_field = "organisation"
    joins_many = True

    def always(self, user: Any) -> Q | None:
        from doorstep.nearby.sites.scoping import home_street_q

        return Q(holdings__user=user) | (home_street_q(user, "organisation_path") & Q(active=True))


class Post(models.Model):
    """A standing responsibility (岗位): 楼道长, 文明劝导, 独居老人探访, 普法宣传 …"""

    title = models.CharField(_("岗位名称"), max_length=60)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("设岗组织"),
        on_delete=models.PROTECT,
        related_name="service_posts",
    )
    organisation_path = models.CharField(max_length=255, db_index=True, editable=False)
    team = models.ForeignKey(
        Team,
        verbose_name=_("所属队伍"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    duties = models.TextField(_("岗位职责"), blank=True)
    slots = models.PositiveSmallIntegerField(_("人数"), default=1)
    active = models.BooleanField(_("在设"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["organisation_path", "title"]
        constraints = [models.CheckConstraint(condition=Q(slots__gte=1), name="post_slots")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.organisation_path = self.organisation.path
        super().save(*args, **kwargs)


class HoldingStatus(models.TextChoices):
    APPLIED = "applied", _("待审批")
    HOLDING = "holding", _("在岗")
    DECLINED = "declined", _("未通过")
    ENDED = "ended", _("已离岗")


ACTIVE_HOLDING = (HoldingStatus.APPLIED, HoldingStatus.HOLDING)


class PostHolding(models.Model):
    """Someone's application for, and tenure of, a post (认岗 → 领责)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="holdings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_holdings"
    )
    status = models.CharField(_("状态"), max_length=10, choices=HoldingStatus.choices)
    dual_report = models.BooleanField(_("在职党员双报到认岗"), default=False)
    applied_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    since = models.DateField(_("上岗日期"), null=True, blank=True)
    ended_at = models.DateTimeField(_("离岗时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("认岗记录")
        verbose_name_plural = _("认岗记录")
        ordering = ["post_id", "applied_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"],
                condition=Q(status__in=["applied", "holding"]),
                name="one_active_holding_per_post",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.post}"
