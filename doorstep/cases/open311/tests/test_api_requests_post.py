"""Open311 POST requests: round trips, error answers, garbage and random bodies, no CSRF."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from doorstep.cases.models import Case, Source
from doorstep.cases.open311 import keys
from doorstep.cases.open311.models import ApiKey
from doorstep.cases.services import perform
from doorstep.cases.workflow import STATUS_LABELS, S

from .helpers import post_request

FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "detailed_status",
    "service_code",
    "service_name",
    "description",
    "agency_responsible",
    "requested_datetime",
    "address",
    "address_id",
)


def _xml_request(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element}


def test_post_then_get_round_trip_json(api, o3):
    response = post_request(
        api, o3, lat=o3.lat + 0.0003, long=o3.lon, description="3单元楼道灯不亮"
    )
    assert response.status_code == 200, response.content.decode()
    created = response.data[0]
    number = created["service_request_id"]
    assert "account_id" not in created or created["account_id"] is None
    case = Case.objects.get(number=number)
    assert case.source == Source.OPEN311 and case.kind == "request"
    assert case.reporter is None and case.building == o3.cw.world.building_a
    assert case.status == S.SUBMITTED
    assert created["token"] == case.token
    assert created["service_notice"]

    got = api.get(f"requests/{number}.json")
    assert got.status_code == 200
    [request] = got.data
    assert request["service_request_id"] == number
    assert request["status"] == "open"
    assert request["detailed_status"] == S.SUBMITTED
    # The moment in the site's zone (Asia/Shanghai), to the second, as GeoReport's W3C form.
    local = timezone.localtime(case.created_at).replace(microsecond=0)
    assert request["requested_datetime"] == local.isoformat() and local.isoformat().endswith(
        "+08:00"
    )
    assert request["status_notes"] == STATUS_LABELS[S.SUBMITTED]
    assert request["service_code"] == "T010101"
    assert request["service_name"] == "物业报修"
    assert request["description"] == "3单元楼道灯不亮"
    assert request["agency_responsible"] == o3.cw.world.community_1.name
    assert request["lat"] == pytest.approx(o3.lat + 0.0003)
    assert request["long"] == pytest.approx(o3.lon)
    assert request["address_id"] == str(o3.cw.world.building_a.pk)
    assert request["media_url"] is None

    token = api.get(f"tokens/{case.token}.json")
    assert token.status_code == 200
    assert token.data == [{"service_request_id": number, "token": case.token}]
    listed = api.get("requests.json", {"service_request_id": number})
    assert listed.data == got.data
    o3.key.refresh_from_db()
    assert o3.key.last_used_at is not None


def test_post_then_get_round_trip_xml(api, o3):
    building = o3.cw.world.building_b
    response = post_request(
        api,
        o3,
        "xml",
        service_code="T010102",
        address_id=str(building.pk),
        description='Gas smell <near> the "boiler" & stairs — 燃气味',
        first_name="伟",
        last_name="张",
        phone="13700000099",
        email="someone@example.com",
    )
    assert response.status_code == 200, response.content.decode()
    [created] = response.xml.findall("request")
    number = created.findtext("service_request_id")
    token = created.findtext("token")
    case = Case.objects.get(number=number)
    assert case.building == building and case.territory == o3.cw.world.grid_b
    assert case.contact_name == "张伟" and case.contact_phone == "13700000099"
    assert case.urgency == "urgent"

    perform(case, "accept", actor=o3.cw.personas["community_officer"])  # starts the clock
    got = api.get(f"requests/{number}.xml")
    [request] = got.xml.findall("request")
    fields = _xml_request(request)
    json_request = api.get(f"requests/{number}.json").data[0]
    for name in FIELDS:
        assert fields[name] == (json_request[name] or ""), name
    assert fields["description"] == 'Gas smell <near> the "boiler" & stairs — 燃气味'
    assert fields["status"] == "open" and fields["detailed_status"] == S.ACCEPTED
    assert fields["expected_datetime"] == json_request["expected_datetime"] != ""
    assert fields["lat"] == "" and fields["long"] == ""  # building B is not on the map
    # The contact details never come back out.
    assert b"13700000099" not in got.content and "张伟" not in got.content.decode()

    by_token = api.get(f"tokens/{token}.xml")
    assert by_token.xml.findtext("request/service_request_id") == number
    listed = api.get("requests.xml", {"service_request_id": number})
    assert [r.findtext("service_request_id") for r in listed.xml] == [number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors_have_the_right_code_and_write_nothing(api, o3, fmt):
    far = {"lat": 31.2304, "long": 121.4737}  # Shanghai: outside every grid
    here = {"lat": o3.lat, "long": o3.lon}
    revoked, revoked_secret = keys.issue_key(name="旧密钥", actor=None)
    keys.revoke_keys(ApiKey.objects.filter(pk=revoked.pk), actor=None)
    cases = [
        (403, {"api_key": None, **here}, "api_key"),
        (403, {"api_key": "o311_wrong", **here}, "api_key"),
        (403, {"api_key": revoked_secret, **here}, "api_key"),
        (400, {"service_code": "NOPE", **here}, "服务类型"),
        (400, {"service_code": None, **here}, "service_code"),
        (400, {"service_code": "T01", **here}, "服务类型"),
        (400, {"description": None, **here}, "诉求内容"),
        (400, {"description": "   ", **here}, "诉求内容"),
        (400, far, "该位置不在任何网格内"),
        (400, {"lat": o3.lat}, "lat 和 long"),
        (400, {"lat": "north", "long": o3.lon}, "坐标无效"),
        (400, {"lat": "nan", "long": "inf"}, "坐标无效"),
        (400, {"lat": 200, "long": o3.lon}, "坐标无效"),
        (400, {}, "请提供位置"),
        (400, {"address_id": "999999"}, "address_id"),
        (400, {"address_id": "-1"}, "address_id"),
        (400, {"address_id": "9" * 30}, "address_id"),
        (400, {"address_string": "火星基地"}, "无法确定位置"),
        (400, {"phone": "12345", **here}, "手机号"),
    ]
    before = Case.objects.count()
    for status, data, words in cases:
        response = post_request(api, o3, fmt, **data)
        assert response.status_code == status, (data, response.content.decode())
        if fmt == "json":
            text = response.data[0]["description"]
        else:
            text = response.xml.findtext("error/description")
        assert words in text, (data, text)
    assert Case.objects.count() == before


def test_garbage_answers_400_not_500(api, o3):
    rng = random.Random(311)
    here = {"lat": o3.lat, "long": o3.lon}
    garbage = "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(10_000))
    bodies = [
        {"description": garbage, **here},
        {"description": "\x00" * 10_000, **here},
        {"description": "灯坏了\x00", **here},
        {"description": "x" * 4001, **here},
        {"service_code": "T010101\x00", **here},
        {"address_string": "静淑苑\x001号楼"},
        {"first_name": "\x00", **here},
        {"lat": "\x00", "long": "\x00"},
    ]
    before = Case.objects.count()
    for data in bodies:
        response = post_request(api, o3, **data)
        assert response.status_code == 400, (list(data), response.content[:200])
    assert Case.objects.count() == before
    for params in ({"start_date": "\x00"}, {"service_code": "\x00"}, {"status": "\x00"}):
        assert api.get("requests.json", params).status_code == 400
    assert api.get("requests/12%0034.json").status_code == 404
    assert api.get("tokens/%00.json").status_code == 404
    assert api.get("services/%00.xml").status_code == 404
    # Binary bodies that are not even UTF-8.
    raw = api.client.post(
        "/open311/v2/requests.json",
        data=b"api_key=" + o3.secret.encode() + b"&service_code=T010101&description=\xff\xfe\x00",
        content_type="application/x-www-form-urlencoded",
    )
    assert raw.status_code == 400
    assert Case.objects.count() == before
    # Bytes that are not UTF-8 (a lone surrogate) are replaced, not a crash.
    broken = api.client.post(
        "/open311/v2/requests.json",
        data=b"api_key="
        + o3.secret.encode()
        + b"&service_code=T010101&lat="
        + str(o3.lat).encode()
        + b"&long="
        + str(o3.lon).encode()
        + b"&description=%ED%A0%80%FF%FE",
        content_type="application/x-www-form-urlencoded",
    )
    api._check("POST", "/open311/v2/requests.json", broken)
    assert broken.status_code in (200, 400)
    if broken.status_code == 200:
        number = broken.data[0]["service_request_id"]
        assert api.get(f"requests/{number}.xml").status_code == 200
    # Too many fields: Django's own limit, answered with the error array.
    many = {f"f{i}": "x" for i in range(1200)}
    assert post_request(api, o3, **many).status_code == 400


def test_csrf_is_not_required(api, o3, client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/open311/v2/requests.json",
        {
            "api_key": o3.secret,
            "service_code": "T010101",
            "description": "灯",
            "lat": o3.lat,
            "long": o3.lon,
        },
    )
    assert response.status_code == 200
    api._check("POST", "/open311/v2/requests.json", response)


PARAMS = ("service_code", "description", "lat", "long", "address_string", "address_id", "phone")


@given(
    values=st.dictionaries(
        st.sampled_from(PARAMS),
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(["T010101", "39.999", "116.352", "1", "nan", "静淑苑1号楼", "-0"]),
        ),
        max_size=len(PARAMS),
    ),
    fmt=st.sampled_from(["json", "xml"]),
)
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_random_posts_never_fail_with_500(api, o3, values, fmt):
    ApiKey.objects.filter(pk=o3.key.pk).update(rate_limit_per_minute=10_000)  # many examples
    before = Case.objects.count()
    response = api.post(f"requests.{fmt}", {"api_key": o3.secret, **values})
    assert response.status_code in (200, 400), response.content[:300]
    assert Case.objects.count() == before + (response.status_code == 200)
