"""A tracking code a person can read out, and a status page by code and phone tail
(issue 14: residents were told to write down a 19-digit number)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from doorstep.cases import services, tracking
from doorstep.cases.locating import locate

pytestmark = pytest.mark.django_db

URL = "/track/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


@pytest.fixture
def lamp(cw):
    return services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="三单元楼道灯坏了一周",
        location=locate(building=cw.world.building_a),
        contact_name="王芳",
        contact_phone="13912345678",
    )


def test_every_case_gets_a_short_unambiguous_code(cw, lamp):
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{8}", lamp.code)
    assert not set(lamp.code) & set("01OIL")
    assert tracking.shown("K7M4Q9TX") == "K7M4-Q9TX"


def test_the_filed_page_shows_the_code(cw, client):
    client.force_login(cw.personas["resident"])
    response = client.post(
        "/cases/new/",
        {
            "kind": "request",
            "category": cw.repair.pk,
            "description": "楼道灯坏了",
            "where": "building",
            "building": cw.world.building_a.pk,
        },
        follow=True,
    )
    page = response.content.decode()
    code = re.search(r'id="tracking-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', page)
    assert code, page[:2000]


def test_anyone_sees_the_progress_by_code_and_phone_tail_and_nothing_personal(cw, lamp):
    anonymous = Client()
    typed = f"{lamp.code[:4].lower()} - {lamp.code[4:]}"  # as a person might type it
    response = anonymous.post(URL, {"code": typed, "tail": "5678"})
    assert response.status_code == 200
    page = response.content.decode()
    assert lamp.status_label in page and cw.repair.name in page and "提交" in page
    for personal in ("王芳", "13912345678", "5678", lamp.address, "楼道灯坏了"):
        assert personal not in page, personal


def test_a_wrong_tail_looks_the_same_as_an_unknown_code(cw, lamp):
    anonymous = Client()
    wrong = anonymous.post(URL, {"code": lamp.code, "tail": "0000"})
    unknown = anonymous.post(URL, {"code": "ZZZZZZZZ", "tail": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert "没有找到" in wrong.content.decode() and "没有找到" in unknown.content.decode()


def test_guessing_is_cut_off_after_ten_tries(cw, lamp):
    anonymous = Client()
    for n in range(tracking.TRIES_PER_WINDOW):
        assert anonymous.post(URL, {"code": lamp.code, "tail": f"{n:04d}"}).status_code == 404
    right = anonymous.post(URL, {"code": lamp.code, "tail": "5678"})
    assert right.status_code == 429 and "查询次数过多" in right.content.decode()


def test_a_case_filed_by_a_resident_without_a_contact_phone_uses_their_registered_phone(cw):
    case = services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="路灯不亮",
        location=locate(building=cw.world.building_a),
    )
    assert case.contact_phone_last4 == ""
    assert Client().post(URL, {"code": case.code, "tail": "5678"}).status_code == 200
