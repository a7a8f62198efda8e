"""Votes (表决): an owners' vote on a compound matter under 民法典 第二百七十八条, its roll
(the exclusive parts, their owners and areas as registered when the ballot opened: a
snapshot, so later edits of the register never change a result) and its ballots, one per
part. `deliberation/ballots.py` writes them; `deliberation/vote_rule.py` counts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

from ..vote_rule import Choice, Matter


class BallotKind(models.TextChoices):
    OWNERS = "owners", _("业主共同决定事项表决")


class MatterChoice(models.TextChoices):
    MAJOR = Matter.MAJOR.value, _("筹集维修资金、改建重建、改变共有部分用途或利用其从事经营活动")
    ORDINARY = Matter.ORDINARY.value, _("其他共同决定事项")


class ChoiceLabel(models.TextChoices):
    YES = Choice.YES.value, _("同意")
    NO = Choice.NO.value, _("反对")
    ABSTAIN = Choice.ABSTAIN.value, _("弃权")


class BallotStatus(models.TextChoices):
    DRAFT = "draft", _("待开始")
    OPEN = "open", _("表决中")
    CLOSED = "closed", _("已结束")


class Channel(models.TextChoices):
    ONLINE = "online", _("线上投票")
    PAPER = "paper", _("纸质表决票录入")


class BallotQuerySet(ScopedQuerySet["Ballot"]):
    """Staff see the ballots of their subtree, and grid staff those of the compounds their
    grids cover part of; an owner or proxy sees the ballots they are on the roll of."""

    scope_paths = ("path", "compound__buildings__grid__path")
    joins_many = True

    def own(self, user: Any) -> Q:
        return Q(roll__household__holdings__resident__user=user)


class Ballot(models.Model):
    kind = models.CharField(
        _("表决类型"), max_length=10, choices=BallotKind.choices, default=BallotKind.OWNERS
    )
    compound = models.ForeignKey(
        "places.Compound", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("表决事项"), max_length=60)
    question = models.TextField(_("表决内容"), max_length=2000)
    matter = models.CharField(_("事项类别"), max_length=10, choices=MatterChoice.choices)
    opens_at = models.DateTimeField(_("投票开始"))
    closes_at = models.DateTimeField(_("投票截止"))
    status = models.CharField(
        _("状态"), max_length=8, choices=BallotStatus.choices, default=BallotStatus.DRAFT
    )
    # On closing: the tally's figures (areas in 0.01 m², owners) and the result.
    result = models.JSONField(_("表决结果"), null=True, blank=True)
    passed = models.BooleanField(_("是否通过"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BallotQuerySet.as_manager()

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        ordering = ["-opens_at", "-id"]
        permissions = [("view_vote_choices", "查看各户表决意见")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="ballot_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.title


class RollEntry(models.Model):
    """An exclusive part on a ballot's roll, as the register stood when it opened."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="roll")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="+")
    owner = models.CharField(max_length=200)  # parts with the same key are one owner
    area = models.PositiveIntegerField()  # 0.01 m²
    # The part's vote, if cast: a join on (ballot, household), no column of its own, so a
    # tally is one GROUP BY over the roll (`ballots.tally`). Never shown.
    vote = models.ForeignObject(
        "BallotVote",
        on_delete=models.DO_NOTHING,
        from_fields=["ballot", "household"],
        to_fields=["ballot", "household"],
        null=True,
        related_name="+",
    )

    class Meta:
        ordering = ["ballot_id", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "household"], name="roll_part_once")
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.household_id}"


class BallotVote(models.Model):
    """How one part voted: one row per part per ballot, whoever cast it (the owner or
    proxy online, or staff from a paper ballot). Secret: other residents never see it."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("表决意见"), max_length=8, choices=ChoiceLabel.choices)
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        ordering = ["ballot_id", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "household"], name="one_vote_per_part")
        ]

    def __str__(self) -> str:  # never the choice: it is secret
        return f"{self.ballot_id}:{self.household_id}"
