"""Publishing activities, signing up (with a waiting list), cancelling, checking in.

Every write locks the activity row (SELECT … FOR UPDATE on PostgreSQL; SQLite's write
transactions are serial), so the last seat goes to exactly one person and a cancellation
promotes exactly the first in line. Errors are `ActivityError` with a Chinese message;
nothing is written when one is raised. Notifications go out after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.accounts.typing import Actor, Viewer
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core import errors as core_errors
from doorstep.core import events, figure_cache
from doorstep.inbox.services import notify
from doorstep.nearby.sites.errors import SiteError
from doorstep.nearby.sites.models import Room
from doorstep.nearby.sites.services import book as book_room
from doorstep.nearby.sites.services import cancel as cancel_booking

from .models import (
    ACTIVE_SIGNUP,
    Activity,
    ActivityStatus,
    AttendanceEvent,
    SignUp,
    SignUpRole,
    SignUpStatus,
)

# Check-in opens this long before the start and stays open until the end.
CHECKIN_EARLY = dt.timedelta(hours=1)
TERRITORY_KINDS = (Kind.STREET, Kind.COMMUNITY, Kind.GRID, Kind.DISTRICT)


class ActivityError(core_errors.DomainError):
    """An activity rule refused (400); the kinds below are 403 and 409."""


class ActivityDenied(ActivityError, core_errors.NotAllowed):
    pass


class ActivityConflict(ActivityError, core_errors.Conflict):
    pass


UNIT_KINDS = (Kind.CO_BUILDING, Kind.DEPARTMENT)


def unit_home(org: Organisation) -> str:
    """The area a co-building unit or department serves: its parent's subtree."""
    parts = org.path.strip("/").split("/")[:-1]
    return "/" + "/".join(parts) + "/" if parts else "/"


def _own_unit(user: Viewer, org: Organisation) -> bool:
    """A co-building unit's (or department's) liaison acting for that unit."""
    return org.kind in UNIT_KINDS and org.pk in scope_of(user).node_ids


def may_run(user: Viewer, activity: Activity) -> bool:
    """Change, cancel or manage check-in: staff of the area, or the organising unit."""
    return user.has_perm("activities.change_activity") and (
        scope_of(user).covers(activity.territory.path) or _own_unit(user, activity.organiser)
    )


def _check_times(
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    opens: dt.datetime,
    closes: dt.datetime,
    capacity: int,
) -> None:
    if ends_at <= starts_at:
        raise ActivityError("结束时间必须晚于开始时间", "ends_at")
    if closes <= opens:
        raise ActivityError("报名截止时间必须晚于报名开始时间", "signup_closes_at")
    if closes > ends_at:
        raise ActivityError("报名截止不能晚于活动结束", "signup_closes_at")
    if capacity < 1:
        raise ActivityError("名额至少为1", "capacity")


