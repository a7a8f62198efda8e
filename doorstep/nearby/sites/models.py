"""Service sites (服务阵地), their rooms, opening hours and room bookings.

A site is run by an organisation and lies in a territory (street, community or grid) whose
materialised path is copied onto the site (`territory_path`), so "sites under this street"
is one prefix filter, like `cases.Case.territory_path`.

Opening hours are weekly rows (weekday 0 = Monday … 6 = Sunday, local time Asia/Shanghai)
for a site or for one of its rooms (a room without rows of its own keeps the site's hours),
corrected by dated special days (closed, or special hours). On public holidays a site is
closed unless it says it opens on holidays (`hours.py`).

No double booking: every booking stores the interval it blocks (`blocked_from`,
`blocked_until` = start … end + the room's buffer); on PostgreSQL an exclusion constraint
(migration 0002) forbids two active bookings of one room whose blocked intervals overlap;
on SQLite the booking service checks inside an IMMEDIATE (serialised) transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet
from doorstep.core.crypto import EncryptedTextField
from doorstep.core.masking import mask_phone


class SiteKind(models.TextChoices):
    CENTRE = "centre", _("党群服务中心")
    STATION = "station", _("党群服务站")
    RIDER_STATION = "rider_station", _("小蜜蜂驿站·暖新驿站")
    CANTEEN = "canteen", _("幸福食堂")
    NEIGHBOURHOOD = "neighbourhood", _("邻里之家")
    OPEN_VENUE = "open_venue", _("共建单位开放场地")
    STUDIO = "studio", _("社区工作室（两代表一委员）")
    OTHER = "other", _("其他")


TERRITORY_KINDS = ("street", "community", "grid")


class ServiceKind(models.Model):
    """A service a site offers (饮水, 充电, 休息 …)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceSiteQuerySet(ScopedQuerySet["ServiceSite"]):
    """Sites through the access door: staff with `sites.view_servicesite` see the sites
    of their subtree (by territory) and those a node-scoped organisation runs; everyone
    signed in sees the sites their organisations run and the active sites of their own
    street, which are public (scoping.py)."""

    scope_paths = ("territory_path",)
    node_field = ("organisation", "territory")
    permissions = {"change": "sites.manage_site"}

    def always(self, user: Any) -> Q | None:
        from .scoping import public_site_q

        return public_site_q(user)

    def managed_by(self, user: Any) -> ServiceSiteQuerySet:
        """The sites the user manages (`sites.manage_site` in their staff scope), not the
        public sites of their street, which they only see."""
        return self.visible_to(user, "change")  # type: ignore[return-value]

    def open_at(self, at: dt.datetime) -> ServiceSiteQuerySet:
        """Active sites open at this moment (special days, holidays and weekly hours)."""
        from .hours import TZ, is_public_holiday

        local = at.astimezone(TZ)
        day, t = local.date(), local.time()
        special = SpecialDay.objects.filter(site=OuterRef("pk"), room__isnull=True, date=day)
        weekly = OpeningHours.objects.filter(
            site=OuterRef("pk"),
            room__isnull=True,
            weekday=day.weekday(),
            opens__lte=t,
            closes__gt=t,
        )
        regular = ~Exists(special) & Exists(weekly)
        if is_public_holiday(day):
            regular &= Q(open_on_holidays=True)
        special_open = Exists(special.filter(closed=False, opens__lte=t, closes__gt=t))
        return self.filter(active=True).filter(special_open | regular)

    def open_now(self) -> ServiceSiteQuerySet:
        return self.open_at(timezone.now())


