"""Cases (工单): categories, the case, its events, assignments, whistles, rollups.

Three things are kept apart (DESIGN.md): the case's `status` (workflow.py), each
assignee's dispatch record (`Assignment`: 派单 → 签收/回退, 主办/协办), and the deadline
`flag` (正常/将到期/已超期), which pauses while the case is suspended.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import Scope, ScopedQuerySet
from doorstep.core.crypto import EncryptedTextField
from doorstep.core.models import AppendOnlyModel
from doorstep.core.search import normalise_query, search_text_for

from .workflow import STATUS_CHOICES, UNFINISHED, S


class Urgency(models.TextChoices):
    URGENT = "urgent", _("紧急")
    PRESSING = "pressing", _("较急")
    ORDINARY = "ordinary", _("一般")


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("小时")
    WORKDAYS = "workdays", _("工作日")


class CaseKind(models.TextChoices):
    REQUEST = "request", _("群众点单")
    MICRO_WISH = "micro_wish", _("微心愿")
    PATROL = "patrol", _("网格发现")
    HOTLINE = "hotline", _("12345热线")


class Source(models.TextChoices):
    WEB = "web", _("网页")
    PATROL = "patrol", _("网格巡查")
    HOTLINE = "hotline", _("12345热线")
    OPEN311 = "open311", _("Open311接口")
    STAFF = "staff", _("工作人员代录")


class Flag(models.TextChoices):
    NORMAL = "normal", _("正常")
    SOON = "soon", _("将到期")
    OVERDUE = "overdue", _("已超期")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class CategorySource(models.TextChoices):
    CATALOGUE = "catalogue", _("政务服务目录")
    COMMUNITY = "community", _("社区自定义")


class Category(models.Model):
    """A node of the category tree (up to three levels); an Open311 service."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("层级"), default=1)
    full_name = models.CharField(_("完整名称"), max_length=320, editable=False, default="")
    # The full name simplified, in pinyin and initials (core.search), for the type-ahead.
    search_text = models.TextField(editable=False, default="")
    source = models.CharField(
        _("来源"), max_length=16, choices=CategorySource.choices, default=CategorySource.COMMUNITY
    )
    kind = models.CharField(
        _("诉求类型"), max_length=16, choices=CaseKind.choices, default=CaseKind.REQUEST
    )
    default_handler = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("默认承办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_categories",
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.ORDINARY
    )
    sign_limit = models.PositiveIntegerField(_("签收时限"), default=1)
    sign_unit = models.CharField(
        _("签收时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKDAYS
    )
    resolve_limit = models.PositiveIntegerField(
        _("办结时限"), null=True, blank=True, help_text=_("留空则按紧急程度的默认时限")
    )
    resolve_unit = models.CharField(
        _("办结时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKDAYS
    )
    escalate_when_overdue = models.BooleanField(_("超期自动上报"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="category_level"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps `search_text` with the name it is made from (a derived column)."""
        self.search_text = search_text_for(self.full_name or self.name)
        fields = kwargs.get("update_fields")
        if fields is not None and {"name", "full_name"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_text"}
        super().save(*args, **kwargs)


class CaseQuerySet(ScopedQuerySet["Case"]):
    """Cases through the access door: `cases.view_case`, then the case scope rule, which
    is richer than a path (cases/scoping.py: located or owned in the subtree, assigned or
    summoned to the user's organisation, filed by them, the pool of their community)."""

    def in_scope_of(
        self, user: Any, *, always: bool = True, scope: Scope | None = None
    ) -> CaseQuerySet:
        from .scoping import case_scope_q

        q = case_scope_q(user, scope)
        return self.all() if q is None else self.filter(q)

    def open(self) -> CaseQuerySet:
        from .workflow import OPEN

        return self.filter(status__in=OPEN)

    def overdue(self) -> CaseQuerySet:
        """已超期: open and past the deadline (a closed case never keeps the flag)."""
        return self.open().filter(flag=Flag.OVERDUE)

    def due_soon(self) -> CaseQuerySet:
        """将到期: open, past the warning time, not yet the deadline."""
        return self.open().filter(flag=Flag.SOON)


def matching(text: str) -> Q:
    """Cases whose number, title, request text or address holds `text`, forgiving script
    and spelling like the atlas search: 繁体 or simplified, pinyin, initials (`search_text`
    is kept in that form; the query is brought to it). The desk, its export and the API."""
    text = text.strip()
    needle = normalise_query(text)
    return Q(number__icontains=text) | Q(title__icontains=text) | Q(search_text__contains=needle)


class Case(models.Model):
    """A resident's need, a grid worker's finding or a hotline order (工单)."""

    number = models.CharField(_("工单编号"), max_length=32, unique=True)
    # A short code a person can read out (tracking.py); the number stays the Open311 id.
    code = models.CharField(_("查询码"), max_length=8, unique=True, null=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=CaseKind.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("诉求内容"))
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices)
    status = models.CharField(_("状态"), max_length=20, choices=STATUS_CHOICES, db_index=True)
    flag = models.CharField(_("时限状态"), max_length=16, choices=Flag.choices, default=Flag.NORMAL)
    # Where it is (fixed once filed) and who dispatches it (moves up when escalated).
    territory = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所在网格/社区"),
        on_delete=models.PROTECT,
        related_name="cases_here",
    )
    territory_path = models.CharField(max_length=255, db_index=True, editable=False)
    owner = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("派单单位"),
        on_delete=models.PROTECT,
        related_name="cases_owned",
    )
    owner_path = models.CharField(max_length=255, db_index=True, editable=False)
    building = models.ForeignKey(
        "places.Building",
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    # Who filed it. Anonymous cases hide this from the public, never from staff.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    anonymous = models.BooleanField(_("对外匿名"), default=False)
    contact_name = EncryptedTextField(_("联系人"), blank=True, default="")
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    contact_phone_last4 = models.CharField(max_length=4, blank=True, default="")
    external_no = models.CharField(_("外部编号"), max_length=64, null=True, blank=True)
    token = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    # Clock
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    responded_at = models.DateTimeField(_("首次响应"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("回单时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结期限"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    limit_unit = models.CharField(max_length=16, choices=LimitUnit.choices, blank=True)
    paused_at = models.DateTimeField(_("挂起时间"), null=True, blank=True)
    resolved_on_time = models.BooleanField(null=True, blank=True)
    # Outcome
    resolution = models.TextField(_("办理结果"), blank=True)
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True)
    solved = models.BooleanField(_("是否解决"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    rating_due_at = models.DateTimeField(_("评价截止"), null=True, blank=True)
    rating_expired = models.BooleanField(_("评价超时"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    version = models.PositiveIntegerField(default=1)
    search_text = models.TextField(editable=False, default="")
    # What the case counts for in the figures, folded from its events (tally.py).
    tally = models.JSONField(default=dict, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_no"],
                condition=Q(external_no__isnull=False),
                name="case_external_no_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["territory", "status"], name="case_territory_status"),
            # the cases closed in a period (the briefing's good examples and closings)
            models.Index(fields=["closed_at"], name="case_closed_at"),
            # what waits on someone, newest first: the to-do lists read a year's cases
            # through the few unfinished ones (views_queue.my_todo)
            models.Index(
                fields=["-created_at", "-id"],
                name="case_unfinished_newest",
                condition=Q(status__in=UNFINISHED),
            ),
        ]
        permissions = [
            ("report_patrol", "网格发现上报"),
            ("receive_case", "受理工单"),
            ("dispatch_case", "派单与审核"),
            ("handle_case", "承办工单"),
            ("claim_case", "接单"),
            ("escalate_case", "上报"),
            ("whistle_case", "吹哨与评价部门"),
            ("report_whistle", "部门报到"),
            ("supervise_case", "督办催办"),
            ("rate_case", "评价"),
            ("import_hotline", "导入12345工单"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def status_label(self) -> str:
        from .workflow import STATUS_LABELS

        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_draft(self) -> bool:
        return self.status == S.DRAFT


class CaseEvent(AppendOnlyModel):
    """One move on a case, append-only: who, when, from which status to which (the model
    and its queryset refuse update and delete)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    move = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.move}"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("待签收")
    SIGNED = "signed", _("已签收")
    RETURNED = "returned", _("已回退")
    RECALLED = "recalled", _("已撤回")
    RELEASED = "released", _("已放弃")
    DONE = "done", _("已完成")


ACTIVE_ASSIGNMENT = (AssignmentState.PENDING, AssignmentState.SIGNED)


class Assignment(models.Model):
    """A dispatch record: one handler (an organisation or a person) on one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    role = models.CharField(_("主协办"), max_length=8, choices=AssignmentRole.choices)
    state = models.CharField(_("状态"), max_length=12, choices=AssignmentState.choices)
    via = models.CharField(max_length=12)  # dispatch | claim | whistle
    sign_due_at = models.DateTimeField(_("签收期限"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("派单记录")
        verbose_name_plural = _("派单记录")
        ordering = ["case_id", "id"]
        constraints = [
            # At most one active lead (主办) — and so at most one active claim — per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(role="lead", state__in=["pending", "signed"]),
                name="one_active_lead_per_case",
            ),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(user__isnull=False),
                name="assignment_has_handler",
            ),
        ]
        indexes = [
            # what waits on a unit or a person (the 我的待办 list and cards): a department
            # has a year of finished assignments and a few active ones
            models.Index(
                fields=["organisation"],
                name="assignment_active_org",
                condition=Q(state__in=["pending", "signed"]),
            ),
            models.Index(
                fields=["user"],
                name="assignment_active_user",
                condition=Q(state__in=["pending", "signed"]),
            ),
            # the dispatch suggestions read a street's latest finished dispatches
            # (suggest.history): newest first, without sorting a year of them
            models.Index(
                fields=["-ended_at", "-id"],
                name="assignment_done_dispatch",
                condition=Q(role="lead", state="done", via="dispatch"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.handler_name}"

    @property
    def handler_name(self) -> str:
        return str(self.user or self.organisation)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_ASSIGNMENT


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")


class Extension(models.Model):
    """A handler's request for more time (申请延期), decided by the dispatcher."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    amount = models.PositiveIntegerField(_("延长"))
    unit = models.CharField(max_length=16, choices=LimitUnit.choices)
    reason = models.CharField(_("理由"), max_length=500)
    state = models.CharField(max_length=12, choices=ExtensionState.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="pending"), name="one_pending_extension"
            )
        ]

    def __str__(self) -> str:
        return f"延期{self.amount}{self.get_unit_display()}"


class Whistle(models.Model):
    """街道吹哨: the street summons departments to a case with a report-by time."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles")
    street = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="whistles"
    )
    whistled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    report_by = models.DateTimeField(_("报到时限"))
    note = models.TextField(_("事由"), blank=True)

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"吹哨 {self.created_at:%Y-%m-%d %H:%M}"


class Summons(models.Model):
    """One department summoned by a whistle: when it reported (报到) and how it did."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="summonses"
    )
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    evaluation = models.CharField(_("评价"), max_length=500, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("部门报到")
        verbose_name_plural = _("部门报到")
        constraints = [
            models.UniqueConstraint(fields=["whistle", "department"], name="summons_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="summons_score_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.department)

    @property
    def on_time(self) -> bool | None:
        if self.reported_at is None:
            return None
        return self.reported_at <= self.whistle.report_by


def _photo_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{instance.case_id}-{filename}"


class Attachment(models.Model):
    """A photo on a case (filed with it, added as information, or proof of the result)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=_photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")

    def __str__(self) -> str:
        return self.file.name or ""


class HolidayOverride(models.Model):
    """An administrator's correction of the working-day calendar (节假日/调休)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是工作日"))
    name = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


# The counter tables live in counters.py; imported here so Django registers them with
# the cases app and `from doorstep.cases.models import Rollup` keeps working.
from .counters import (  # noqa: E402, F401
    CATEGORY_FIELDS,
    ROLLUP_FIELDS,
    CategoryRollup,
    Rollup,
)
from .staging import HotlineLabel, HotlineOrder  # noqa: E402, F401