def publish(
    *,
    actor: Actor,
    title: str,
    kind: str,
    organiser: Organisation,
    territory: Organisation,
    address: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    signup_opens_at: dt.datetime | None = None,
    signup_closes_at: dt.datetime | None = None,
    description: str = "",
    audience: str = "everyone",
    co_organisers: list[Organisation] | None = None,
    lat: float | None = None,
    lon: float | None = None,
    room: Room | None = None,
) -> Activity:
    """Publish an activity. With a room, the room is booked in the same step (approved at
    once or pending, as the room says); a refused booking publishes nothing."""
    if not actor.has_perm("activities.add_activity"):
        raise ActivityDenied("没有发布活动的权限")
    if territory.kind not in TERRITORY_KINDS:
        raise ActivityError("活动须属于某个街道、社区或网格", "territory")
    unit = _own_unit(actor, organiser)
    if unit:
        # A co-building unit publishes for itself, in the area it is paired with.
        if not territory.path.startswith(unit_home(organiser)):
            raise ActivityDenied("共建单位只能在所结对的街道/社区发布活动")
    elif not scope_of(actor).covers(territory.path):
        raise ActivityDenied("只能在本辖区发布活动")
    elif not scope_of(actor).covers(organiser.path):
        raise ActivityDenied("主办单位须为本辖区内的组织或本单位", "organiser")
    co_organisers = [o for o in (co_organisers or []) if o.pk != organiser.pk]
    if len(co_organisers) > 20:
        raise ActivityError("协办单位最多20个", "co_organisers")
    title = (title or "").strip()
    if not title:
        raise ActivityError("请填写活动名称", "title")
    now = timezone.now()
    if starts_at <= now:
        raise ActivityError("活动开始时间已过", "starts_at")
    opens = signup_opens_at or now
    closes = signup_closes_at or starts_at
    _check_times(starts_at, ends_at, opens, closes, capacity)
    site = room.site if room is not None else None
    if site is not None and not (address or "").strip():
        address = site.address or site.name
    if not (address or "").strip():
        raise ActivityError("请填写活动地点或选择场地", "address")
    with transaction.atomic():
        activity = Activity.objects.create(
            site=site,
            title=title[:120],
            kind=kind,
            description=description,
            organiser=organiser,
            territory=territory,
            territory_path=territory.path,
            address=(address or "").strip()[:200],
            lat=lat,
            lon=lon,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            audience=audience,
            signup_opens_at=opens,
            signup_closes_at=closes,
            checkin_token=secrets.token_urlsafe(16),
            created_by=actor,
        )
        if co_organisers:
            activity.co_organisers.set(co_organisers)
        if room is not None:
            try:
                activity.booking = book_room(
                    actor=actor,
                    room=room,
                    start=starts_at,
                    end=ends_at,
                    purpose=f"活动：{activity.title}"[:200],
                    attendees=min(capacity, room.capacity),
                )
            except SiteError as exc:
                error_kind: type[ActivityError] = ActivityError  # the same kind, as an activity's
                if isinstance(exc, core_errors.NotAllowed):
                    error_kind = ActivityDenied
                elif isinstance(exc, core_errors.Conflict):
                    error_kind = ActivityConflict
                raise error_kind(exc.message, "room") from exc
            activity.save(update_fields=["booking"])
    return activity


def _lock(activity: Activity | int) -> Activity:
    pk = activity if isinstance(activity, int) else activity.pk
    qs = Activity.objects.all()
    if connection.vendor == "postgresql":
        qs = qs.select_for_update()
    try:
        return qs.get(pk=pk)
    except Activity.DoesNotExist:
        raise ActivityError("活动不存在") from None


def confirmed_count(activity: Activity) -> int:
    return activity.signups.filter(status=SignUpStatus.CONFIRMED).count()


def sign_up(activity: Activity | int, user: Actor, *, as_volunteer: bool = False) -> SignUp:
    """A place if there is one, else a place in the waiting line (候补). On a 志愿服务
    activity everyone serves as a volunteer; elsewhere one may offer to."""
    if not getattr(user, "is_authenticated", False):
        raise ActivityDenied("请先登录")
    with transaction.atomic():
        locked = _lock(activity)
        now = timezone.now()
        if locked.status != ActivityStatus.PUBLISHED:
            raise ActivityConflict("活动已取消")
        if now < locked.signup_opens_at:
            raise ActivityConflict("报名尚未开始")
        if now > locked.signup_closes_at:
            raise ActivityConflict("报名已截止")
        if locked.signups.filter(user=user, status__in=ACTIVE_SIGNUP).exists():
            raise ActivityConflict("您已报名该活动")
        full = confirmed_count(locked) >= locked.capacity
        status = SignUpStatus.WAITING if full else SignUpStatus.CONFIRMED
        try:
            with transaction.atomic():
                volunteer = as_volunteer or locked.kind == "volunteer"
                signup = SignUp.objects.create(
                    activity=locked,
                    user=user,
                    status=status,
                    created_at=now,
                    role=SignUpRole.VOLUNTEER if volunteer else SignUpRole.PARTICIPANT,
                )
        except IntegrityError:
            raise ActivityConflict("您已报名该活动") from None
        if status == SignUpStatus.WAITING:
            ahead = locked.signups.filter(status=SignUpStatus.WAITING, pk__lt=signup.pk).count()
            title = f"已进入候补：{locked.title}（前面还有{ahead}人）"
        else:
            title = f"报名成功：{locked.title}"
        notify([user.pk], kind="activity_signup", title=title, url=f"/activities/{locked.pk}/")
    return signup


def _first_waiting(activity: Activity) -> SignUp | None:
    return activity.signups.filter(status=SignUpStatus.WAITING).order_by("created_at", "id").first()


