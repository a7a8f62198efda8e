"""Room bookings: book (once or weekly), approve, decline, cancel, check in, no-shows.

Every function is keyword-only, takes the acting user and runs in one transaction: a
refused request raises a `SiteError` with a Chinese message and writes nothing.

No double booking: a booking blocks its room from `start` to `end + buffer`. The service
checks for an overlapping active booking and inserts inside one transaction. On SQLite
that is enough, because transactions begin IMMEDIATE (config/settings.py): writers are
serialised, so nobody can insert between the check and the insert. On PostgreSQL the
exclusion constraint `booking_no_overlap` (migration 0002) is the guarantee: of two
racing inserts the second fails, and its IntegrityError becomes "该时段已被预订".

Notifications go through `inbox.services.notify`, sent only once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from doorstep.accounts.typing import Actor, Viewer
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.inbox.channels import Message
from doorstep.inbox.services import notify, notify_batch

from . import scoping
from .errors import TAKEN, Conflict, NotAllowed, SiteError, SlotTaken
from .hours import TZ, within_hours
from .models import Booking, BookingSeries, BookingStatus, Room

NO_SHOW_AFTER = dt.timedelta(minutes=30)  # approved, not checked in this long after start
CHECK_IN_EARLY = dt.timedelta(minutes=30)  # check-in opens this long before start
MAX_WEEKS = 52

KIND_LABELS = {"resident": "居民", "team": "团队", "co_building": "共建单位", "staff": "工作人员"}


class SeriesConflict(SlotTaken):
    """All-or-nothing weekly booking refused: the weeks that could not be booked."""

    def __init__(self, message: str, dates: list[dt.date]) -> None:
        super().__init__(message)
        self.dates = dates


@dataclass
class SeriesResult:
    series: BookingSeries
    bookings: list[Booking]
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def skipped_dates(self) -> list[dt.date]:
        return [d for d, _ in self.skipped]


def _when(start: dt.datetime, end: dt.datetime) -> str:
    s, e = start.astimezone(TZ), end.astimezone(TZ)
    return f"{s:%Y-%m-%d %H:%M}–{e:%H:%M}"


def _aware(value: Any, label: str, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise SiteError(f"请填写{label}", field=name)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=TZ)
    return value


def _room(room: Room | int) -> Room:
    pk = room.pk if isinstance(room, Room) else room
    try:
        return Room.objects.select_related("site").get(pk=pk)
    except (Room.DoesNotExist, ValueError, TypeError):
        raise SiteError("房间不存在", field="room") from None


def booker_kinds(actor: Viewer, organisation: Organisation | None) -> set[str]:
    """As whom the actor books: for an organisation (a team or a co-building unit, of which
    the actor must be a member), or in person (a resident; staff may also book as staff)."""
    if organisation is not None:
        if organisation.pk not in scoping.member_org_ids(actor) and not actor.is_superuser:
            raise NotAllowed("您不是该单位的成员，不能以其名义预订", field="organisation")
        return {"co_building"} if organisation.kind == Kind.CO_BUILDING else {"team"}
    kinds = {"resident"}
    if actor.is_staff:
        kinds.add("staff")
    return kinds


def _allowed_kinds(room: Room) -> set[str]:
    flags = {
        "resident": room.bookable_by_residents,
        "team": room.bookable_by_teams,
        "co_building": room.bookable_by_co_building,
        "staff": room.bookable_by_staff,
    }
    return {k for k, on in flags.items() if on}


def _check_request(
    *,
    actor: Actor,
    room: Room,
    start: dt.datetime,
    end: dt.datetime,
    purpose: str,
    attendees: int,
    organisation: Organisation | None,
    now: dt.datetime,
) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed("请先登录再预订")
    if end <= start:
        raise SiteError("结束时间须晚于开始时间", field="end")
    if start <= now:
        raise SiteError("只能预订将来的时段", field="start")
    if not (purpose or "").strip():
        raise SiteError("请填写用途", field="purpose")
    if len(purpose) > 200:
        raise SiteError("用途不超过200字", field="purpose")
    if not room.active or not room.site.active:
        raise SiteError("该房间暂停预订", field="room")
    kinds = booker_kinds(actor, organisation)
    if not kinds & _allowed_kinds(room):
        asked = "、".join(KIND_LABELS[k] for k in sorted(kinds))
        raise NotAllowed(f"该房间不对{asked}开放预订", field="room")
    if not isinstance(attendees, int) or attendees < 1:
        raise SiteError("参加人数至少为1人", field="attendees")
    if attendees > room.capacity:
        raise SiteError(f"参加人数超过房间容量（最多{room.capacity}人）", field="attendees")


def _check_hours(room: Room, start: dt.datetime, end: dt.datetime) -> None:
    if not within_hours(room, start, end):
        raise SiteError("所选时段不在该房间的开放时间内", field="start")


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23P01" or "booking_no_overlap" in str(exc)


def _insert(
    *,
    actor: Actor,
    room: Room,
    start: dt.datetime,
    end: dt.datetime,
    purpose: str,
    attendees: int,
    organisation: Organisation | None,
    series: BookingSeries | None = None,
) -> Booking:
    blocked_from, blocked_until = start, end + dt.timedelta(minutes=room.buffer_minutes)
    # Also covers bookings whose own buffer reaches into this one.
    if Booking.objects.overlapping(room.pk, blocked_from, blocked_until).exists():
        raise SlotTaken(TAKEN, field="start")
    status = BookingStatus.PENDING if room.needs_approval else BookingStatus.APPROVED
    for _attempt in range(3):
        try:
            with transaction.atomic():  # a savepoint: a refused insert leaves the rest usable
                return Booking.objects.create(
                    room=room,
                    booker=actor,
                    organisation=organisation,
                    purpose=purpose.strip(),
                    start=start,
                    end=end,
                    blocked_from=blocked_from,
                    blocked_until=blocked_until,
                    attendees=attendees,
                    status=status,
                    series=series,
                )
        except OperationalError as exc:
            # Two inserts checking the exclusion constraint against each other can
            # deadlock on PostgreSQL; the one it aborts tries again (and then finds the
            # slot taken, or free if the other one failed).
            if getattr(exc.__cause__, "sqlstate", None) == "40P01":
                continue
            raise
        except IntegrityError as exc:
            if _is_overlap(exc):
                raise SlotTaken(TAKEN, field="start") from exc
            raise
    raise SlotTaken(TAKEN, field="start")


def _announce(booking: Booking, count: int = 1) -> None:
    room = booking.room
    what = f"{room}，{_when(booking.start, booking.end)}"
    if count > 1:
        what += f" 起共{count}次"
    if booking.status == BookingStatus.PENDING:
        notify(
            scoping.approver_ids(room.site),
            kind="booking_pending",
            title=f"新的房间预订待审批：{room}",
            body=f"{booking.booker}：{booking.purpose}（{what}）",
        )
        notify(
            [booking.booker_id], kind="booking_submitted", title="预订已提交，等待审批", body=what
        )
    else:
        notify([booking.booker_id], kind="booking_approved", title="预订成功", body=what)


def book(
    *,
    actor: Actor,
    room: Room | int,
    start: dt.datetime,
    end: dt.datetime,
    purpose: str,
    attendees: int = 1,
    organisation: Organisation | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book a room once. Pending if the room needs approval, else approved at once."""
    now = now or timezone.now()
    start, end = _aware(start, "开始时间", "start"), _aware(end, "结束时间", "end")
    with transaction.atomic():
        r = _room(room)
        _check_request(
            actor=actor,
            room=r,
            start=start,
            end=end,
            purpose=purpose,
            attendees=attendees,
            organisation=organisation,
            now=now,
        )
        _check_hours(r, start, end)
        booking = _insert(
            actor=actor,
            room=r,
            start=start,
            end=end,
            purpose=purpose,
            attendees=attendees,
            organisation=organisation,
        )
        _announce(booking)
    return booking


