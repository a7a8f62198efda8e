"""Community projects (项目清单): the project, its event log, budget, milestones and ratings
(the lifecycle itself is data in `cogov/project_flow.py`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet
from doorstep.core.models import AppendOnlyModel

from ..project_flow import STATUS_CHOICES, P
from .lists import Match, Need


class ProjectKind(models.TextChoices):
    SERVICE = "service", _("为民服务项目")
    PARTICIPATORY = "participatory", _("参与式治理项目")
    CONSULTATIVE = "consultative", _("协商式治理项目")


class ProjectQuerySet(ScopedQuerySet["Project"]):
    """Staff see the projects of their subtree; a partner unit's liaison sees the projects it
    takes part in; everyone signed in sees the projects published for rating or rated."""

    scope_paths = ("path",)
    node_field = ("partners", "match__resource__provider")
    joins_many = True

    def always(self, user: Any) -> Q | None:
        return Q(status__in=["public", "rated"])


class Project(models.Model):
    title = models.CharField(_("项目名称"), max_length=60)
    kind = models.CharField(
        _("类型"), max_length=16, choices=ProjectKind.choices, default=ProjectKind.SERVICE
    )
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("实施地"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    summary = models.TextField(_("项目内容"), max_length=2000, blank=True)
    status = models.CharField(
        _("阶段"), max_length=12, choices=STATUS_CHOICES, default=P.PROPOSED, db_index=True
    )
    need = models.ForeignKey(
        Need, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    match = models.ForeignKey(
        Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    partners = models.ManyToManyField(
        "organisations.Organisation", verbose_name=_("共建单位"), blank=True, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("计划完成"))
    volunteers = models.PositiveIntegerField(_("参与志愿者（人）"), default=0)
    served = models.PositiveIntegerField(_("服务群众（人次）"), default=0)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目清单")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_project", "审核立项与验收项目")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="project_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectEvent(AppendOnlyModel):
    """The project's event log: each move, once (seq = the project's version after it)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    move = models.CharField(max_length=16)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("项目记录")
        verbose_name_plural = _("项目记录")
        ordering = ["project", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["project", "seq"], name="project_event_seq"),
        ]


class BudgetSource(models.TextChoices):
    FUND = "fund", _("共治基金")
    UNIT = "unit", _("共建单位")
    GOVERNMENT = "government", _("财政资金")
    SELF = "self", _("社区自筹")


class BudgetLine(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget")
    item = models.CharField(_("预算项目"), max_length=60)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    source = models.CharField(_("资金来源"), max_length=12, choices=BudgetSource.choices)

    class Meta:
        verbose_name = _("项目预算")
        verbose_name_plural = _("项目预算")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.amount}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=60)
    due_on = models.DateField(_("计划日期"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("完成情况"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def late(self, today: Any = None) -> bool:
        """Due and not done (a late milestone is flagged like an overdue case)."""
        return self.done_on is None and self.due_on < (today or timezone.localdate())


def _photo_path(photo: ProjectPhoto, name: str) -> str:
    return f"cogov/projects/{timezone.localdate():%Y/%m}/{name}"


class ProjectPhoto(models.Model):
    """A photo of the project's work (before, during, after), shown with the project to
    those who see it; checked as case photos are (a real image, at most 10 MB)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to=_photo_path)
    caption = models.CharField(_("说明"), max_length=60, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("项目照片")
        verbose_name_plural = _("项目照片")
        ordering = ["project", "at", "id"]

    def __str__(self) -> str:
        return self.caption or f"{self.project_id}"


class ProjectRating(models.Model):
    """A resident's rating of a project published for rating (公示期间): one per person."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField(_("评价（1–5）"))
    comment = models.CharField(_("意见"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("项目评价")
        verbose_name_plural = _("项目评价")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="one_rating_per_person"),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="project_stars_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.stars}"
