"""Shared kernel models: the hash-chained audit log (审计日志)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    ROLE_CHANGE = "role_change", _("角色变更")
    UNMASK = "unmask", _("查看明文")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    DELETE = "delete", _("删除")
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    TOKEN = "token", _("接口令牌")
    VIEW = "view", _("查看敏感名单")  # e.g. a list of people in a vulnerable group
    CONFLICT = "number_conflict", _("身份证号冲突")
    PASSWORD = "password", _("密码")
    APPROVAL = "approval", _("双人审批")


GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One security-relevant action. Append-only; each entry's hash covers the one before."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("账号"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=32, choices=AuditAction.choices)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.CharField(_("IP"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which MAC key made `hash` (auditkeys.key_id); "" for entries written before the
    # chain was keyed (a plain SHA-256, accepted only before the first keyed entry).
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["action", "actor_name", "ip", "at"]),
            # the audit page's "对象类型" filter and an object's own history
            models.Index(fields=["target_type", "target_id"], name="core_audit_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit entries are append-only")

    def payload(self) -> str:
        """The canonical text the hash covers (everything but the hash itself)."""
        key = {"key": self.key_id} if self.key_id else {}
        return json.dumps(
            {
                **key,
                "at": self.at.isoformat(),
                "actor": self.actor_id,
                "actor_name": self.actor_name,
                "action": self.action,
                "target_type": self.target_type,
                "target_id": self.target_id,
                "detail": self.detail,
                "ip": self.ip,
                "prev": self.prev_hash,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )

    def compute_hash(self) -> str | None:
        """The entry's MAC under its key (None: that key is not configured here); the
        plain SHA-256 of entries from before the chain was keyed."""
        if self.key_id:
            from .auditkeys import mac

            return mac(self.payload(), self.key_id)
        return hashlib.sha256(self.payload().encode()).hexdigest()


class AppendOnly(Exception):
    """Raised on an attempt to change or remove a row of an append-only log."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """No bulk update or delete through the ORM."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnly(f"{self.model._meta.db_table} is append-only")

    def delete(self) -> Any:
        raise AppendOnly(f"{self.model._meta.db_table} is append-only")


class AppendOnlyModel(models.Model):
    """A row of an append-only event log: written once, never changed or removed."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnly(f"{self._meta.db_table} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly(f"{self._meta.db_table} is append-only")


class EventCursor(models.Model):
    """How far an event consumer has read a domain's append-only event log: every event
    with an id up to `last_id` has been handled (see core.events)."""

    consumer = models.CharField(max_length=64, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事件消费进度")
        verbose_name_plural = _("事件消费进度")

    def __str__(self) -> str:
        return f"{self.consumer} @ {self.last_id}"


class ConsumedEvent(models.Model):
    """One event a consumer has handled beyond its cursor. Written in the same transaction
    as what handling it wrote, and unique, so an event is handled exactly once even when
    two runs overlap; rows at or below the cursor are deleted as it moves on."""

    consumer = models.CharField(max_length=64)
    event_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="consumed_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.consumer} #{self.event_id}"