class ServiceSite(models.Model):
    """A place where residents are served: 党群服务中心/站, 驿站, 食堂, 邻里之家 …"""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=SiteKind.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("运营单位"),
        on_delete=models.PROTECT,
        related_name="run_sites",
    )
    territory = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("所在区域"),
        on_delete=models.PROTECT,
        related_name="territory_sites",
        limit_choices_to={"kind__in": TERRITORY_KINDS},
        help_text=_("街道、社区或网格"),
    )
    territory_path = models.CharField(max_length=255, db_index=True, editable=False)
    building = models.ForeignKey(
        "places.Building",
        verbose_name=_("所在楼宇"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_sites",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    services = models.ManyToManyField(
        ServiceKind, verbose_name=_("服务项目"), blank=True, related_name="sites"
    )
    open_on_holidays = models.BooleanField(
        _("法定节假日开放"), default=False, help_text=_("不勾选则法定节假日闭馆（特殊日期除外）")
    )
    description = models.TextField(_("简介"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ServiceSiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务阵地")
        verbose_name_plural = _("服务阵地")
        ordering = ["territory_path", "name"]
        permissions = [("manage_site", _("管理服务阵地、房间和开放时间"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90),
                name="site_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(lon__isnull=True) | Q(lon__gte=-180, lon__lte=180),
                name="site_lon_range",
            ),
        ]
        indexes = [models.Index(fields=["kind", "active"], name="site_kind_active")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.territory_id:
            self.territory_path = self.territory.path
            fields = kwargs.get("update_fields")
            if fields is not None and "territory" in fields:
                kwargs["update_fields"] = {*fields, "territory_path"}
        super().save(*args, **kwargs)

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

    def clean(self) -> None:
        territory = getattr(self, "territory", None) if self.territory_id else None
        if territory is not None and territory.kind not in TERRITORY_KINDS:
            raise ValidationError({"territory": "所在区域须为街道、社区或网格"})


def site_photo_path(instance: SitePhoto, filename: str) -> str:
    return f"sites/{instance.site_id}/{filename}"


class SitePhoto(models.Model):
    site = models.ForeignKey(
        ServiceSite, verbose_name=_("服务阵地"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("照片"), upload_to=site_photo_path)
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("阵地照片")
        verbose_name_plural = _("阵地照片")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.caption or f"照片{self.pk}"


class Room(models.Model):
    """A room of a site (书画室, 舞蹈室 …) that can be booked."""

    site = models.ForeignKey(
        ServiceSite, verbose_name=_("服务阵地"), on_delete=models.PROTECT, related_name="rooms"
    )
    name = models.CharField(_("名称"), max_length=60)
    capacity = models.PositiveIntegerField(_("容纳人数"), default=10)
    equipment = models.CharField(_("设施设备"), max_length=300, blank=True)
    bookable_by_residents = models.BooleanField(_("居民可预订"), default=True)
    bookable_by_teams = models.BooleanField(_("团队可预订"), default=True)
    bookable_by_co_building = models.BooleanField(_("共建单位可预订"), default=True)
    bookable_by_staff = models.BooleanField(_("工作人员可预订"), default=True)
    needs_approval = models.BooleanField(_("需审批"), default=True)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("间隔分钟"), default=0, help_text=_("两场预订之间至少空出的时间（用于整理场地）")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("房间")
        verbose_name_plural = _("房间")
        ordering = ["site_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="room_name_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
            models.CheckConstraint(
                condition=Q(buffer_minutes__lte=240), name="room_buffer_at_most_4h"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.name}"

    @property
    def bookable_by(self) -> list[str]:
        return [
            label
            for flag, label in (
                (self.bookable_by_residents, "居民"),
                (self.bookable_by_teams, "团队"),
                (self.bookable_by_co_building, "共建单位"),
                (self.bookable_by_staff, "工作人员"),
            )
            if flag
        ]


class Weekday(models.IntegerChoices):
    MON = 0, _("周一")
    TUE = 1, _("周二")
    WED = 2, _("周三")
    THU = 3, _("周四")
    FRI = 4, _("周五")
    SAT = 5, _("周六")
    SUN = 6, _("周日")


class OpeningHours(models.Model):
    """Weekly hours of a site, or of one room (then the room ignores the site's hours)."""

    site = models.ForeignKey(
        ServiceSite,
        verbose_name=_("服务阵地"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hours",
    )
    room = models.ForeignKey(
        Room,
        verbose_name=_("房间"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hours",
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    opens = models.TimeField(_("开门"))
    closes = models.TimeField(_("关门"))

    class Meta:
        verbose_name = _("开放时间")
        verbose_name_plural = _("开放时间")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(site__isnull=False) & Q(room__isnull=True))
                | (Q(site__isnull=True) & Q(room__isnull=False)),
                name="hours_site_xor_room",
            ),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError("关门时间须晚于开门时间")


class SpecialDay(models.Model):
    """A dated exception: closed all day, or special hours (节假日安排、临时闭馆)."""

    site = models.ForeignKey(
        ServiceSite,
        verbose_name=_("服务阵地"),
        on_delete=models.CASCADE,
        related_name="special_days",
    )
    room = models.ForeignKey(
        Room,
        verbose_name=_("房间"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="special_days",
        help_text=_("留空则适用于整个阵地"),
    )
    date = models.DateField(_("日期"))
    closed = models.BooleanField(_("全天闭馆"), default=True)
    opens = models.TimeField(_("开门"), null=True, blank=True)
    closes = models.TimeField(_("关门"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("特殊日期")
        verbose_name_plural = _("特殊日期（节假日、闭馆）")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed=True)
                | (
                    Q(opens__isnull=False)
                    & Q(closes__isnull=False)
                    & Q(closes__gt=models.F("opens"))
                ),
                name="special_day_hours",
            ),
        ]

    def __str__(self) -> str:
        if self.closed:
            return f"{self.date} 闭馆"
        return f"{self.date} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if not self.closed and not (self.opens and self.closes and self.closes > self.opens):
            raise ValidationError("非闭馆日须填写开门、关门时间，且关门晚于开门")


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已通过")
    DECLINED = "declined", _("未通过")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已签到")
    NO_SHOW = "no_show", _("未到场")


# Bookings in these states hold their slot (the exclusion constraint's WHERE clause).
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED, BookingStatus.CHECKED_IN)


class BookingSeries(models.Model):
    """A recurring booking (every Tuesday 19:00–21:00 for 8 weeks)."""

    room = models.ForeignKey(
        Room, verbose_name=_("房间"), on_delete=models.PROTECT, related_name="series"
    )
    booker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预订人"),
        on_delete=models.PROTECT,
        related_name="booking_series",
    )
    purpose = models.CharField(_("用途"), max_length=200)
    weeks = models.PositiveSmallIntegerField(_("周数"))
    first_start = models.DateTimeField(_("首次开始"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("周期预订")
        verbose_name_plural = _("周期预订")

    def __str__(self) -> str:
        return f"{self.purpose}（{self.weeks}周）"


class BookingQuerySet(ScopedQuerySet["Booking"]):
    """Bookings through the access door: staff with `sites.view_booking` see those of the
    sites their scope covers; everyone sees their own and those made for an organisation
    they belong to (scoping.py)."""

    scope_paths = ("room__site__territory_path",)
    node_field = "room__site__organisation"

    def always(self, user: Any) -> Q | None:
        from .scoping import own_booking_q

        return own_booking_q(user)

    def active(self) -> BookingQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, room_id: int, blocked_from: dt.datetime, blocked_until: dt.datetime):
        return self.active().filter(
            room_id=room_id, blocked_from__lt=blocked_until, blocked_until__gt=blocked_from
        )


class Booking(models.Model):
    room = models.ForeignKey(
        Room, verbose_name=_("房间"), on_delete=models.PROTECT, related_name="bookings"
    )
    booker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预订人"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("预订单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="room_bookings",
    )
    purpose = models.CharField(_("用途"), max_length=200)
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"))
    # The interval this booking keeps the room from others: start … end + buffer.
    blocked_from = models.DateTimeField(editable=False)
    blocked_until = models.DateTimeField(editable=False)
    attendees = models.PositiveIntegerField(_("人数"), default=1)
    status = models.CharField(
        _("状态"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_bookings",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decline_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    series = models.ForeignKey(
        BookingSeries,
        verbose_name=_("周期预订"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("房间预订")
        verbose_name_plural = _("房间预订")
        ordering = ["-start"]
        permissions = [("approve_booking", _("审批房间预订"))]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_order"),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=models.F("start"))
                & Q(blocked_until__gte=models.F("end")),
                name="booking_blocked_covers",
            ),
            models.CheckConstraint(condition=Q(attendees__gte=1), name="booking_attendees"),
        ]
        indexes = [
            models.Index(fields=["room", "blocked_from"], name="booking_room_from"),
            models.Index(fields=["status", "start"], name="booking_status_start"),
        ]

    def __str__(self) -> str:
        from .hours import TZ

        return f"{self.room} {self.start.astimezone(TZ):%Y-%m-%d %H:%M}"
