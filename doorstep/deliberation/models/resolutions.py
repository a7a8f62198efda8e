"""Resolutions (决议): what a vote or a council decided, published for a notice period
(公示) in which residents may object (each objection answered on record), then carried
out as an action — a case, a co-building project or a need — that is tracked until done
(`deliberation/resolutions.py` writes them; `deliberation/follow.py` tracks the action
through the lower domains' event logs)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

from .topics import neighbourhood


class ActionKind(models.TextChoices):
    NONE = "", _("未落实")
    CASE = "case", _("转为工单")
    PROJECT = "project", _("立为协商式治理项目")
    NEED = "need", _("列入需求清单")


class ResolutionQuerySet(ScopedQuerySet["Resolution"]):
    """Staff see the resolutions of their subtree and of the community above their grid;
    a resident sees those of the community they live in."""

    scope_paths = ("path",)

    def always(self, user: Any) -> Q | None:
        return neighbourhood(user, "deliberation.view_resolution")


class Resolution(models.Model):
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("决议事项"), max_length=60)
    text = models.TextField(_("决议内容"), max_length=2000)
    topic = models.ForeignKey(
        "deliberation.Topic",
        verbose_name=_("议题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolutions",
    )
    ballot = models.OneToOneField(
        "deliberation.Ballot",
        verbose_name=_("表决"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolution",
    )
    item = models.OneToOneField(
        "deliberation.AgendaItem",
        verbose_name=_("议事会议决定"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolution",
    )
    published_at = models.DateTimeField(_("公示开始"), default=timezone.now)
    notice_ends = models.DateTimeField(_("公示截止"))
    action = models.CharField(
        _("落实方式"), max_length=8, choices=ActionKind.choices, default="", blank=True
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "cogov.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    need = models.ForeignKey(
        "cogov.Need", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField(_("落实时间"), null=True, blank=True)
    # Set by the follower when the case closes, the project passes inspection, the need is met.
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ResolutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_ends__gt=models.F("published_at")),
                name="notice_ends_after_publishing",
            ),
            models.CheckConstraint(
                condition=Q(topic__isnull=False) | Q(ballot__isnull=False),
                name="resolution_has_a_source",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def in_notice(self, now: Any = None) -> bool:
        return (now or timezone.now()) < self.notice_ends


class Objection(models.Model):
    """A resident's objection to a resolution in its notice period, and the answer."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="objections")
    text = models.CharField(_("异议"), max_length=500)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(_("答复"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"{self.resolution_id} · {self.pk}"
