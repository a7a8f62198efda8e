"""The co-governance fund (共治基金): a fund and its append-only lines (`cogov/funds.py`
posts them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet
from doorstep.core.models import AppendOnlyModel

from .projects import Project


class FundQuerySet(ScopedQuerySet["Fund"]):
    """Staff of the fund owner's subtree see it and its lines."""

    scope_paths = ("path",)


class Fund(models.Model):
    """A fund of a street or community: its lines are an append-only ledger (FundLine);
    `balance` (可用余额: in, less what is allocated to projects, plus what came back) is kept
    by `funds.post` under the fund's row lock and never goes below zero."""

    name = models.CharField(_("基金名称"), max_length=60)
    owner = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("管理单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    threshold = models.DecimalField(
        _("复核金额（元）"),
        max_digits=12,
        decimal_places=2,
        help_text=_("单笔超过此金额须另一位工作人员复核"),
    )
    balance = models.DecimalField(_("可用余额（元）"), max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = FundQuerySet.as_manager()

    class Meta:
        verbose_name = _("共治基金")
        verbose_name_plural = _("共治基金")
        ordering = ["path", "id"]
        permissions = [("approve_fund", "复核共治基金大额收支")]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="fund_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0), name="fund_threshold_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LineKind(models.TextChoices):
    INCOME = "income", _("收入")
    ALLOCATE = "allocate", _("拨付项目")
    EXPENSE = "expense", _("项目支出")
    REFUND = "refund", _("结余退回")
    REVERSAL = "reversal", _("冲正")


def _receipt_path(line: FundLine, name: str) -> str:
    return f"cogov/receipts/{timezone.localdate():%Y/%m}/{name}"


class FundLine(AppendOnlyModel):
    """One posted line of a fund. Never edited: a mistake is undone by a reversal line."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="lines")
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("类别"), max_length=10, choices=LineKind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="fund_lines"
    )
    counterpart = models.CharField(_("对方单位"), max_length=60, blank=True)
    memo = models.CharField(_("摘要"), max_length=200)
    receipt = models.FileField(_("票据"), upload_to=_receipt_path, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    balance_after = models.DecimalField(_("余额"), max_digits=14, decimal_places=2)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("基金收支")
        verbose_name_plural = _("基金收支")
        ordering = ["fund", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "seq"], name="fund_line_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_line_amount_positive"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="fund_line_balance_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} #{self.seq} {self.get_kind_display()} {self.amount}"
