"""Users, roles held at organisations (memberships) and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class User(AbstractUser):
    """A person who logs in. What they may see comes from their memberships, not from here."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    # Set by a reset to a temporary password: every page asks for a new one first.
    must_change_password = models.BooleanField(_("下次登录须改密码"), default=False)
    # 长辈模式: larger type, higher contrast, bigger targets (accounts/preferences.py).
    elder_mode = models.BooleanField(_("长辈模式"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Django's answer, read from the permissions the role backend has already kept on
        this user for the request: Django builds every backend anew for each call (a page
        asks twenty times or more). Anything else — an object, a superuser, the first
        call — goes through Django."""
        kept = getattr(self, "_perm_cache", None)
        if kept is not None and obj is None and self.is_active and not self.is_superuser:
            return perm in kept
        return super().has_perm(perm, obj)


class ScopeKind(models.TextChoices):
    """Data scope of a role (数据权限), RuoYi-style."""

    ALL = "all", _("全部数据")
    SUBTREE = "subtree", _("本级及以下")
    NODE = "node", _("仅本级")
    SELF = "self", _("仅本人")


class Role(models.Model):
    """A named set of permissions with a data scope (角色)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    scope = models.CharField(_("数据范围"), max_length=16, choices=ScopeKind.choices)
    permissions = models.ManyToManyField(Permission, verbose_name=_("权限"), blank=True)
    is_staff_role = models.BooleanField(_("可进入后台"), default=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, at: object = None) -> MembershipQuerySet:
        now = at or timezone.now()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=now),
            Q(valid_to__isnull=True) | Q(valid_to__gt=now),
        )


class Membership(models.Model):
    """A user holds a role at an organisation node, for a period (任职)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("组织"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.ForeignKey(Role, verbose_name=_("角色"), on_delete=models.PROTECT)
    valid_from = models.DateTimeField(_("起始"), null=True, blank=True)
    valid_to = models.DateTimeField(_("截止"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role_at_org"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="membership_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} @ {self.organisation}"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=64)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class ApprovalQuerySet(ScopedQuerySet["Approval"]):
    """Approvers (security and audit admins, ALL scope) see every request; anyone sees the
    requests they made."""

    def always(self, user: Any) -> Q | None:
        return Q(requested_by=user)


class Approval(models.Model):
    """双人复核: a sensitive action one admin asked for, waiting for a second one (who holds
    `accounts.decide_approval` and is not the requester) to approve or reject it.

    One mechanism for every two-person rule (approvals.py registers what each kind does
    once approved): granting a role that reads personal data, resetting the password of an
    account that holds one, and whatever later rules name."""

    class Kind(models.TextChoices):
        ROLE_GRANT = "role_grant", _("授予涉及个人信息的角色")
        PASSWORD_RESET = "password_reset", _("重置密码")
        FUND_LINE = "fund_line", _("共治基金大额收支")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    kind = models.CharField(_("事项"), max_length=32, choices=Kind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    target = models.ForeignKey(
        User, verbose_name=_("对象账号"), on_delete=models.CASCADE, related_name="+"
    )
    summary = models.CharField(_("内容"), max_length=200)
    payload = models.JSONField(_("参数"), default=dict, blank=True)
    reason = models.CharField(_("申请理由"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        User, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    note = models.CharField(_("审批意见"), max_length=200, blank=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("双人审批")
        verbose_name_plural = _("双人审批")
        ordering = ["-id"]
        permissions = [("decide_approval", "审批敏感操作（双人复核）")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
