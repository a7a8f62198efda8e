"""两代表一委员 reception: deputies (人大代表, 党代表, 政协委员) with their level and
constituency, the reception slots of a community studio (社区工作室, a service site) —
the monthly 社情民意日 among them —, and each visit: booked by a resident or a walk-in,
the 诉求 and the deputy's reply, what it turned into (a case or a topic) and the outcome
the resident is told (`deliberation/receptions.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

from .topics import neighbourhood


class DeputyKind(models.TextChoices):
    NPC = "npc", _("人大代表")
    PARTY = "party", _("党代表")
    CPPCC = "cppcc", _("政协委员")


class DeputyLevel(models.TextChoices):
    NATIONAL = "national", _("全国")
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")


class DeputyQuerySet(ScopedQuerySet["Deputy"]):
    """Staff see the deputies linked to their subtree or above it; residents those of their
    street (whom they may visit)."""

    scope_paths = ("path",)

    def always(self, user: Any) -> Q | None:
        return neighbourhood(user, "deliberation.view_deputy")


class Deputy(models.Model):
    name = models.CharField(_("姓名"), max_length=40)
    kind = models.CharField(_("类别"), max_length=8, choices=DeputyKind.choices)
    level = models.CharField(_("层级"), max_length=10, choices=DeputyLevel.choices)
    constituency = models.CharField(_("选区/界别"), max_length=60, blank=True)
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("联系街道/社区"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("在任"), default=True)

    objects = DeputyQuerySet.as_manager()

    class Meta:
        verbose_name = _("代表委员")
        verbose_name_plural = _("两代表一委员")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}{self.name}"


class ReceptionSlotQuerySet(ScopedQuerySet["ReceptionSlot"]):
    """Staff see the slots of the studios in their subtree (and above their grid); residents
    those of their street's studios, to book; a deputy the slots they receive in."""

    scope_paths = ("path",)
    joins_many = True

    def always(self, user: Any) -> Q | None:
        mine = Q(deputies__user=user)
        near = neighbourhood(user, "deliberation.view_receptionslot")
        return mine if near is None else mine | near


class ReceptionSlot(models.Model):
    site = models.ForeignKey(
        "sites.ServiceSite", verbose_name=_("工作室"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    deputies = models.ManyToManyField(Deputy, verbose_name=_("接待代表委员"), related_name="slots")
    starts_at = models.DateTimeField(_("接待开始"))
    ends_at = models.DateTimeField(_("接待结束"))
    capacity = models.PositiveSmallIntegerField(_("可预约人数"), default=10)
    public_day = models.BooleanField(_("社情民意日"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReceptionSlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("接待时段")
        verbose_name_plural = _("接待时段")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.starts_at:%Y-%m-%d %H:%M}"


class VisitStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    RECEIVED = "received", _("已接待")
    CANCELLED = "cancelled", _("已取消")


class ReceptionVisitQuerySet(ScopedQuerySet["ReceptionVisit"]):
    """Staff see the visits at the studios of their subtree; a deputy those of their slots;
    a resident their own."""

    scope_paths = ("path",)
    joins_many = True

    def always(self, user: Any) -> Q | None:
        return Q(resident=user) | Q(slot__deputies__user=user)


class ReceptionVisit(models.Model):
    slot = models.ForeignKey(ReceptionSlot, on_delete=models.PROTECT, related_name="visits")
    path = models.CharField(max_length=255, db_index=True, editable=False)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor = models.CharField(_("来访人"), max_length=40)
    at = models.DateTimeField(_("预约时间"))
    walk_in = models.BooleanField(_("现场来访"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.BOOKED
    )
    issue = models.CharField(_("诉求"), max_length=1000, blank=True)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("诉求分类"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deputy = models.ForeignKey(
        Deputy,
        verbose_name=_("接待人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply = models.CharField(_("代表答复"), max_length=1000, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.ForeignKey(
        "deliberation.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the resident is told when the case closes (or the topic is answered).
    outcome = models.CharField(_("办理结果"), max_length=500, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReceptionVisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("接待记录")
        verbose_name_plural = _("接待记录")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "resident"],
                condition=Q(status="booked"),
                name="one_booking_per_resident_and_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot_id}:{self.visitor}"
