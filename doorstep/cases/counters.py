"""The case counter tables, kept in the same transaction as each case event: per
organisation and day (`Rollup`, the rates) and per organisation, month and category
(`CategoryRollup`, the cockpit's KPIs by category). See rollups.py and
category_rollups.py for how they are kept and recounted."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Rollup(models.Model):
    """Counters per organisation and day, updated with each event (the cockpit reads these).

    Every ancestor of a case's territory gets the same increments, so a node's figures for
    a period are one SUM over its own rows.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="case_rollups"
    )
    day = models.DateField()
    received = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    signed_on_time = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    reopened = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    whistles = models.IntegerField(default=0)
    summoned = models.IntegerField(default=0)
    reported_on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("工单统计")
        verbose_name_plural = _("工单统计")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "day"], name="rollup_org_day")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day}"


ROLLUP_FIELDS = tuple(
    f.name for f in Rollup._meta.local_fields if f.name not in {"id", "organisation", "day"}
)


class CategoryRollup(models.Model):
    """Counters per organisation, month and category (the case's own category), updated
    with each event like `Rollup`: the cockpit's KPIs by category and month read these."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()  # the first day of the month (Beijing time)
    category = models.ForeignKey("cases.Category", on_delete=models.CASCADE, related_name="+")
    received = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)  # 满意 and 基本满意

    class Meta:
        verbose_name = _("分类月统计")
        verbose_name_plural = _("分类月统计")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "category"], name="category_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m} {self.category_id}"


CATEGORY_FIELDS = (
    "received",
    "closed",
    "closed_on_time",
    "handling_seconds",
    "rated",
    "satisfied",
)