def book_weekly(
    *,
    actor: Actor,
    room: Room | int,
    start: dt.datetime,
    end: dt.datetime,
    weeks: int,
    purpose: str,
    attendees: int = 1,
    organisation: Organisation | None = None,
    skip_conflicts: bool = True,
    now: dt.datetime | None = None,
) -> SeriesResult:
    """Book the same slot every week for `weeks` weeks, starting with (start, end).

    skip_conflicts=True books the weeks that are free and reports the others (taken, or
    the room closed that day); False books all weeks or nothing (SeriesConflict names them).
    """
    now = now or timezone.now()
    start, end = _aware(start, "开始时间", "start"), _aware(end, "结束时间", "end")
    if not isinstance(weeks, int) or not 2 <= weeks <= MAX_WEEKS:
        raise SiteError(f"重复周数须在2到{MAX_WEEKS}之间", field="weeks")
    if end - start > dt.timedelta(days=1):
        raise SiteError("单次预订不能超过一天", field="end")
    with transaction.atomic():
        r = _room(room)
        _check_request(
            actor=actor,
            room=r,
            start=start,
            end=end,
            purpose=purpose,
            attendees=attendees,
            organisation=organisation,
            now=now,
        )
        series = BookingSeries.objects.create(
            room=r, booker=actor, purpose=purpose.strip(), weeks=weeks, first_start=start
        )
        local_start, length = start.astimezone(TZ), end - start
        bookings: list[Booking] = []
        skipped: list[tuple[dt.date, str]] = []
        for week in range(weeks):
            s = local_start + dt.timedelta(weeks=week)  # same wall-clock time each week
            e = s + length
            try:
                _check_hours(r, s, e)
                bookings.append(
                    _insert(
                        actor=actor,
                        room=r,
                        start=s,
                        end=e,
                        purpose=purpose,
                        attendees=attendees,
                        organisation=organisation,
                        series=series,
                    )
                )
            except SiteError as exc:
                skipped.append((s.date(), exc.message))
        if skipped and not skip_conflicts:
            dates = [d for d, _ in skipped]
            listed = "、".join(f"{d:%m月%d日}" for d in dates)
            raise SeriesConflict(f"以下日期无法预订，本次未作任何预订：{listed}", dates)
        if not bookings:
            raise SlotTaken("所选各周均无法预订", field="start")
        _announce(bookings[0], count=len(bookings))
    return SeriesResult(series, bookings, skipped)


