"""Honours (先锋榜样, 优秀志愿者) as published rankings, and service certificates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class HonourKind(models.TextChoices):
    PIONEER = "pioneer", _("先锋榜样（党员）")
    VOLUNTEER = "volunteer", _("优秀志愿者")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    YEAR = "year", _("年度")


class HonourList(models.Model):
    """A ranking of one organisation for one month or year, frozen when published, with
    the figures behind each place (points, verified hours, people served)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="honour_lists"
    )
    organisation_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("榜单"), max_length=10, choices=HonourKind.choices)
    period_kind = models.CharField(_("周期"), max_length=6, choices=PeriodKind.choices)
    period_start = models.DateField(_("起始日"))
    entries = models.JSONField(_("名次"), default=list)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("荣誉榜")
        verbose_name_plural = _("荣誉榜")
        ordering = ["-period_start", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "period_kind", "period_start"],
                name="one_list_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_kind_display()} {self.period_start}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.organisation_path = self.organisation.path
        super().save(*args, **kwargs)


class CertificateQuerySet(ScopedQuerySet["Certificate"]):
    """A person's own certificates, and for staff who may view service records (a
    certificate sums them up) those issued in their subtrees."""

    scope_paths = ("organisation__path",)
    permissions = {"view": "service.view_servicerecord"}

    def always(self, user: Any) -> Q | None:
        return Q(user=user)


class Certificate(models.Model):
    """A service certificate (志愿服务证明). The figures are frozen at issue; the number is
    random (not a counter), so the public check page cannot be walked."""

    number = models.CharField(_("证明编号"), max_length=24, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("出具组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=64)
    id_masked = models.CharField(_("身份证号（脱敏）"), max_length=24, blank=True)
    hours = models.DecimalField(_("认定服务时长"), max_digits=8, decimal_places=2)
    records = models.PositiveIntegerField(_("服务次数"), default=0)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "period_start", "period_end"],
                name="one_certificate_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="certificate_period"
            ),
        ]

    def __str__(self) -> str:
        return self.number
