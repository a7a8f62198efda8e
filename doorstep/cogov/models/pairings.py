"""结对: departments paired with communities (部门结对社区), with the services each offers
its community (结对服务清单), and 区、街两级机关干部 linked to communities and grids
(联系社区、挂钩网格), each for a term (`cogov/pairings.py` writes them). A linked cadre's
三结三问 visits are `service.Visit` rows of kind "cadre"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

PAIRED_NODE_KINDS = ("community", "grid")  # a department pairs with a community only


class PairingKind(models.TextChoices):
    DEPARTMENT = "department", _("部门结对社区")
    CADRE = "cadre", _("干部联系社区/挂钩网格")


class CadreLevel(models.TextChoices):
    DISTRICT = "district", _("区级机关干部")
    STREET = "street", _("街级机关干部")


class PairingQuerySet(ScopedQuerySet["Pairing"]):
    """Staff see the pairings of the nodes in their subtree; a department's liaison sees its
    department's; a cadre sees their own links (and, through the role they hold at each
    linked node, that node's)."""

    scope_paths = ("path",)
    node_field = "department"

    def always(self, user: Any) -> Q | None:
        return Q(cadre=user)

    def in_force(self, on: Any = None) -> PairingQuerySet:
        day = on or timezone.localdate()
        return self.filter(starts_on__lte=day, ends_on__gt=day)


class Pairing(models.Model):
    kind = models.CharField(_("结对类型"), max_length=12, choices=PairingKind.choices)
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("结对社区/网格"),
        on_delete=models.PROTECT,
        related_name="cogov_pairings",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    department = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("机关部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cogov_department_pairings",
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("联系干部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cogov_pairings",
    )
    level = models.CharField(_("干部层级"), max_length=10, choices=CadreLevel.choices, blank=True)
    post = models.CharField(_("单位职务"), max_length=40, blank=True)
    starts_on = models.DateField(_("结对起"))
    ends_on = models.DateField(_("结对止"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对")
        verbose_name_plural = _("结对")
        ordering = ["path", "kind", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="pairing_term_ordered"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="department", department__isnull=False, cadre__isnull=True)
                    | (Q(kind="cadre", cadre__isnull=False, department__isnull=True) & ~Q(level=""))
                ),
                name="pairing_names_its_partner",
            ),
        ]

    def __str__(self) -> str:
        partner = self.department if self.kind == PairingKind.DEPARTMENT else self.cadre
        return f"{partner} · {self.node}"

    def in_force(self, on: Any = None) -> bool:
        day = on or timezone.localdate()
        return self.starts_on <= day < self.ends_on


class PairingOfferQuerySet(ScopedQuerySet["PairingOffer"]):
    """Seen with its pairing: staff above the community, the department's liaison."""

    scope_paths = ("pairing__path",)
    node_field = "pairing__department"


class PairingOffer(models.Model):
    """One line of a department's 结对服务清单 for its community: what it offers and how
    often. The list is public (printed on the community's list page)."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="offers")
    title = models.CharField(_("服务项目"), max_length=60)
    detail = models.CharField(_("服务内容"), max_length=200, blank=True)
    frequency = models.CharField(_("服务频次"), max_length=30, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PairingOfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对服务项目")
        verbose_name_plural = _("结对服务清单")
        ordering = ["pairing", "id"]

    def __str__(self) -> str:
        return self.title
