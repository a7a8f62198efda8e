"""The reception pages as a resident and a deputy use them: the street sets the 社情民意日,
a resident books a time on the 20th (a time outside the studio's hours is refused with
the reason), the deputy records the visit and turns it into a case with one click, the
case closes and the resident's page shows the outcome; outsiders see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.core.testing import make_user
from doorstep.deliberation import follow, receptions
from doorstep.deliberation.models import ReceptionSlot, ReceptionVisit
from doorstep.nearby.sites.models import ServiceSite

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()


def test_a_public_day_booking_becomes_a_case_whose_outcome_the_resident_sees(client, world, cw):
    street, officer = world.personas["street_officer"], world.personas["community_officer"]
    resident = world.personas["resident"]
    studio = ServiceSite.objects.create(
        name="清华东路社区代表委员工作室", kind="studio", organisation=world.community_1,
        territory=world.community_1, territory_path=world.community_1.path,
    )  # fmt: skip
    deputy_user = make_user("deputy_li", "李代表", ("resident", world.street))
    with time_machine.travel(dt.datetime(2027, 3, 5, 10, 0, tzinfo=TZ)):
        client.force_login(street)
        client.post(reverse("deliberation:deputies"),
                    {"name": "李代表", "kind": "npc", "level": "district", "node": world.street.pk,
                     "constituency": "学院路第三选区", "username": "deputy_li"})  # fmt: skip
        deputy = receptions.Deputy.objects.get()
        assert deputy.user == deputy_user
        client.post(reverse("deliberation:reception_act", args=["public_days"]),
                    {"site": studio.pk, "deputies": [deputy.pk], "months": "2"})  # fmt: skip
        assert ReceptionSlot.objects.filter(public_day=True).count() == 2
        march = ReceptionSlot.objects.order_by("starts_at").first()
        client.force_login(resident)
        page = client.get(reverse("deliberation:receptions")).content.decode()
        assert "社情民意日" in page and "人大代表李代表" in page
        book = reverse("deliberation:reception_act", args=["book"])
        r = client.post(book, {"slot": march.pk, "at": "2027-03-20T15:00"})
        assert (
            r.status_code == 400
            and "不在工作室接待时间内（2027-03-20 09:00至11:30）" in r.content.decode()
        )
        assert not ReceptionVisit.objects.exists()
        r = client.post(book, {"slot": march.pk, "at": "2027-03-20T09:45", "issue": "路灯坏了"})
        visit = ReceptionVisit.objects.get()
        assert r["Location"] == reverse("deliberation:reception_visit", args=[visit.pk])
    with time_machine.travel(dt.datetime(2027, 3, 20, 9, 50, tzinfo=TZ)):
        client.force_login(deputy_user)
        slot_page = reverse("deliberation:reception_slot", args=[march.pk])
        assert "路灯坏了" in client.get(slot_page).content.decode()
        act = lambda a: reverse("deliberation:slot_act", args=[march.pk, a])  # noqa: E731
        client.post(act("record"), {"visit": visit.pk, "issue": "小区东门路灯坏了两周",
                                    "reply": "请社区一周内修好", "category": cw.repair.pk})  # fmt: skip
        client.post(act("case"), {"visit": visit.pk, "category": cw.repair.pk})
        visit.refresh_from_db()
        assert visit.case is not None and visit.deputy == deputy
        client.force_login(world.personas["outsider"])
        assert client.get(slot_page).status_code == 404
        assert (
            client.get(reverse("deliberation:reception_visit", args=[visit.pk])).status_code == 404
        )
    case, member = visit.case, world.personas["party_member"]
    case = cases.perform(case, "dispatch", actor=officer, lead=member)
    for code in ("sign", "start"):
        case = cases.perform(case, code, actor=member)
    case = cases.perform(case, "resolve", actor=member, note="已更换东门两盏路灯")
    case = cases.perform(case, "verify", actor=officer)
    cases.perform(case, "rate", actor=deputy_user, rating="satisfied", solved=True)
    follow.follow_cases()
    client.force_login(resident)
    page = client.get(reverse("deliberation:reception_visit", args=[visit.pk])).content.decode()
    assert "已办结。" in page and "请社区一周内修好" in page
