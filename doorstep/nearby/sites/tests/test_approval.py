"""Approval, decline, cancel, check-in and no-shows; notifications after commit; scope."""

from __future__ import annotations

import datetime as dt

import pytest

from doorstep.inbox.models import Notification
from doorstep.nearby.sites import services
from doorstep.nearby.sites.errors import Conflict, NotAllowed, SiteError
from doorstep.nearby.sites.models import Booking, BookingStatus, ServiceSite
from doorstep.nearby.sites.tests.helpers import NOW, at, build_site_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    return build_site_world(world)


def _pending(sw, start=None, user=None):
    start = start or at(2026, 9, 2, 10)
    return services.book(
        actor=user or sw.p["resident"],
        room=sw.room,
        start=start,
        end=start + dt.timedelta(hours=2),
        purpose="舞蹈排练",
        attendees=8,
        now=NOW,
    )


def _inbox(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


def test_booking_notifies_the_approvers_and_the_booker_after_commit(
    sw, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        b = _pending(sw)
    assert b.status == BookingStatus.PENDING
    approvers = {n.user for n in Notification.objects.filter(kind="booking_pending")}
    # community staff of 清华东路社区 and the street officer; not 二里庄's staff
    assert approvers == {sw.p["community_officer"], sw.p["street_officer"]}
    assert _inbox(sw.p["resident"], "booking_submitted")


def test_nothing_is_sent_when_the_booking_is_refused(sw, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(SiteError),
    ):
        services.book(
            actor=sw.p["resident"],
            room=sw.room,
            start=at(2026, 9, 2, 12),
            end=at(2026, 9, 2, 10),
            purpose="x",
            now=NOW,
        )
    assert callbacks == [] and not Notification.objects.exists()


def test_approve_flow(sw, django_capture_on_commit_callbacks):
    b = _pending(sw)
    # no permission, or out of scope: refused, nothing changes
    for who in (sw.p["grid_worker_b"], sw.other_staff, sw.p["resident"], sw.p["outsider"]):
        with pytest.raises(NotAllowed, match="您无权审批该阵地的预订"):
            services.approve(actor=who, booking=b, now=NOW)
    assert Booking.objects.get(pk=b.pk).status == BookingStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(actor=sw.p["community_officer"], booking=b, now=NOW)
    b.refresh_from_db()
    assert b.status == BookingStatus.APPROVED and b.decided_by == sw.p["community_officer"]
    assert b.decided_at == NOW
    [note] = _inbox(sw.p["resident"], "booking_approved")
    assert "多功能厅" in note.title and "2026-09-02 10:00–12:00" in note.body
    with pytest.raises(Conflict, match="已通过"):
        services.approve(actor=sw.p["street_officer"], booking=b, now=NOW)
    with pytest.raises(Conflict):
        services.decline(actor=sw.p["street_officer"], booking=b, reason="晚了", now=NOW)


def test_decline_needs_a_reason_and_tells_the_booker(sw, django_capture_on_commit_callbacks):
    b = _pending(sw)
    with pytest.raises(SiteError, match="请填写未通过的原因"):
        services.decline(actor=sw.p["community_officer"], booking=b, reason=" ", now=NOW)
    assert Booking.objects.get(pk=b.pk).status == BookingStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        services.decline(actor=sw.p["community_officer"], booking=b, reason="当天有党课", now=NOW)
    b.refresh_from_db()
    assert (b.status, b.decline_reason) == (BookingStatus.DECLINED, "当天有党课")
    [note] = _inbox(sw.p["resident"], "booking_declined")
    assert "当天有党课" in note.body


def test_co_building_unit_approves_bookings_of_the_venue_it_runs(sw):
    from django.contrib.auth.models import Permission

    from doorstep.accounts.models import Role

    Role.objects.get(code="department_liaison").permissions.add(
        Permission.objects.get(codename="approve_booking")
    )
    venue = ServiceSite.objects.create(
        name="科技公司开放会议室",
        kind="open_venue",
        organisation=sw.unit,
        territory=sw.world.community_1,
    )
    room = venue.rooms.create(name="一号会议室", capacity=30)
    venue.hours.create(weekday=2, opens=dt.time(9), closes=dt.time(18))
    b = services.book(
        actor=sw.p["resident"],
        room=room,
        start=at(2026, 9, 2, 10),
        end=at(2026, 9, 2, 11),
        purpose="议事会",
        now=NOW,
    )
    member = type(sw.unit_member).objects.get(pk=sw.unit_member.pk)
    services.approve(actor=member, booking=b, now=NOW)
    # …but not bookings of the community's own station
    other = _pending(sw)
    member = type(sw.unit_member).objects.get(pk=sw.unit_member.pk)
    with pytest.raises(NotAllowed):
        services.approve(actor=member, booking=other, now=NOW)


def test_cancel_by_booker_and_by_staff(sw, django_capture_on_commit_callbacks):
    b = _pending(sw)
    with pytest.raises(NotAllowed, match="您无权取消该预订"):
        services.cancel(actor=sw.p["party_member"], booking=b, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(actor=sw.p["resident"], booking=b, reason="临时有事", now=NOW)
    assert Booking.objects.get(pk=b.pk).status == BookingStatus.CANCELLED
    assert _inbox(sw.p["community_officer"], "booking_cancelled")
    with pytest.raises(Conflict, match="已取消"):
        services.cancel(actor=sw.p["resident"], booking=b, now=NOW)

    b2 = _pending(sw)
    services.approve(actor=sw.p["community_officer"], booking=b2, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(actor=sw.p["community_officer"], booking=b2, reason="停电", now=NOW)
    [note] = _inbox(sw.p["resident"], "booking_cancelled")
    assert "停电" in note.body


def test_check_in_only_near_the_start(sw):
    b = _pending(sw)  # 2026-09-02 10:00–12:00
    with pytest.raises(SiteError, match="尚未通过审批"):
        services.check_in(actor=sw.p["resident"], booking=b, now=at(2026, 9, 2, 10))
    services.approve(actor=sw.p["community_officer"], booking=b, now=NOW)
    with pytest.raises(SiteError, match="还未到签到时间"):
        services.check_in(actor=sw.p["resident"], booking=b, now=at(2026, 9, 2, 9, 29))
    with pytest.raises(SiteError, match="已过签到时间"):
        services.check_in(actor=sw.p["resident"], booking=b, now=at(2026, 9, 2, 10, 31))
    with pytest.raises(NotAllowed):
        services.check_in(actor=sw.p["party_member"], booking=b, now=at(2026, 9, 2, 9, 50))
    services.check_in(actor=sw.p["resident"], booking=b, now=at(2026, 9, 2, 9, 50))
    b.refresh_from_db()
    assert b.status == BookingStatus.CHECKED_IN and b.checked_in_at == at(2026, 9, 2, 9, 50)
    with pytest.raises(Conflict, match="已签到"):
        services.check_in(actor=sw.p["resident"], booking=b, now=at(2026, 9, 2, 9, 55))


def test_no_shows_are_marked_and_told(sw, django_capture_on_commit_callbacks):
    came = _pending(sw, at(2026, 9, 2, 10))
    missed = _pending(sw, at(2026, 9, 2, 14), user=sw.p["party_member"])
    later = _pending(sw, at(2026, 9, 2, 17))
    still_pending = _pending(sw, at(2026, 9, 3, 10))
    for b in (came, missed, later):
        services.approve(actor=sw.p["community_officer"], booking=b, now=NOW)
    services.check_in(actor=sw.p["resident"], booking=came, now=at(2026, 9, 2, 10))
    assert services.mark_no_shows(now=at(2026, 9, 2, 14, 29)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_no_shows(now=at(2026, 9, 2, 14, 30)) == 1
    status = dict(Booking.objects.values_list("pk", "status"))
    assert status[came.pk] == BookingStatus.CHECKED_IN
    assert status[missed.pk] == BookingStatus.NO_SHOW
    assert status[later.pk] == BookingStatus.APPROVED
    assert status[still_pending.pk] == BookingStatus.PENDING
    assert _inbox(sw.p["party_member"], "booking_no_show")
    assert services.mark_no_shows(now=at(2026, 9, 2, 14, 30)) == 0  # idempotent


def test_sites_visible_to(sw):
    ServiceSite.objects.create(
        name="停用的站点",
        kind="station",
        organisation=sw.world.community_2,
        territory=sw.world.community_2,
        active=False,
    )
    names = lambda u: set(ServiceSite.objects.visible_to(u).values_list("name", flat=True))  # noqa: E731
    # residents: the active sites of their street are public
    assert names(sw.p["resident"]) == {"清华东路社区党群服务站", "二里庄小蜜蜂驿站"}
    assert names(sw.p["outsider"]) == set()
    # staff see everything in their subtree, inactive included
    assert "停用的站点" in names(sw.other_staff)
    assert "停用的站点" not in names(sw.p["community_officer"])
    # …but manage only their own
    managed = lambda u: set(ServiceSite.objects.managed_by(u).values_list("name", flat=True))  # noqa: E731
    assert managed(sw.p["community_officer"]) == {"清华东路社区党群服务站"}
    assert managed(sw.other_staff) == {"二里庄小蜜蜂驿站", "停用的站点"}
    assert managed(sw.p["resident"]) == set()


def test_bookings_visible_to(sw):
    mine = _pending(sw)
    theirs = _pending(sw, at(2026, 9, 3, 10), user=sw.p["party_member"])
    ids = lambda u: set(Booking.objects.visible_to(u).values_list("pk", flat=True))  # noqa: E731
    assert ids(sw.p["resident"]) == {mine.pk}
    assert ids(sw.p["party_member"]) == {theirs.pk}
    assert ids(sw.p["community_officer"]) == {mine.pk, theirs.pk}
    assert ids(sw.other_staff) == set()
    assert ids(sw.p["outsider"]) == set()


def test_contact_phone_is_encrypted_and_masked(sw):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT contact_phone FROM sites_servicesite WHERE id = %s", [sw.site.pk])
        raw = cur.fetchone()[0]
    assert "13811112222" not in raw
    site = ServiceSite.objects.get(pk=sw.site.pk)
    assert site.contact_phone == "13811112222"
    assert site.contact_phone_masked == "138****2222"
    assert site.territory_path == sw.world.community_1.path


def test_cancel_series_cancels_the_weeks_to_come(sw):
    first = at(2026, 9, 8, 19)
    result = services.book_weekly(
        actor=sw.p["resident"],
        room=sw.room,
        start=first,
        end=first + dt.timedelta(hours=2),
        weeks=3,
        purpose="合唱",
        now=NOW,
    )
    with pytest.raises(NotAllowed):
        services.cancel_series(actor=sw.p["party_member"], series=result.series, now=NOW)
    assert Booking.objects.filter(status=BookingStatus.PENDING).count() == 3
    # after the first week ended, two are left to cancel
    later = at(2026, 9, 9, 9)
    assert services.cancel_series(actor=sw.p["resident"], series=result.series, now=later) == 2
    statuses = list(Booking.objects.order_by("start").values_list("status", flat=True))
    assert statuses == ["pending", "cancelled", "cancelled"]
    with pytest.raises(SiteError, match="没有可取消的场次"):
        services.cancel_series(actor=sw.p["resident"], series=result.series, now=later)


def test_create_site_checks_territory_scope_and_services(sw):
    site = services.create_site(
        actor=sw.p["community_officer"],
        name="清华东路暖新驿站",
        kind="rider_station",
        organisation=sw.world.community_1,
        territory=sw.world.grid_b,
        contact_phone="13900001111",
        services=["water", "charging"],
    )
    assert site.territory_path == sw.world.grid_b.path
    assert set(site.services.values_list("code", flat=True)) == {"water", "charging"}
    with pytest.raises(NotAllowed, match="您无权在该区域登记服务阵地"):
        services.create_site(
            actor=sw.p["community_officer"],
            name="二里庄站",
            kind="station",
            organisation=sw.world.community_2,
            territory=sw.world.community_2,
        )
    with pytest.raises(SiteError, match="所在区域须为街道、社区或网格"):
        services.create_site(
            actor=None,
            name="错误区域",
            kind="station",
            organisation=sw.world.community_1,
            territory=sw.world.branch_a,
        )
    with pytest.raises(SiteError, match="服务项目不存在"):
        services.create_site(
            actor=None,
            name="未知服务",
            kind="station",
            organisation=sw.world.community_1,
            territory=sw.world.community_1,
            services=["no_such_service"],
        )
    assert not ServiceSite.objects.filter(name__in=["二里庄站", "错误区域", "未知服务"]).exists()
