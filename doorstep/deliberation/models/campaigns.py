"""Door-knocking campaigns (敲门行动 / 走访问需): the households a campaign targets, who
knocks on each door, and the visit that reached it. The visits themselves are the
platform's one visit model (`service.Visit`, kind 敲门行动); a target points at the visit
that reached it (`deliberation/campaigns.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class CampaignQuerySet(ScopedQuerySet["Campaign"]):
    """Staff see the campaigns of their subtree — and grid staff those of the community or
    street above their grid that target households in it; a visitor the campaigns they
    knock for."""

    scope_paths = ("path", "targets__grid_path")
    joins_many = True

    def always(self, user: Any) -> Q | None:
        return Q(targets__assignee=user)


class Campaign(models.Model):
    title = models.CharField(_("行动名称"), max_length=60)
    purpose = models.CharField(_("走访内容"), max_length=500, blank=True)
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("范围"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    # how the households were chosen, for the page to say ("全部住户", "独居老人" …)
    chosen = models.CharField(_("走访对象"), max_length=100, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("敲门行动")
        verbose_name_plural = _("敲门行动")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignTarget(models.Model):
    """A household the campaign knocks on: who is to go, how many tries, and the visit that
    reached it (None until someone met them or spoke to them on the phone)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("places.Building", on_delete=models.PROTECT, related_name="+")
    grid_path = models.CharField(max_length=255, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attempts = models.PositiveSmallIntegerField(_("走访次数"), default=0)
    reached_by = models.ForeignKey(
        "service.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("走访对象")
        verbose_name_plural = _("走访对象")
        ordering = ["campaign_id", "grid_path", "building_id", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"], name="household_once_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.household_id}"
