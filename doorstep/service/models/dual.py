"""双报到: an in-service party member (在职党员) reports to the community they live in,
and the community confirms it (dual_report.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class DualStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已报到")
    DECLINED = "declined", _("未通过")


class DualReportQuerySet(ScopedQuerySet["DualReport"]):
    """Staff of the community's subtree who keep the party roll see (and decide) these;
    a member sees their own."""

    scope_paths = ("community__path",)
    permissions = {"view": "people.change_partymember", "change": "people.change_partymember"}

    def always(self, user: Any) -> Q | None:
        return Q(member__resident__user=user)


class DualReport(models.Model):
    member = models.ForeignKey(
        "people.PartyMember", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("报到社区"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "community"},
    )
    work_unit = models.CharField(_("工作单位"), max_length=100)
    unit_party_org = models.CharField(_("所在单位党组织"), max_length=100, blank=True)
    skills = models.CharField(_("特长与意愿"), max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=DualStatus.choices, default=DualStatus.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("未通过原因"), max_length=200, blank=True)

    objects = DualReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("双报到")
        verbose_name_plural = _("双报到")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="pending"),
                name="one_pending_dual_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.community_id} {self.status}"
