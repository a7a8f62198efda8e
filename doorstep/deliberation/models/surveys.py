"""Surveys (问卷): questions of five kinds, some shown only after a given answer to an
earlier one; an audience (the residents of a node, or of a vulnerable-group tag in it, or
anyone holding the QR code's link); one response per resident or per household; answers
given online or entered by staff from paper. Each answer is a row (a choice, a matrix
row's choice, a rating or a text), so a tally is one GROUP BY
(`deliberation/surveys.py` writes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet

from .topics import neighbourhood


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("本辖区居民")
    PUBLIC = "public", _("公开（扫码填写）")


class Per(models.TextChoices):
    RESIDENT = "resident", _("每位居民一份")
    HOUSEHOLD = "household", _("每户一份")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("收集中")
    CLOSED = "closed", _("已结束")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    TEXT = "text", _("填空")
    RATING = "rating", _("评分")
    MATRIX = "matrix", _("矩阵单选")


class SurveyQuerySet(ScopedQuerySet["Survey"]):
    """Staff see the surveys of their subtree and of the community above their grid; a
    resident those of their own community and street (a public survey is reached by its
    link, not listed)."""

    scope_paths = ("path",)

    def always(self, user: Any) -> Q | None:
        return neighbourhood(user, "deliberation.view_survey")


class Survey(models.Model):
    title = models.CharField(_("问卷名称"), max_length=60)
    intro = models.CharField(_("说明"), max_length=500, blank=True)
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("范围"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    audience = models.CharField(
        _("填写对象"), max_length=10, choices=Audience.choices, default=Audience.RESIDENTS
    )
    tag = models.CharField(_("重点人群"), max_length=20, blank=True)
    per = models.CharField(_("填写份数"), max_length=10, choices=Per.choices, default=Per.RESIDENT)
    # the QR code's link: /s/<token>/ (anyone holding it may answer a public survey)
    token = models.CharField(max_length=32, unique=True, editable=False)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(
        _("状态"),
        max_length=8,
        choices=SurveyStatus.choices,
        default=SurveyStatus.DRAFT,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="survey_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_label(self) -> str:
        from doorstep.atlas.people.models import TAG_LABELS

        return str(TAG_LABELS.get(self.tag, self.tag))


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("题号"))
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=200)
    options = models.JSONField(_("选项"), default=list, blank=True)  # choices, or a matrix's
    rows = models.JSONField(_("矩阵行"), default=list, blank=True)
    scale = models.PositiveSmallIntegerField(_("评分满分"), default=5)
    required = models.BooleanField(_("必答"), default=True)
    # Shown only when the earlier `show_if` question was answered with one of these options.
    show_if = models.ForeignKey(
        "self",
        verbose_name=_("显示条件题"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    show_if_options = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("问卷题目")
        verbose_name_plural = _("问卷题目")
        ordering = ["survey_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_once")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def condition(self) -> str:
        """When it is shown, in words: 第1题选“二至三层”或“四层及以上”时作答."""
        parent = self.show_if
        if parent is None:
            return ""
        picked = "或".join(
            f"“{parent.options[i]}”" for i in self.show_if_options if i < len(parent.options)
        )
        return f"第{parent.position}题选{picked}时作答"


class Response(models.Model):
    """One filled-in survey. `key` is who it counts for — a resident ("r:<id>"), a
    household ("h:<id>"), a signed-in user of a public survey ("u:<id>") or an anonymous
    phone ("a:<random>") — unique per survey, so two browsers at once cannot both count."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    key = models.CharField(max_length=40)
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid_path = models.CharField(max_length=255, blank=True, db_index=True)
    channel = models.CharField(
        _("方式"),
        max_length=8,
        choices=[("online", _("线上填写")), ("paper", _("纸质问卷录入"))],
        default="online",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        ordering = ["survey_id", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="one_response_per_respondent")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.pk}"


class Answer(models.Model):
    """One row of an answer: a chosen option (several rows for a multiple choice, one per
    matrix row), a rating (`choice` = the stars), or a text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    row = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        indexes = [models.Index(fields=["survey", "question", "row", "choice"])]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"