def _locked(booking: Booking | int) -> Booking:
    pk = booking.pk if isinstance(booking, Booking) else booking
    try:
        return (
            Booking.objects.select_for_update(of=("self",)).select_related("room__site").get(pk=pk)
        )
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise SiteError("预订不存在") from None


def _decide_check(actor: Actor, b: Booking) -> None:
    if not scoping.may_decide(actor, b.room.site):
        raise NotAllowed("您无权审批该阵地的预订")
    if b.status != BookingStatus.PENDING:
        raise Conflict(f"该预订当前为“{b.get_status_display()}”，不能再审批")


def approve(*, actor: Actor, booking: Booking | int, now: dt.datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        b = _locked(booking)
        _decide_check(actor, b)
        if b.end <= now:
            raise SiteError("预订时段已过，不能再通过")
        b.status, b.decided_by, b.decided_at = BookingStatus.APPROVED, actor, now
        b.save(update_fields=["status", "decided_by", "decided_at"])
        notify(
            [b.booker_id],
            kind="booking_approved",
            title=f"房间预订已通过：{b.room}",
            body=f"{_when(b.start, b.end)}，{b.purpose}",
        )
    return b


def decline(
    *, actor: Actor, booking: Booking | int, reason: str, now: dt.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise SiteError("请填写未通过的原因", field="reason")
    if len(reason) > 200:
        raise SiteError("原因不超过200字", field="reason")
    with transaction.atomic():
        b = _locked(booking)
        _decide_check(actor, b)
        b.status, b.decided_by, b.decided_at = BookingStatus.DECLINED, actor, now
        b.decline_reason = reason
        b.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        notify(
            [b.booker_id],
            kind="booking_declined",
            title=f"房间预订未通过：{b.room}",
            body=f"{_when(b.start, b.end)}。原因：{reason}",
        )
    return b


def _is_booker_side(actor: Actor, b: Booking) -> bool:
    return actor.pk == b.booker_id or (
        b.organisation_id is not None and b.organisation_id in scoping.member_org_ids(actor)
    )


def cancel(
    *, actor: Actor, booking: Booking | int, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel by the booker (or their organisation) or by staff who may decide."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:200]
    with transaction.atomic():
        b = _locked(booking)
        own = _is_booker_side(actor, b)
        if not own and not scoping.may_decide(actor, b.room.site):
            raise NotAllowed("您无权取消该预订")
        if b.status not in (BookingStatus.PENDING, BookingStatus.APPROVED):
            raise Conflict(f"该预订当前为“{b.get_status_display()}”，不能取消")
        if b.end <= now:
            raise SiteError("预订时段已过，不能取消")
        b.status, b.cancel_reason = BookingStatus.CANCELLED, reason
        b.save(update_fields=["status", "cancel_reason"])
        when = f"{b.room}，{_when(b.start, b.end)}"
        if own:
            notify(
                scoping.approver_ids(b.room.site),
                kind="booking_cancelled",
                title=f"预订已被预订人取消：{b.room}",
                body=when + (f"。原因：{reason}" if reason else ""),
            )
        else:
            notify(
                [b.booker_id],
                kind="booking_cancelled",
                title=f"您的房间预订已被取消：{b.room}",
                body=when + (f"。原因：{reason}" if reason else ""),
            )
    return b


def check_in(*, actor: Actor, booking: Booking | int, now: dt.datetime | None = None) -> Booking:
    """Check in on arrival: from 30 minutes before the start to 30 minutes after it."""
    now = now or timezone.now()
    with transaction.atomic():
        b = _locked(booking)
        if not _is_booker_side(actor, b) and not scoping.may_decide(actor, b.room.site):
            raise NotAllowed("您无权为该预订签到")
        if b.status == BookingStatus.CHECKED_IN:
            raise Conflict("该预订已签到")
        if b.status == BookingStatus.PENDING:
            raise SiteError("该预订尚未通过审批，不能签到")
        if b.status != BookingStatus.APPROVED:
            raise Conflict(f"该预订当前为“{b.get_status_display()}”，不能签到")
        if now < b.start - CHECK_IN_EARLY:
            raise SiteError("还未到签到时间（开始前30分钟起可签到）")
        if now > b.start + NO_SHOW_AFTER:
            raise SiteError("已过签到时间（开始后30分钟内可签到）")
        b.status, b.checked_in_at = BookingStatus.CHECKED_IN, now
        b.save(update_fields=["status", "checked_in_at"])
    return b


def mark_no_shows(*, now: dt.datetime | None = None) -> int:
    """Record approved bookings not checked in 30 minutes after their start as no-shows
    (for a periodic job). Frees the rest of their slot. Returns how many were marked."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("room__site")
            .filter(
                status=BookingStatus.APPROVED,
                start__lte=now - NO_SHOW_AFTER,
                checked_in_at__isnull=True,
            )
        )
        if not due:
            return 0
        Booking.objects.filter(pk__in=[b.pk for b in due]).update(status=BookingStatus.NO_SHOW)
        notify_batch(
            Message(
                b.booker_id,
                "booking_no_show",
                f"预订未签到，已记为未到场：{b.room}",
                _when(b.start, b.end),
                "",
            )
            for b in due
        )
    return len(due)


def cancel_series(
    *, actor: Actor, series: BookingSeries | int, reason: str = "", now: dt.datetime | None = None
) -> int:
    """Cancel the weeks of a recurring booking that have not ended yet (all or none)."""
    now = now or timezone.now()
    pk = series.pk if isinstance(series, BookingSeries) else series
    with transaction.atomic():
        ids = list(
            Booking.objects.filter(
                series_id=pk,
                status__in=(BookingStatus.PENDING, BookingStatus.APPROVED),
                end__gt=now,
            )
            .order_by("start")
            .values_list("pk", flat=True)
        )
        if not ids:
            raise SiteError("该周期预订已没有可取消的场次")
        for booking_id in ids:
            cancel(actor=actor, booking=booking_id, reason=reason, now=now)
    return len(ids)


def create_site(*, actor: Actor | None, **fields: Any) -> Any:
    """Register a service site (for seeding and imports; the back office uses its form).

    `fields` are ServiceSite fields (name, kind, organisation, territory, …) plus
    `services` (ServiceKind objects or codes) and `contact_phone` (stored encrypted).
    The actor needs `sites.manage_site` over the territory (None: a system job).
    """
    from django.core.exceptions import ValidationError

    from .models import TERRITORY_KINDS, ServiceKind, ServiceSite

    services = fields.pop("services", [])
    site = ServiceSite(**fields)
    territory = fields.get("territory")
    if territory is None or territory.kind not in TERRITORY_KINDS:
        raise SiteError("所在区域须为街道、社区或网格", field="territory")
    try:
        site.full_clean(exclude=["contact_phone", "territory"])
    except ValidationError as exc:
        first = next(iter(exc.message_dict.values()))[0] if hasattr(exc, "message_dict") else exc
        raise SiteError(str(first)) from None
    if actor is not None and not (
        actor.has_perm("sites.manage_site") and scoping.covers_site(actor, _with_path(site))
    ):
        raise NotAllowed("您无权在该区域登记服务阵地")
    with transaction.atomic():
        site.save()
        codes = [s for s in services if isinstance(s, str)]
        kinds = [s for s in services if not isinstance(s, str)]
        kinds += list(ServiceKind.objects.filter(code__in=codes))
        if len(kinds) != len(services):
            raise SiteError("服务项目不存在", field="services")
        site.services.set(kinds)
    return site


def _with_path(site: Any) -> Any:
    site.territory_path = site.territory.path
    return site
