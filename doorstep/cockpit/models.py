"""The cockpit's own configuration: assessment scorecards (考核方案) and their indicators.

A scorecard scores every organisation of one level (communities or grids) under a node; each
indicator names a code from `indicators.REGISTRY` with a weight (points at full attainment),
a target and whether higher or lower is better. The figures themselves are read, never kept.

A scorecard without an owner organisation is a platform default; a street (or district) may
own cards of its own, which then apply to the nodes under it (see `scorecards.cards_for`).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .indicators import CODE_CHOICES


class Level(models.TextChoices):
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Scorecard(models.Model):
    """A scorecard (考核方案): the indicators, weights and targets one level is scored by."""

    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("考核对象"), max_length=16, choices=Level.choices)
    active = models.BooleanField(_("启用"), default=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("制定单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scorecards",
        help_text=_("留空为全平台默认方案；街道或区可为辖区制定自己的方案"),
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "level", "name"], name="scorecard_name_once_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One indicator of a scorecard (考核指标): its weight, target and direction."""

    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("指标"), max_length=32, choices=CODE_CHOICES)
    weight = models.DecimalField(
        _("权重（分）"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    target = models.DecimalField(
        _("目标值"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    direction = models.CharField(
        _("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["scorecard", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "code"], name="indicator_once_per_card"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="indicator_weight_gt_0"),
            models.CheckConstraint(
                condition=models.Q(target__gte=0), name="indicator_target_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} · {self.get_code_display()}"
