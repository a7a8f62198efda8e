"""Topics (议题): what a community is asked to decide together — raised by residents, or
brought from a case, a visit, a survey or the needs list — screened by the community
(accept, merge into another, decline with a reason the proposer sees) and seconded by
residents (附议). A topic with enough seconds must be answered by a set time
(`deliberation/topics.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet, prefixes, scope_of


class TopicSource(models.TextChoices):
    RESIDENT = "resident", _("居民提出")
    CASE = "case", _("诉求转议题")
    VISIT = "visit", _("走访发现")
    SURVEY = "survey", _("问卷建议")
    NEED = "need", _("需求清单")
    RECEPTION = "reception", _("代表接待")


class TopicStatus(models.TextChoices):
    OPEN = "open", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    MERGED = "merged", _("已合并")
    DECLINED = "declined", _("不予受理")
    DECIDED = "decided", _("已形成决议")


def neighbourhood(user: Any, perm: str) -> Q | None:
    """The rows at the user's home or above it (their community, their street), and, for
    staff holding `perm`, at or above the nodes of their scope (a grid worker sees the
    topics of the community their grid is in)."""
    from doorstep.atlas.people.models import Resident

    homes = list(Resident.objects.filter(user=user).values_list("grid__path", flat=True))
    if user.has_perm(perm):
        homes += scope_of(user, perm).paths
    paths = {p for home in homes if home for p in prefixes(home)}
    return Q(path__in=sorted(paths)) if paths else None


class TopicQuerySet(ScopedQuerySet["Topic"]):
    """Staff see the topics of their subtree and of the community above their grid; a
    resident sees those of the community they live in."""

    scope_paths = ("path",)

    def always(self, user: Any) -> Q | None:
        return neighbourhood(user, "deliberation.view_topic")


class Topic(models.Model):
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
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("议题"), max_length=60)
    detail = models.TextField(_("说明"), max_length=2000, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=TopicSource.choices, default=TopicSource.RESIDENT
    )
    # Where it came from in another domain, as the people there name it ("工单 …").
    source_ref = models.CharField(_("来源记录"), max_length=60, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    need = models.ForeignKey(
        "cogov.Need", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=TopicStatus.choices,
        default=TopicStatus.OPEN,
        db_index=True,
    )
    seconds = models.PositiveIntegerField(_("附议人数"), default=0)
    # Set once, when the seconds first reach the threshold: the community answers by then.
    answer_due = models.DateTimeField(_("答复期限"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.CharField(_("答复"), max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入议题"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # topics are removed only with their community
        related_name="merged",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="merged_topic_names_target",
            )
        ]

    def __str__(self) -> str:
        return self.title


class TopicSecond(models.Model):
    """One resident's second (附议) of a topic, counted into `Topic.seconds` in the same
    transaction under the topic's row lock."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="seconders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附议")
        verbose_name_plural = _("附议")
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="one_second_per_resident")
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.user_id}"
