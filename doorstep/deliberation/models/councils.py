"""Councils (议事会) "1+N": a council of a community or of one compound, led by the 1 (the
小区党支部) with N kinds of seats (业委会/物管会, 物业服务企业, 网格长, 网格员, 楼栋长,
resident representatives, co-building units …), the number of each set per place, and
its members with their terms (`deliberation/councils.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

from .topics import neighbourhood


class SeatKind(models.TextChoices):
    BRANCH = "branch", _("小区党支部")
    OWNERS = "owners", _("业委会/物管会")
    PROPERTY = "property", _("物业服务企业")
    GRID_LEADER = "grid_leader", _("网格长")
    GRID_WORKER = "grid_worker", _("网格员")
    BUILDING = "building", _("楼栋长")
    RESIDENT = "resident", _("居民代表")
    UNIT = "unit", _("共建单位")
    OTHER = "other", _("其他")


class MajorityRule(models.TextChoices):
    HALF = "half", _("过半数")
    TWO_THIRDS = "two_thirds", _("三分之二以上")


class CouncilQuerySet(ScopedQuerySet["Council"]):
    """Staff see the councils of their subtree and of the community above their grid; a
    resident sees those of the community they live in."""

    scope_paths = ("path",)

    def always(self, user: Any) -> Q | None:
        return neighbourhood(user, "deliberation.view_council")


class Council(models.Model):
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("小区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("名称"), max_length=60)
    # How many of the members in force must sign in for a meeting to decide, and how many
    # of them must vote yes for a council vote to pass (one seat, one vote).
    quorum = models.CharField(
        _("到会人数要求"), max_length=12, choices=MajorityRule.choices, default=MajorityRule.HALF
    )
    majority = models.CharField(
        _("表决通过要求"), max_length=12, choices=MajorityRule.choices, default=MajorityRule.HALF
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CouncilQuerySet.as_manager()

    class Meta:
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        ordering = ["path", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["node", "compound"], name="one_council_per_compound"),
            models.UniqueConstraint(
                fields=["node"],
                condition=Q(compound__isnull=True),
                name="one_council_per_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CouncilSeat(models.Model):
    """How many seats of one kind the council has (the 1 is one branch seat)."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="seats")
    kind = models.CharField(_("席位"), max_length=12, choices=SeatKind.choices)
    count = models.PositiveSmallIntegerField(_("名额"), default=1)

    class Meta:
        verbose_name = _("议事会席位")
        verbose_name_plural = _("议事会席位")
        ordering = ["council_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["council", "kind"], name="one_seat_line_per_kind"),
            models.CheckConstraint(condition=Q(count__gte=1), name="seat_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.count}"


class CouncilMember(models.Model):
    """A member in a seat for a term. A member with a login signs in to meetings with the
    QR code; the chair (the branch's secretary) signs the minutes off."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(_("席位"), max_length=12, choices=SeatKind.choices)
    name = models.CharField(_("姓名"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_chair = models.BooleanField(_("召集人"), default=False)
    starts_on = models.DateField(_("任期开始"))
    ends_on = models.DateField(_("任期结束"))

    class Meta:
        verbose_name = _("议事会成员")
        verbose_name_plural = _("议事会成员")
        ordering = ["council_id", "-is_chair", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="member_term_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"
