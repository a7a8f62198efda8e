"""API keys of the Open311 clients (third-party apps, kiosks, the 12345 bridge).

Only a SHA-256 of the secret is stored; the secret is shown once, when the key is made.
A key may stand for a user: cases it files are then that user's (reporter), otherwise
they are filed without a reporter.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    name = models.CharField(_("用途"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代表用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="open311_keys",
        help_text=_("经此密钥提交的诉求记在该用户名下；留空则不记提交人"),
    )
    active = models.BooleanField(_("有效"), default=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("每分钟请求上限"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311接口密钥")
        verbose_name_plural = _("Open311接口密钥")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
