"""Users, roles held at organisations (memberships) and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in. What they may see comes from their memberships, not from here."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


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
