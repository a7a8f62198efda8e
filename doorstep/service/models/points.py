"""Points (积分): rules, an append-only ledger per person, balances, rewards, redemptions.

Every change of a balance is a ledger line in the same transaction; the balance row is
locked for the change and may never go below zero (a check constraint as the last word).
A grant names its source ("case:12", "activity:3", "record:7" …); a source earns a rule's
points once, and a reversal is a new negative line pointing at the line it reverses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class RuleCode(models.TextChoices):
    CASE_RESOLVED = "case_resolved", _("接单办结")
    CASE_SATISFIED = "case_satisfied", _("居民评价满意")
    ACTIVITY_SERVED = "activity_served", _("活动志愿服务")
    SERVICE_HOURS = "service_hours", _("申报服务时长（每小时）")
    POST_DUTY = "post_duty", _("在岗履职（每月）")
    VISIT_LOGGED = "visit_logged", _("联户走访")


class Period(models.TextChoices):
    DAY = "day", _("每天")
    WEEK = "week", _("每周")
    MONTH = "month", _("每月")
    YEAR = "year", _("每年")


class PointRule(models.Model):
    """Points for one kind of action, with an optional cap per period. A rule at an
    organisation applies under it; the nearest one wins, else the one with none."""

    code = models.CharField(_("行为"), max_length=20, choices=RuleCode.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("适用组织（空为全区默认）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="point_rules",
    )
    points = models.PositiveIntegerField(_("积分"))
    cap = models.PositiveIntegerField(_("每期上限（积分，空为不限）"), null=True, blank=True)
    period = models.CharField(
        _("上限周期"), max_length=8, choices=Period.choices, default=Period.MONTH
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "organisation"], name="one_rule_per_code_and_org"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=Q(organisation__isnull=True), name="one_default_rule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} {self.points}分"


class LineKind(models.TextChoices):
    GRANT = "grant", _("获得")
    REVERSAL = "reversal", _("冲销")
    REDEMPTION = "redemption", _("兑换")
    REFUND = "refund", _("兑换退回")


class PointLineQuerySet(ScopedQuerySet["PointLine"]):
    """Staff with `service.view_pointline`: lines of their subtree; everyone: their own."""

    scope_paths = ("organisation_path",)
    node_field = "organisation"

    def always(self, user: Any) -> Q | None:
        return Q(user=user)


class PointLine(models.Model):
    """One line of a person's points ledger. Never updated, never deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="point_lines"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    organisation_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("类型"), max_length=12, choices=LineKind.choices)
    rule = models.CharField(_("规则"), max_length=20, blank=True)
    source = models.CharField(_("来源"), max_length=40)
    amount = models.IntegerField(_("积分"))
    balance_after = models.IntegerField(_("余额"))
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PointLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A source earns a rule's points once (until reversed, the grant stands).
            models.UniqueConstraint(
                fields=["user", "rule", "source"],
                condition=Q(kind="grant"),
                name="one_grant_per_source",
            ),
            models.CheckConstraint(
                condition=Q(kind="grant", amount__gt=0)
                | Q(kind="refund", amount__gt=0)
                | Q(kind="reversal", amount__lte=0)  # 0: all spent, owed instead
                | Q(kind="redemption", amount__lt=0),
                name="point_line_sign",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="never_negative"),
        ]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.amount:+d} ({self.source})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("积分明细只能新增，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("积分明细不能删除")


class PointAccount(models.Model):
    """A person's balance: the sum of their ledger lines, kept in step in one transaction."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="point_account"
    )
    balance = models.IntegerField(_("可用积分"), default=0)
    earned = models.IntegerField(_("累计获得"), default=0)
    spent = models.IntegerField(_("累计兑换"), default=0)
    # Points a reversal could not take back because they were already spent: later grants
    # settle it first (a reversal line each), so reopened work is never paid twice.
    owed = models.IntegerField(_("待抵扣积分"), default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="balance_never_negative"),
            models.CheckConstraint(condition=Q(owed__gte=0), name="owed_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.balance}"


class RewardQuerySet(ScopedQuerySet["Reward"]):
    """A community's redemption catalogue, for staff of its subtree (`service.view_reward`)."""

    scope_paths = ("organisation_path",)
    node_field = "organisation"

    def always(self, user: Any) -> Q | None:
        """The active catalogue of one's own street, to redeem from."""
        from doorstep.nearby.sites.scoping import home_street_q

        return home_street_q(user, "organisation_path") & Q(active=True)


class Reward(models.Model):
    """An item of a community's redemption catalogue (积分兑换)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("提供组织"),
        on_delete=models.PROTECT,
        related_name="rewards",
    )
    organisation_path = models.CharField(max_length=255, db_index=True, editable=False)
    name = models.CharField(_("名称"), max_length=60)
    cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), default=0)
    active = models.BooleanField(_("上架"), default=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        ordering = ["organisation_path", "cost", "id"]
        constraints = [models.CheckConstraint(condition=Q(cost__gte=1), name="reward_cost")]

    def __str__(self) -> str:
        return f"{self.name}（{self.cost}分）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.organisation_path = self.organisation.path
        super().save(*args, **kwargs)


class Redemption(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions"
    )
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    points = models.PositiveIntegerField(_("扣除积分"))
    line = models.OneToOneField(PointLine, on_delete=models.PROTECT, related_name="redemption")
    created_at = models.DateTimeField(default=timezone.now)
    handed_over_at = models.DateTimeField(_("领取时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.reward} ×{self.quantity}"


def scoped_rewards(user: Any) -> Any:
    """The rewards a staff member manages (their scope's, not the street's public catalogue)."""
    return Reward.objects.visible_to(user, "change")
