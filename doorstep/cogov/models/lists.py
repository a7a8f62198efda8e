"""The three lists of co-governance (三张清单) and the matches between them (供需对接).

- `Need` (需求清单): what a community, grid, building or group of people needs, with its
  field, the kind of resource wanted, urgency, people affected and a time window.
- `Resource` (资源清单): what a co-building unit, department, community or site offers —
  venue, funds, skills, services, goods — with its capacity as a quantity with a unit, the
  part not yet promised (`remaining`), when it is available and how far it reaches.
- `Match`: staff accepted a resource for a need, promising an amount of its capacity (taken
  under a row lock, `matching.accept`); the unit's liaison confirms (认领) or declines.

A need's place in the tree is `path` (its node's materialised path); a resource's is its
`area`, the node whose subtree it serves (a street-level unit's area is the street).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet, prefixes, scope_of


def ordered(start: str, end: str, name: str) -> models.CheckConstraint:
    """A time window whose end, when both are set, is not before its start."""
    return models.CheckConstraint(
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{end}__gte": models.F(start)}),
        name=name,
    )


class Field(models.TextChoices):
    """服务领域: what a need is about and what a resource serves."""

    ELDERLY = "elderly", _("助老养老")
    CHILDREN = "children", _("儿童青少年")
    DISABILITY = "disability", _("助残帮困")
    HEALTH = "health", _("医疗健康")
    EMPLOYMENT = "employment", _("就业创业")
    NEW_WORKERS = "new_workers", _("新就业群体")
    CULTURE = "culture", _("文体教育")
    LEGAL = "legal", _("法律服务")
    ENVIRONMENT = "environment", _("环境治理")
    PROPERTY = "property", _("物业与设施")
    SAFETY = "safety", _("平安建设")
    OTHER = "other", _("其他")


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("场地")
    FUNDS = "funds", _("资金")
    SKILLS = "skills", _("技能")
    SERVICE = "service", _("服务")
    GOODS = "goods", _("物资")


class Quantity(models.TextChoices):
    """The unit a capacity or an amount is counted in."""

    HOURS = "hours", _("小时")
    PEOPLE = "people", _("人")
    YUAN = "yuan", _("元")
    ITEMS = "items", _("件")
    SESSIONS = "sessions", _("场次")


class Urgency(models.IntegerChoices):
    NORMAL = 1, _("一般")
    PRESSING = 2, _("较急")
    URGENT = 3, _("紧急")


class NeedSource(models.TextChoices):
    RESIDENT = "resident", _("居民提出")
    VISIT = "visit", _("走访收集")
    CASE = "case", _("工单转入")
    WISH = "wish", _("微心愿转入")
    STAFF = "staff", _("工作人员登记")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待对接")
    MATCHED = "matched", _("对接中")
    MET = "met", _("已满足")
    CLOSED = "closed", _("已关闭")


OPEN_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.MATCHED)


class NeedQuerySet(ScopedQuerySet["Need"]):
    """Staff see the needs of their subtree; a unit's liaison sees the needs matched to the
    unit's resources; whoever recorded a need sees it."""

    scope_paths = ("path",)
    node_field = "matches__resource__provider"
    joins_many = True

    def own(self, user: Any) -> Q | None:
        return Q(created_by=user)

    def always(self, user: Any) -> Q | None:
        return Q(created_by=user)

    def open(self) -> NeedQuerySet:
        return self.filter(status__in=OPEN_NEED_STATUSES)


