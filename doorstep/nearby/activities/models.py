"""Activities (活动): what, when, where, who organises; sign-ups with a waiting list; check-in.

Attendance is counted the way leaders report it: 场次 (activities held) and 人次 (people
checked in).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet
from doorstep.core.models import AppendOnlyModel


class ActivityKind(models.TextChoices):
    FESTIVAL = "festival", _("邻里节")
    JOB_FAIR = "job_fair", _("招聘会")
    MARKET = "market", _("便民集市")
    TRAINING = "training", _("培训讲座")
    VOLUNTEER = "volunteer", _("志愿服务")
    STUDY = "study", _("研学")
    CULTURE = "culture", _("文体活动")
    OTHER = "other", _("其他")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("所有居民")
    ELDERLY = "elderly", _("老年人")
    CHILDREN = "children", _("青少年儿童")
    PARTY = "party", _("党员")
    WORKERS = "workers", _("新就业群体")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", _("报名中")
    CANCELLED = "cancelled", _("已取消")


class ActivityQuerySet(ScopedQuerySet["Activity"]):
    """Activities through the access door: published ones are public to everyone signed
    in; staff with `activities.view_activity` also see cancelled ones in their subtree."""

    scope_paths = ("territory_path",)

    def always(self, user: Any) -> Q | None:
        return Q(status=ActivityStatus.PUBLISHED)


class Activity(models.Model):
    title = models.CharField(_("活动名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=ActivityKind.choices)
    description = models.TextField(_("活动介绍"), blank=True)
    organiser = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("主办单位"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    co_organisers = models.ManyToManyField(
        "organisations.Organisation",
        verbose_name=_("协办单位"),
        blank=True,
        related_name="co_organised_activities",
    )
    territory = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所在社区/街道"),
        on_delete=models.PROTECT,
        related_name="activities_here",
    )
    territory_path = models.CharField(max_length=255, db_index=True, editable=False)
    site = models.ForeignKey(
        "sites.ServiceSite",
        verbose_name=_("服务阵地"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    booking = models.OneToOneField(
        "sites.Booking",
        verbose_name=_("场地预约"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
    )
    address = models.CharField(_("地点"), max_length=200)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    audience = models.CharField(
        _("面向"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    signup_opens_at = models.DateTimeField(_("报名开始"))
    signup_closes_at = models.DateTimeField(_("报名截止"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PUBLISHED
    )
    checkin_token = models.CharField(max_length=40, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(signup_closes_at__gt=models.F("signup_opens_at")),
                name="activity_signup_window",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_capacity"),
        ]
        permissions = [("check_in_activity", "活动签到管理")]

    def __str__(self) -> str:
        return self.title


class SignUpStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITING = "waiting", _("候补")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_SIGNUP = (SignUpStatus.CONFIRMED, SignUpStatus.WAITING)


class SignUpRole(models.TextChoices):
    PARTICIPANT = "participant", _("参加")
    VOLUNTEER = "volunteer", _("志愿服务")


class SignUp(models.Model):
    """One person's place on an activity: confirmed, or waiting in line (by time of sign-up).

    Volunteers (by role; everyone on a 志愿服务 activity) also check out: the time between
    becomes their verified service hours."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_signups"
    )
    status = models.CharField(max_length=12, choices=SignUpStatus.choices)
    role = models.CharField(
        _("身份"), max_length=12, choices=SignUpRole.choices, default=SignUpRole.PARTICIPANT
    )
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(_("候补转正"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["activity_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(status__in=["confirmed", "waiting"]),
                name="one_active_signup_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.activity}"


class AttendanceEvent(AppendOnlyModel):
    """The activities' append-only event log: a volunteer checked out of an activity (the
    service app's consumer turns it into verified hours and points, see service.credits)."""

    class Kind(models.TextChoices):
        CHECKED_OUT = "checked_out", _("志愿者签退")

    # An activity removed as a whole (the demo's reset) takes its log with it.
    signup = models.ForeignKey(SignUp, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("签到签退记录")
        verbose_name_plural = _("签到签退记录")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.signup_id} {self.kind}"
