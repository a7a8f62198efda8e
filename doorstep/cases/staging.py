"""12345 orders that cannot become cases yet (导入待处理), and the labels learned for them.

An order whose 问题分类 is not a leaf of our catalogue waits in 待分类 with its original
label; one whose address names no place we know waits in 待定位. A dispatcher picks the
category or the place; the choice of category is remembered as a `HotlineLabel` (their
label → our category), which classifies the next import's orders with that label, and the
other waiting ones at once. When an order has both, it becomes a case (`hotline_queue.py`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet
from doorstep.core.crypto import EncryptedTextField


class HotlineOrderQuerySet(ScopedQuerySet["HotlineOrder"]):
    """Seen by staff whose scope holds the organisation the order was imported for."""

    scope_paths = ("organisation__path",)
    permissions = {"view": "cases.import_hotline", "change": "cases.import_hotline"}


class HotlineOrder(models.Model):
    """One imported 12345 order still waiting for its category, its place, or both."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("待处理")
        DONE = "done", _("已转为工单")

    external_no = models.CharField(_("工单编号"), max_length=64, unique=True)
    label = models.CharField(_("原问题分类"), max_length=200)
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("分类"), null=True, blank=True, on_delete=models.PROTECT
    )
    kind_word = models.CharField(_("诉求类型"), max_length=10, blank=True)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("诉求内容"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # Where it is: a building (and its grid), or the community its address was placed on.
    territory = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所在网格/社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    building = models.ForeignKey(
        "places.Building", verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.SET_NULL
    )
    called_at = models.DateTimeField(_("来电时间"))
    due_at = models.DateTimeField(_("办结期限"), null=True, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=16, blank=True)
    contact_name = EncryptedTextField(_("来电人"), blank=True, default="")
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    # The importing user's community or street: whose queue it is.
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("所属"), on_delete=models.PROTECT
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = HotlineOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("待处理热线工单")
        verbose_name_plural = _("待处理热线工单")
        ordering = ["called_at", "id"]

    def __str__(self) -> str:
        return f"{self.external_no} {self.title}"

    @property
    def needs(self) -> list[str]:
        out = []
        if self.category_id is None:
            out.append("待分类")
        if self.territory_id is None:
            out.append("待定位")
        return out


class HotlineLabel(models.Model):
    """Another system's 问题分类 wording and the category our dispatchers chose for it."""

    label = models.CharField(_("原问题分类"), max_length=200, unique=True)
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("对应分类"), on_delete=models.CASCADE
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("热线分类对照")
        verbose_name_plural = _("热线分类对照")

    def __str__(self) -> str:
        return f"{self.label} → {self.category_id}"

    @staticmethod
    def key(label: Any) -> str:
        """The label as it is stored and looked up: whitespace and separators evened out."""
        import re

        text = re.sub(r"\s+", "", str(label or ""))
        return re.sub(r"[>＞/／|›]+", "›", text)[:200]
