"""Service records (服务时长) and household visits (党员联户走访).

Two ledgers, never mixed: verified hours (from a closed case, an activity's check-in and
check-out, or approved by staff) and self-reported hours awaiting approval. A record's
status says which ledger it is in; totals are always sums over records of one status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class RecordSource(models.TextChoices):
    CASE = "case", _("接单办结")
    ACTIVITY = "activity", _("活动志愿服务")
    SELF = "self", _("本人申报")


class RecordStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    VERIFIED = "verified", _("已认定")
    REJECTED = "rejected", _("未通过")
    REVERSED = "reversed", _("已冲销")


class ServiceRecordQuerySet(ScopedQuerySet["ServiceRecord"]):
    """Staff with `service.view_servicerecord`: records of their subtree; everyone: their
    own."""

    scope_paths = ("organisation_path",)
    node_field = "organisation"

    def always(self, user: Any) -> Q | None:
        return Q(user=user)

    def verified(self) -> ServiceRecordQuerySet:
        return self.filter(status=RecordStatus.VERIFIED)

    def pending(self) -> ServiceRecordQuerySet:
        return self.filter(status=RecordStatus.PENDING)


class ServiceRecord(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务人"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("服务所在组织"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    organisation_path = models.CharField(max_length=255, db_index=True, editable=False)
    source = models.CharField(_("来源"), max_length=10, choices=RecordSource.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        "activities.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    hours = models.DecimalField(_("时长（小时）"), max_digits=6, decimal_places=2)
    description = models.CharField(_("服务内容"), max_length=500)
    evidence = models.FileField(_("佐证材料"), upload_to="service/evidence/%Y/%m/", blank=True)
    evidence_note = models.CharField(_("佐证说明"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RecordStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = ServiceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-started_at", "-id"]
        permissions = [("approve_servicerecord", "审核服务时长")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="record_hours_positive"),
            models.CheckConstraint(
                condition=Q(ended_at__gt=models.F("started_at")), name="record_ends_after_start"
            ),
            # One record per person per case and per activity (a repeat hook adds nothing).
            models.UniqueConstraint(
                fields=["user", "case"],
                condition=Q(case__isnull=False) & ~Q(status="reversed"),
                name="one_record_per_case",
            ),
            models.UniqueConstraint(
                fields=["user", "activity"],
                condition=Q(activity__isnull=False) & ~Q(status="reversed"),
                name="one_record_per_activity",
            ),
        ]
        indexes = [models.Index(fields=["user", "status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.hours}h {self.get_status_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.organisation_path = self.organisation.path
        super().save(*args, **kwargs)


class EditStatus(models.TextChoices):
    PROPOSED = "proposed", _("待复核")
    APPLIED = "applied", _("已生效")
    REFUSED = "refused", _("未同意")


class RecordEdit(models.Model):
    """A change to a verified record: proposed by one staff member, applied only when a
    second one agrees. The old and new values stay here (the trail)."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="edits")
    old_hours = models.DecimalField(max_digits=6, decimal_places=2)
    new_hours = models.DecimalField(_("修改后时长"), max_digits=6, decimal_places=2)
    old_description = models.CharField(max_length=500)
    new_description = models.CharField(_("修改后内容"), max_length=500)
    reason = models.CharField(_("修改原因"), max_length=200)
    status = models.CharField(max_length=10, choices=EditStatus.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("服务记录修改")
        verbose_name_plural = _("服务记录修改")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="edit_needs_a_second_person",
            ),
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="proposed"), name="one_open_edit_per_record"
            ),
            models.CheckConstraint(condition=Q(new_hours__gt=0), name="edit_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.old_hours} → {self.new_hours}"


class VisitKind(models.TextChoices):
    HOUSEHOLD = "household", _("联户走访")
    CADRE = "cadre", _("三结三问")
    KNOCK = "knock", _("敲门行动")


class VisitOutcome(models.TextChoices):
    """How a door-knocking visit went (other kinds leave it blank)."""

    MET = "met", _("入户见面")
    PHONE = "phone", _("电话联系")
    ABSENT = "absent", _("未遇，需再访")
    DECLINED = "declined", _("拒绝走访")


REACHED = frozenset({VisitOutcome.MET, VisitOutcome.PHONE})


class VisitQuerySet(ScopedQuerySet["Visit"]):
    """Staff see the visits made in their subtree; a visitor sees their own."""

    scope_paths = ("path",)

    def always(self, user: Any) -> Q | None:
        return Q(visitor=user)


class Visit(models.Model):
    """The one visit model of the platform: a central household's visit to one of its linked
    households (党员联户走访), or a paired cadre's 三结三问 visit to a community or grid
    (问需、问计、问效), or a door-knocking campaign's visit to a household (敲门行动, with its
    outcome; the campaign and its targets live in deliberation, which points here) — a
    kind each, never a second table. What came of it: a follow-up case here; a need
    (`cogov.Need.visit`) in co-governance."""

    kind = models.CharField(
        _("走访类型"), max_length=12, choices=VisitKind.choices, default=VisitKind.HOUSEHOLD
    )
    central = models.ForeignKey(
        "people.CentralHousehold",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("走访地点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    visited_on = models.DateField(_("走访日期"))
    asks = models.JSONField(_("问需/问计/问效"), default=list, blank=True)
    found = models.CharField(_("走访情况"), max_length=500)
    outcome = models.CharField(
        _("走访结果"),
        max_length=10,
        choices=VisitOutcome.choices,
        blank=True,
        default="",
        db_default="",
    )
    follow_up_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("后续工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="household") | Q(central__isnull=False, household__isnull=False),
                name="household_visit_has_its_household",
            ),
            models.CheckConstraint(
                condition=~Q(kind="cadre") | Q(node__isnull=False), name="cadre_visit_has_a_place"
            ),
            models.CheckConstraint(
                condition=~Q(kind="knock") | (Q(household__isnull=False) & ~Q(outcome="")),
                name="knock_visit_has_household_and_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.path} {self.visited_on}"


ZERO = Decimal("0")