def cancel(signup: SignUp | int, *, actor: Actor) -> SignUp | None:
    """Cancel a sign-up (its owner, or staff of the activity's area). A freed place goes to
    the first in the waiting line, who is told. Returns the promoted sign-up, if any."""
    pk = signup if isinstance(signup, int) else signup.pk
    with transaction.atomic():
        current = SignUp.objects.select_related("activity").filter(pk=pk).first()
        if current is None:
            raise ActivityError("报名记录不存在")
        locked = _lock(current.activity_id)
        current.refresh_from_db()
        if current.user_id != actor.pk and not may_run(actor, locked):
            raise ActivityDenied("只能取消自己的报名")
        if current.status == SignUpStatus.CANCELLED:
            raise ActivityConflict("该报名已取消")
        if timezone.now() >= locked.starts_at:
            raise ActivityConflict("活动已开始，不能取消报名")
        was_confirmed = current.status == SignUpStatus.CONFIRMED
        current.status, current.cancelled_at = SignUpStatus.CANCELLED, timezone.now()
        current.save(update_fields=["status", "cancelled_at"])
        promoted = None
        if was_confirmed and confirmed_count(locked) < locked.capacity:
            promoted = _first_waiting(locked)
            if promoted is not None:
                promoted.status, promoted.promoted_at = SignUpStatus.CONFIRMED, timezone.now()
                promoted.save(update_fields=["status", "promoted_at"])
                notify(
                    [promoted.user_id],
                    kind="activity_promoted",
                    title=f"候补转正，您已报名成功：{locked.title}",
                    url=f"/activities/{locked.pk}/",
                )
    return promoted


def set_capacity(activity: Activity | int, *, capacity: int, actor: Actor) -> Activity:
    """Change the number of places: never below those already confirmed; more places
    promote the waiting line in order."""
    with transaction.atomic():
        locked = _lock(activity)
        if not may_run(actor, locked):
            raise ActivityDenied("没有修改该活动的权限")
        if locked.status != ActivityStatus.PUBLISHED:
            raise ActivityConflict("活动已取消")
        confirmed = confirmed_count(locked)
        if capacity < max(1, confirmed):
            raise ActivityError(f"名额不能少于已报名人数（{confirmed}人）", "capacity")
        locked.capacity = capacity
        locked.save(update_fields=["capacity"])
        for _ in range(capacity - confirmed):
            nxt = _first_waiting(locked)
            if nxt is None:
                break
            nxt.status, nxt.promoted_at = SignUpStatus.CONFIRMED, timezone.now()
            nxt.save(update_fields=["status", "promoted_at"])
            notify(
                [nxt.user_id],
                kind="activity_promoted",
                title=f"候补转正，您已报名成功：{locked.title}",
                url=f"/activities/{locked.pk}/",
            )
    return locked


def check_in(
    activity: Activity | int,
    user: Actor | None,
    *,
    token: str | None = None,
    by: Actor | None = None,
) -> SignUp:
    """Check a confirmed person in: themselves with the activity's QR token, or by staff."""
    with transaction.atomic():
        locked = _lock(activity)
        if by is not None:
            if not (
                by.has_perm("activities.check_in_activity")
                and (scope_of(by).covers(locked.territory.path) or _own_unit(by, locked.organiser))
            ):
                raise ActivityDenied("没有签到管理的权限")
        elif not token or not secrets.compare_digest(
            token.encode("utf-8", "replace"), locked.checkin_token.encode()
        ):
            raise ActivityDenied("签到码无效")
        now = timezone.now()
        if now < locked.starts_at - CHECKIN_EARLY or now > locked.ends_at:
            raise ActivityConflict("不在签到时间内")
        signup = locked.signups.filter(user=user, status=SignUpStatus.CONFIRMED).first()
        if signup is None:
            raise ActivityConflict("未找到已确认的报名")
        if signup.checked_in_at is not None:
            raise ActivityConflict("已签到")
        signup.checked_in_at, signup.checked_in_by = now, by
        signup.save(update_fields=["checked_in_at", "checked_in_by"])
    return signup


CHECKOUT_LATE = dt.timedelta(hours=2)


