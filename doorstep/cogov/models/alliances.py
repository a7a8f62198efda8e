"""党建联盟 and co-building units: a unit's profile, the configurable lists of 联建 items
(四联 / 六联 / 八共八联 …), alliances led by a street, community or 小区党支部, one agreement
per member unit and term, and unit members serving as 兼职委员 in the 大工委 / 大党委 /
大支部 (`cogov/alliances.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

# Who may lead an alliance, and the "big" committees a unit's member may sit on.
LEAD_KINDS = ("street", "community", "compound_branch")
UNIT_KINDS = ("co_building", "department")
SEAT_KINDS = {
    "working_committee": _("街道大工委"),
    "party_committee": _("社区大党委"),
    "grid_branch": _("网格大支部"),
}


class Sector(models.TextChoices):
    ORGAN = "organ", _("机关部门")
    INSTITUTION = "institution", _("事业单位")
    SOE = "soe", _("国有企业")
    PRIVATE = "private", _("民营企业")
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("学校")
    SOCIAL = "social", _("社会组织")
    OTHER = "other", _("其他")


class UnitProfileQuerySet(ScopedQuerySet["UnitProfile"]):
    """A unit's profile is what it offers the neighbourhood, public to everyone signed in;
    writes go by the role's permission and the scope (the unit under the writer's node, or
    the unit itself for its liaison)."""

    scope_paths = ("path",)
    node_field = "unit"

    def always(self, user: Any) -> Q | None:
        return Q()


class UnitProfile(models.Model):
    unit = models.OneToOneField(
        "organisations.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="cogov_profile",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    sector = models.CharField(_("单位性质"), max_length=12, choices=Sector.choices)
    party_org = models.CharField(_("单位党组织"), max_length=60, blank=True)
    address = models.CharField(_("地址"), max_length=100, blank=True)
    intro = models.TextField(_("简介"), max_length=1000, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = UnitProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建单位档案")
        verbose_name_plural = _("共建单位档案")
        ordering = ["path"]

    def __str__(self) -> str:
        return str(self.unit)


class Scheme(models.Model):
    """A configurable list of 联建 items an agreement commits to (e.g. 八共八联)."""

    name = models.CharField(_("名称"), max_length=20, unique=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("联建清单")
        verbose_name_plural = _("联建清单")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(_("事项"), max_length=20)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("联建事项")
        verbose_name_plural = _("联建事项")
        ordering = ["scheme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "label"], name="scheme_item_once"),
        ]

    def __str__(self) -> str:
        return self.label


class AllianceQuerySet(ScopedQuerySet["Alliance"]):
    """Staff see the alliances led inside their subtree; a member unit's liaison sees the
    alliances it has signed with."""

    scope_paths = ("path",)
    node_field = ("agreements__unit",)
    joins_many = True


class Alliance(models.Model):
    name = models.CharField(_("联盟名称"), max_length=60)
    lead = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("牵头组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("联建清单"), on_delete=models.PROTECT, related_name="+"
    )
    motto = models.CharField(_("联建机制"), max_length=100, blank=True)
    founded_on = models.DateField(_("成立日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AllianceQuerySet.as_manager()

    class Meta:
        verbose_name = _("党建联盟")
        verbose_name_plural = _("党建联盟")
        ordering = ["path", "id"]

    def __str__(self) -> str:
        return self.name


def _document_path(agreement: Agreement, name: str) -> str:
    return f"cogov/agreements/{timezone.localdate():%Y/%m}/{name}"


class Agreement(models.Model):
    """A member unit's 共建协议 with an alliance, for a term, committing to items of the
    alliance's list; the signed document is kept. Terms of one unit in one alliance do not
    overlap (checked under the alliance's row lock)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="agreements")
    unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("成员单位"),
        on_delete=models.PROTECT,
        related_name="cogov_agreements",
    )
    starts_on = models.DateField(_("协议起"))
    ends_on = models.DateField(_("协议止"))
    items = models.ManyToManyField(SchemeItem, verbose_name=_("承诺事项"), related_name="+")
    pledge = models.CharField(_("具体承诺"), max_length=200, blank=True)
    document = models.FileField(_("协议文本"), upload_to=_document_path, blank=True)
    signed_on = models.DateField(_("签订日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("共建协议")
        verbose_name_plural = _("共建协议")
        ordering = ["alliance", "unit", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="agreement_term_ordered"
            ),
            models.UniqueConstraint(
                fields=["alliance", "unit", "starts_on"], name="agreement_once_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alliance} · {self.unit}"

    def in_force(self, on: Any = None) -> bool:
        day = on or timezone.localdate()
        return self.starts_on <= day < self.ends_on


class Seat(models.Model):
    """A unit's member serving as 兼职委员 in the 大工委 / 大党委 / 大支部 of the node the unit
    pairs with, for a term. The name is an office held in public (it is on the wall of the
    党群服务中心), not a resident's record."""

    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("任职组织"),
        on_delete=models.PROTECT,
        related_name="cogov_seats",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    unit = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所在单位"),
        on_delete=models.PROTECT,
        related_name="cogov_unit_seats",
    )
    name = models.CharField(_("姓名"), max_length=20)
    post = models.CharField(_("职务"), max_length=20, default="兼职委员")
    starts_on = models.DateField(_("任期起"))
    ends_on = models.DateField(_("任期止"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("兼职委员")
        verbose_name_plural = _("兼职委员")
        ordering = ["path", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="seat_term_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"

    @property
    def body(self) -> str:
        return str(SEAT_KINDS.get(self.node.kind, self.node.get_kind_display()))
