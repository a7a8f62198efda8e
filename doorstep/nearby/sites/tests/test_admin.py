"""The back office: sites with inlines, masked phone, scoped lists, booking actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.cases.calendar import TZ
from doorstep.inbox.models import Notification
from doorstep.nearby.sites import services
from doorstep.nearby.sites.models import Booking, BookingStatus, ServiceSite
from doorstep.nearby.sites.tests.helpers import build_site_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    # Only the three admin roles enter the back office by default; a deployment may let
    # community staff in too (Role.is_staff_role). Here they may.
    for name in ("community_officer", "grid_worker_a"):
        user = world.personas[name]
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    sw = build_site_world(world)
    ServiceSite.objects.filter(pk=sw.site.pk).update(open_on_holidays=True)  # any real date
    return sw


def _pending(sw, days=30):
    """A booking in the real future: the admin actions act at the real 'now'."""
    day = (timezone.now().astimezone(TZ) + dt.timedelta(days=days)).date()
    start = dt.datetime.combine(day, dt.time(10), TZ)
    return services.book(
        actor=sw.p["resident"],
        room=sw.room,
        start=start,
        end=start + dt.timedelta(hours=1),
        purpose="读书会",
    )


def test_site_list_and_change_page_are_scoped_and_masked(sw, client):
    client.force_login(sw.p["community_officer"])
    listing = client.get(reverse("admin:sites_servicesite_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "清华东路社区党群服务站" in text and "二里庄小蜜蜂驿站" not in text
    assert "138****2222" in text and "13811112222" not in text
    page = client.get(reverse("admin:sites_servicesite_change", args=[sw.site.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "13811112222" not in body and "多功能厅" in body
    other = client.get(reverse("admin:sites_servicesite_change", args=[sw.other_site.pk]))
    assert other.status_code == 302  # not in their scope: "does not exist" redirect


def test_residents_and_grid_workers_cannot_manage_sites(sw, client):
    client.force_login(sw.p["grid_worker_a"])
    assert client.get(reverse("admin:sites_servicesite_changelist")).status_code == 403


def _inline_management(prefix: str, total: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_add_site_with_hours_and_phone(sw, client):
    client.force_login(sw.p["community_officer"])
    data = {
        "name": "清华东路邻里之家",
        "kind": "neighbourhood",
        "organisation": sw.world.community_1.pk,
        "territory": sw.world.grid_a.pk,
        "active": "on",
        "address": "静淑苑1号楼底商",
        "contact_name": "王老师",
        "new_contact_phone": "010-62345678",
        **_inline_management("rooms"),
        **_inline_management("hours"),
        **_inline_management("special_days"),
        **_inline_management("photos"),
        "hours-TOTAL_FORMS": "1",
        "hours-0-weekday": "0",
        "hours-0-opens": "09:00",
        "hours-0-closes": "17:00",
    }
    resp = client.post(reverse("admin:sites_servicesite_add"), data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    site = ServiceSite.objects.get(name="清华东路邻里之家")
    assert site.contact_phone == "010-62345678"
    assert site.territory_path == sw.world.grid_a.path
    assert site.hours.count() == 1
    # a bad phone number: a clear message, nothing saved
    data.update(name="另一个", new_contact_phone="电话abc")
    resp = client.post(reverse("admin:sites_servicesite_add"), data)
    assert resp.status_code == 200 and "请填写有效的电话号码" in resp.content.decode()
    assert not ServiceSite.objects.filter(name="另一个").exists()


def test_booking_actions_call_the_services(sw, client, django_capture_on_commit_callbacks):
    b1, b2 = _pending(sw, 30), _pending(sw, 31)
    client.force_login(sw.p["community_officer"])
    url = reverse("admin:sites_booking_changelist")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "approve_selected", "_selected_action": [b1.pk]})
    assert Booking.objects.get(pk=b1.pk).status == BookingStatus.APPROVED
    # decline without a reason: refused, nothing changes
    client.post(url, {"action": "decline_selected", "_selected_action": [b2.pk], "reason": ""})
    assert Booking.objects.get(pk=b2.pk).status == BookingStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url, {"action": "decline_selected", "_selected_action": [b2.pk], "reason": "场地维修"}
        )
    b2.refresh_from_db()
    assert (b2.status, b2.decline_reason) == (BookingStatus.DECLINED, "场地维修")
    kinds = set(Notification.objects.filter(user=sw.p["resident"]).values_list("kind", flat=True))
    assert {"booking_approved", "booking_declined"} <= kinds
    # no change form for bookings
    assert client.post(reverse("admin:sites_booking_change", args=[b1.pk]), {}).status_code == 403