def check_out(
    activity: Activity | int, user: Actor, *, token: str | None = None, by: Actor | None = None
) -> SignUp:
    """A volunteer leaves: themselves with the QR token, or staff for them. The time
    between check-in and check-out (inside the activity) becomes verified service hours."""
    with transaction.atomic():
        locked = _lock(activity)
        if by is not None:
            if not (
                by.has_perm("activities.check_in_activity")
                and (scope_of(by).covers(locked.territory.path) or _own_unit(by, locked.organiser))
            ):
                raise ActivityDenied("没有签到管理的权限")
        elif not token or not secrets.compare_digest(
            token.encode("utf-8", "replace"), locked.checkin_token.encode()
        ):
            raise ActivityDenied("签到码无效")
        signup = locked.signups.filter(user=user, status=SignUpStatus.CONFIRMED).first()
        if signup is None:
            raise ActivityConflict("未找到已确认的报名")
        if signup.role != SignUpRole.VOLUNTEER:
            raise ActivityConflict("只有志愿者需要签退")
        if signup.checked_in_at is None:
            raise ActivityConflict("尚未签到，不能签退")
        if signup.checked_out_at is not None:
            raise ActivityConflict("已签退")
        now = timezone.now()
        if now > locked.ends_at + CHECKOUT_LATE:
            raise ActivityConflict("已过签退时间（活动结束后2小时内）")
        signup.checked_out_at = now
        signup.save(update_fields=["checked_out_at"])
        AttendanceEvent.objects.create(signup=signup, kind=AttendanceEvent.Kind.CHECKED_OUT, at=now)
        events.kick("activities")  # hours and points follow after commit (service.credits)
    return signup


def cancel_activity(activity: Activity | int, *, actor: Actor, reason: str) -> Activity:
    """Call an activity off before it ends: everyone signed up (and waiting) is told, and
    the room booked with it is released. Sign-ups are kept, for the record."""
    reason = (reason or "").strip()
    if not reason:
        raise ActivityError("请填写取消原因", "reason")
    if len(reason) > 200 or "\x00" in reason:
        raise ActivityError("取消原因不超过200字，且不能含无效字符", "reason")
    with transaction.atomic():
        locked = _lock(activity)
        if not may_run(actor, locked):
            raise ActivityDenied("没有取消该活动的权限")
        if locked.status != ActivityStatus.PUBLISHED:
            raise ActivityConflict("活动已取消")
        if timezone.now() >= locked.ends_at:
            raise ActivityConflict("活动已结束，不能取消")
        locked.status = ActivityStatus.CANCELLED
        locked.save(update_fields=["status"])
        booking = locked.booking
        if booking is not None and booking.status in ("pending", "approved"):
            # The activity holds the booking: it is released on the booker's side, whoever
            # of the organisers calls the activity off.
            cancel_booking(
                actor=booking.booker, booking=booking, reason=f"活动取消：{reason}"[:200]
            )
        people = list(
            locked.signups.filter(status__in=ACTIVE_SIGNUP).values_list("user_id", flat=True)
        )
        if people:
            notify(
                people,
                kind="activity_cancelled",
                title=f"活动已取消：{locked.title}",
                body=f"原因：{reason}",
                url=f"/activities/{locked.pk}/",
            )
    return locked


def checkin_qr_svg(activity: Activity, base_url: str) -> str:
    """The QR code residents scan to check in, as an SVG string (segno, no images needed)."""
    from doorstep.core.links import qr_svg

    url = f"{base_url.rstrip('/')}/activities/{activity.pk}/check-in/?t={activity.checkin_token}"
    return qr_svg(url)


def attendance(
    org: Organisation, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[str, int]:
    """场次 (activities held, not cancelled) and 人次 (check-ins) under an organisation."""
    qs = Activity.objects.filter(
        territory_path__startswith=org.path, status=ActivityStatus.PUBLISHED
    )
    if start:
        qs = qs.filter(starts_at__gte=start)
    if end:
        qs = qs.filter(starts_at__lt=end)
    now = timezone.now()
    held = qs.filter(starts_at__lte=now)
    counts = held.aggregate(
        sessions=Count("pk", distinct=True),
        attendances=Count("signups", filter=Q(signups__checked_in_at__isnull=False)),
    )
    if figure_cache.recording():  # the next to begin changes these with no write
        figure_cache.changes_at(qs.filter(starts_at__gt=now).aggregate(m=Min("starts_at"))["m"])
    return {"sessions": counts["sessions"] or 0, "attendances": counts["attendances"] or 0}
