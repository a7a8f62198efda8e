"""党建联盟 pages: a street adds its list of items, a community founds an alliance, signs a
unit's agreement with its document, seats a 兼职委员; the unit's page and profile."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.cogov import alliances
from doorstep.cogov.models import Agreement, Alliance, Scheme, Seat, UnitProfile
from doorstep.cogov.tests.test_alliances import community_alliance, sign
from doorstep.cogov.tests.test_funds import receipt
from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db


def test_a_community_founds_an_alliance_and_signs_up_a_unit_on_the_pages(
    co, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    alliances.four_links()
    client.force_login(co.p["street_officer"])
    r = client.post(
        reverse("cogov:scheme_new"),
        {"name": "八共八联", "items": "组织共建\n阵地共享"},
        follow=True,
    )
    assert "已设置联建清单“八共八联”" in r.content.decode()
    client.force_login(co.p["community_officer"])
    body = client.get(reverse("cogov:alliances")).content.decode()
    assert "成立党建联盟" in body and "四联</b>：组织联建、资源联用、事务联治、成果联享" in body
    assert "八共八联" in body and 'name="items"' not in body  # only the street adds lists
    scheme = Scheme.objects.get(name="四联")
    r = client.post(
        reverse("cogov:alliance_new"),
        {
            "lead": co.world.community_1.pk,
            "name": "清华东路社区党建联盟",
            "scheme": scheme.pk,
            "founded_on": "2025-06-01",
            "motto": "组织联建、资源联用、事务联治、成果联享",
        },
    )
    alliance = Alliance.objects.get()
    assert r["Location"] == reverse("cogov:alliance", args=[alliance.pk])
    page = client.get(r["Location"]).content.decode()
    assert "904医院" in page and "签订协议" in page
    items = [i.pk for i in scheme.items.all()[:3]]
    sign_url = reverse("cogov:alliance_act", args=[alliance.pk, "sign"])
    form = {
        "unit": co.hospital.pk,
        "starts_on": "2026-01-01",
        "ends_on": "2028-12-31",
        "signed_on": "2025-12-28",
        "items": items,
        "pledge": "每月一次义诊进社区",
    }
    client.post(sign_url, {**form, "document": receipt("共建协议.jpg")})
    agreement = Agreement.objects.get()
    assert sorted(agreement.items.values_list("pk", flat=True)) == sorted(items)
    # The same paper entered twice makes one agreement, and says why.
    r = client.post(sign_url, form, follow=True)
    assert "在该期限内已有共建协议" in r.content.decode() and Agreement.objects.count() == 1
    page = client.get(reverse("cogov:alliance", args=[alliance.pk])).content.decode()
    assert "组织联建、资源联用、事务联治" in page and "在期" in page
    doc = client.get(reverse("cogov:agreement_document", args=[agreement.pk]))
    assert doc.status_code == 200 and doc["Content-Type"] == "image/jpeg"
    c1_party = Organisation.objects.get(kind=Kind.PARTY_COMMITTEE, parent=co.world.community_1)
    r = client.post(
        reverse("cogov:alliance_act", args=[alliance.pk, "seat"]),
        {
            "node": c1_party.pk,
            "unit": co.hospital.pk,
            "name": "张卫国",
            "starts_on": "2026-03-01",
            "ends_on": "2029-03-01",
        },
        follow=True,
    )
    assert "张卫国已任清华东路社区党委兼职委员" in r.content.decode()
    assert "社区大党委 · 清华东路社区党委" in r.content.decode()

    # The unit's liaison fills in its profile; its page lists the alliance and the seat.
    client.force_login(co.p["liaison_904"])
    r = client.post(
        reverse("cogov:unit_profile", args=[co.hospital.pk]),
        {"sector": "hospital", "party_org": "904医院党委", "intro": "三级甲等医院"},
        follow=True,
    )
    page = r.content.decode()
    assert "单位档案已保存" in page and "904医院党委" in page
    assert "清华东路社区党建联盟" in page and "张卫国" in page
    # … may read the alliance it signed with, but not sign for it.
    assert client.get(reverse("cogov:alliance", args=[alliance.pk])).status_code == 200
    client.post(sign_url, {**form, "unit": co.theatre.pk, "starts_on": "2026-02-01"})
    assert Agreement.objects.count() == 1
    # Residents see the unit's page (what it offers), not the alliance or its papers.
    client.force_login(co.p["resident"])
    assert (
        "三级甲等医院" in client.get(reverse("cogov:unit", args=[co.hospital.pk])).content.decode()
    )
    assert client.get(reverse("cogov:alliances")).status_code == 403
    assert client.get(reverse("cogov:alliance", args=[alliance.pk])).status_code == 404
    assert client.get(reverse("cogov:agreement_document", args=[agreement.pk])).status_code == 404
    client.post(reverse("cogov:unit_profile", args=[co.hospital.pk]), {"sector": "school"})
    assert UnitProfile.objects.get().sector == "hospital"
    assert Seat.objects.count() == 1


def test_the_other_communitys_staff_cannot_touch_the_alliance(co, client):
    alliance = community_alliance(co)
    agreement = sign(co, alliance, co.hospital)
    other = make_user("c2staff", "二里庄社区干部", ("community_staff", co.world.community_2))
    client.force_login(other)
    assert client.get(reverse("cogov:alliance", args=[alliance.pk])).status_code == 404
    r = client.post(
        reverse("cogov:alliance_act", args=[alliance.pk, "end"]),
        {"agreement": agreement.pk, "on": "2026-06-01"},
    )
    assert r.status_code == 404
    agreement.refresh_from_db()
    assert str(agreement.ends_on) == "2027-01-01"
    body = client.get(reverse("cogov:alliances")).content.decode()
    assert "清华东路社区党建联盟" not in body
    assert f"{co.world.community_2.name}（社区）" in body  # their own community leads
    assert f"{co.world.community_1.name}（社区）" not in body  # the other is not offered