class Need(models.Model):
    node = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所属社区/网格"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    building = models.ForeignKey(
        "places.Building",
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    group = models.CharField(_("服务对象"), max_length=40, blank=True)
    title = models.CharField(_("需求"), max_length=60)
    detail = models.TextField(_("说明"), max_length=1000, blank=True)
    field = models.CharField(_("服务领域"), max_length=16, choices=Field.choices)
    wants = models.CharField(_("所需资源"), max_length=12, choices=ResourceKind.choices)
    urgency = models.PositiveSmallIntegerField(
        _("紧急程度"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    people = models.PositiveIntegerField(_("涉及人数"), default=1)
    amount = models.DecimalField(
        _("需要数量"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("单位"), max_length=10, choices=Quantity.choices, blank=True)
    window_start = models.DateField(_("开始日期"), null=True, blank=True)
    window_end = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=NeedSource.choices, default=NeedSource.STAFF
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("来源工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visit = models.ForeignKey(
        "service.Visit",
        verbose_name=_("来源走访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    met_at = models.DateTimeField(_("满足时间"), null=True, blank=True)
    closed_reason = models.CharField(_("关闭原因"), max_length=200, blank=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求清单")
        ordering = ["-urgency", "created_at", "id"]
        indexes = [models.Index(fields=["status", "path"], name="cogov_need_status_path")]
        constraints = [
            models.CheckConstraint(condition=Q(people__gte=1), name="need_people_positive"),
            ordered("window_start", "window_end", "need_window_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_NEED_STATUSES

    def age_days(self, now: Any = None) -> int:
        return ((now or timezone.now()) - self.created_at).days


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", _("可对接")
    PAUSED = "paused", _("暂停")
    WITHDRAWN = "withdrawn", _("已撤回")


class ResourceQuerySet(ScopedQuerySet["Resource"]):
    """Staff see the resources offered over their subtree and over the areas above it (a
    community sees what the street's units offer it); a unit's liaison sees its own."""

    scope_paths = ("path",)
    node_field = "provider"

    def own(self, user: Any) -> Q | None:
        return Q(created_by=user)

    def always(self, user: Any) -> Q | None:
        if not user.has_perm("cogov.view_resource"):
            return None
        above = {
            p
            for root in scope_of(user, "cogov.view_resource").paths
            for p in prefixes(root, include_self=False)
        }
        return Q(path__in=sorted(above)) if above else None

    def available(self) -> ResourceQuerySet:
        return self.filter(status=ResourceStatus.ACTIVE, remaining__gt=0)


DEFAULT_REACH_M = 1125  # 15 minutes at 4.5 km/h, the 15-minute circle


class Resource(models.Model):
    provider = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("提供单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("服务范围"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    site = models.ForeignKey(
        "sites.ServiceSite",
        verbose_name=_("所在阵地"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("资源"), max_length=60)
    detail = models.TextField(_("说明"), max_length=1000, blank=True)
    kind = models.CharField(_("资源类型"), max_length=12, choices=ResourceKind.choices)
    fields = models.JSONField(_("服务领域"), default=list)
    capacity = models.DecimalField(
        _("容量"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("单位"), max_length=10, choices=Quantity.choices)
    remaining = models.DecimalField(_("剩余容量"), max_digits=12, decimal_places=2)
    available_from = models.DateField(_("可用起"), null=True, blank=True)
    available_to = models.DateField(_("可用止"), null=True, blank=True)
    reach_m = models.PositiveIntegerField(_("服务半径（步行米）"), default=DEFAULT_REACH_M)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("资源")
        verbose_name_plural = _("资源清单")
        ordering = ["path", "id"]
        indexes = [models.Index(fields=["status", "path"], name="cogov_resource_status_path")]
        constraints = [
            # Capacity is promised under a row lock (matching.accept); the database keeps
            # the promise from ever exceeding it whatever code writes the row.
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("capacity")),
                name="resource_remaining_within_capacity",
            ),
            ordered("available_from", "available_to", "resource_window_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def field_labels(self) -> list[str]:
        labels = dict(Field.choices)
        return [str(labels.get(f, f)) for f in self.fields]


class MatchStatus(models.TextChoices):
    ACCEPTED = "accepted", _("待认领")
    CONFIRMED = "confirmed", _("已认领")
    DONE = "done", _("已完成")
    DECLINED = "declined", _("已婉拒")
    CANCELLED = "cancelled", _("已取消")


LIVE_MATCH_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.CONFIRMED)


class MatchQuerySet(ScopedQuerySet["Match"]):
    """Staff see the matches of the needs in their subtree; a unit's liaison sees the
    matches of its resources."""

    scope_paths = ("need__path",)
    node_field = "resource__provider"

    def live(self) -> MatchQuerySet:
        return self.filter(status__in=LIVE_MATCH_STATUSES)


class Match(models.Model):
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="matches")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="matches")
    amount = models.DecimalField(_("占用数量"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.ACCEPTED
    )
    score = models.FloatField(_("匹配度"), default=0)
    distance_m = models.FloatField(_("步行距离（米）"), null=True, blank=True)
    due_on = models.DateField(_("认领期限"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价（1–5）"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # What a confirmed match became (a project points at its match instead): its case or
    # activity, each with its own deadline; cogov.follow moves the match as they move.
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转办工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("转为活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("供需对接")
        verbose_name_plural = _("供需对接")
        ordering = ["-accepted_at", "-id"]
        permissions = [("confirm_match", "认领或婉拒供需对接")]
        constraints = [
            models.UniqueConstraint(
                fields=["need", "resource"],
                condition=Q(status__in=["accepted", "confirmed"]),
                name="one_live_match_per_pair",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="match_amount_positive"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="match_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need} ← {self.resource}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_MATCH_STATUSES
