"""Open311 GeoReport v2: every response checked against the shared schemas (conftest.api)."""

from __future__ import annotations

import datetime as dt
import json
import random
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from doorstep.cases.locating import locate
from doorstep.cases.models import Case, Source
from doorstep.cases.services import create_case, perform
from doorstep.cases.workflow import STATUS_LABELS, S
from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_PHONE
from doorstep.open311 import keys
from doorstep.open311.models import ApiKey
from doorstep.open311.public import status_of

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


def _post(api, o3, fmt="json", **data):
    body = {"api_key": o3.secret, "service_code": "T010101", "description": "楼道灯坏了"}
    body.update({k: v for k, v in data.items() if v is not None})
    for k in [k for k, v in data.items() if v is None]:
        body.pop(k, None)
    return api.post(f"requests.{fmt}", body)


def _xml_request(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element}


def _file(o3, *, description="门口垃圾没人清", anonymous=False, **kw):
    w = o3.cw.world
    return create_case(
        actor=kw.pop("actor", o3.cw.personas["resident"]),
        category=kw.pop("category", o3.cw.repair),
        description=description,
        location=locate(building=w.building_a),
        anonymous=anonymous,
        contact_name="王芳",
        contact_phone=PLANTED_PHONE,
        **kw,
    )


# ---------------------------------------------------------------- discovery and services


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery(api, db, fmt):
    response = api.get(f"discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        endpoint = response.data["endpoints"][0]
        assert endpoint["url"].endswith("/open311/v2")
        assert "application/json" in endpoint["formats"]
    else:
        formats = [f.text for f in response.xml.find("endpoints/endpoint/formats")]
        assert formats == ["application/json", "application/xml"]


def test_services_are_the_active_leaf_categories(api, o3):
    cw = o3.cw
    from doorstep.cases.models import Category

    Category.objects.create(code="OFF", name="停用分类", level=1, active=False)
    Category.objects.create(code="P01", name="巡查事项", level=1, kind="patrol")
    response = api.get("services.json")
    assert response.status_code == 200
    by_code = {s["service_code"]: s for s in response.data}
    assert set(by_code) == {"C01", "T010101", "T010102"}
    repair = by_code["T010101"]
    assert repair["service_name"] == "物业报修"
    assert repair["group"] == "城乡建设"
    assert repair["keywords"] == "城乡建设,住房保障与房地产,物业报修"
    assert repair["metadata"] is False and repair["type"] == "realtime"
    assert by_code["C01"]["group"] == cw.wish.name

    xml = api.get("services.xml")
    assert xml["Content-Type"] == "application/xml; charset=utf-8"
    services = xml.xml.findall("service")
    assert sorted(s.findtext("service_code") for s in services) == sorted(by_code)
    first = services[0]
    assert first.findtext("metadata") == "false"
    assert {c.tag for c in first} >= {"service_code", "service_name", "type", "group"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_and_unknown_code(api, o3, fmt):
    response = api.get(f"services/T010102.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert response.data == {"service_code": "T010102", "attributes": []}
    else:
        assert response.xml.findtext("service_code") == "T010102"
    for code in ("NOPE", "T01", "T0101", "x.y"):  # unknown, or not a leaf
        missing = api.get(f"services/{code}.{fmt}")
        assert missing.status_code == 404, code
    if fmt == "json":
        assert missing.data[0]["code"] == 404


# ---------------------------------------------------------------- round trips


def test_post_then_get_round_trip_json(api, o3):
    response = _post(api, o3, lat=o3.lat + 0.0003, long=o3.lon, description="3单元楼道灯不亮")
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
    response = _post(
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

    perform(case, "accept", o3.cw.personas["community_officer"])  # starts the clock
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


def test_key_with_a_user_files_as_that_user(api, o3):
    member = o3.cw.personas["party_member"]
    key, secret = keys.issue_key(name="党员App", user=member, actor=None)
    response = api.post(
        "requests.json",
        {
            "api_key": secret,
            "service_code": "C01",
            "description": "想要一本字典",
            "address_string": "静淑苑1号楼3单元",
        },
    )
    assert response.status_code == 200, response.content.decode()
    case = Case.objects.get(number=response.data[0]["service_request_id"])
    assert case.reporter == member
    assert case.kind == "micro_wish"
    assert case.territory == o3.cw.world.grid_a
    member.is_active = False
    member.save(update_fields=["is_active"])
    again = api.post(
        "requests.json",
        {
            "api_key": secret,
            "service_code": "C01",
            "description": "再来一本",
            "address_string": "静淑苑1号楼",
        },
    )
    assert again.status_code == 403


# ---------------------------------------------------------------- errors


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
        response = _post(api, o3, fmt, **data)
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
        response = _post(api, o3, **data)
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
    assert _post(api, o3, **many).status_code == 400


def test_unknown_format_path_and_method(api, db):
    assert api.get("services.csv").status_code == 404
    assert api.get("services.JSON").status_code == 404
    assert api.get("nothing.json").status_code == 404
    assert api.get("nothing.xml").xml.tag == "errors"
    assert api.get("").status_code == 404
    response = api.method("DELETE", "requests.json")
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert api.post("services.json").status_code == 405
    assert api.head("services.json").status_code == 200


# ---------------------------------------------------------------- public data only


def test_private_fields_never_appear(api, o3):
    reporter = o3.cw.personas["resident"]
    plain = _file(o3, description="楼下噪音扰民，请联系我 13912345678")
    hidden = _file(o3, description="邻居占用消防通道", anonymous=True)
    bodies = [
        api.get("requests.json").content,
        api.get("requests.xml").content,
        api.get(f"requests/{plain.number}.json").content,
        api.get(f"requests/{plain.number}.xml").content,
        api.get(f"requests/{hidden.number}.json").content,
    ]
    for body in bodies:
        text = body.decode("utf-8")
        assert PLANTED_PHONE not in text
        assert "王芳" not in text and reporter.display_name not in text
        assert reporter.username not in text.replace("service_requests", "")
        assert "reporter" not in text and "contact" not in text
    listed = {r["service_request_id"]: r for r in api.get("requests.json").data}
    assert "139****5678" in listed[plain.number]["description"]
    anon = listed[hidden.number]
    assert anon["address"] == o3.cw.world.grid_a.name
    assert anon["lat"] is None and anon["long"] is None and anon["address_id"] is None
    assert listed[plain.number]["lat"] == pytest.approx(o3.lat)


def test_drafts_are_not_public(api, o3):
    grid_worker = o3.cw.personas["grid_worker_a"]
    draft = create_case(
        actor=grid_worker,
        category=o3.cw.repair,
        description="巡查发现井盖松动",
        location=locate(building=o3.cw.world.building_a),
        kind="patrol",
        source=Source.PATROL,
        draft=True,
    )
    assert draft.status == S.DRAFT
    assert api.get(f"requests/{draft.number}.json").status_code == 404
    assert draft.number not in api.get("requests.json").content.decode()
    assert api.get(f"tokens/{draft.token}.json").status_code == 404


@pytest.mark.parametrize("status", [s for s in STATUS_LABELS])
def test_status_mapping(status):
    case = Case(status=status)
    expected = "closed" if status in {S.CLOSED, S.ARCHIVED, S.CANCELLED} else "open"
    assert status_of(case) == expected


def test_closed_and_detailed_status(api, o3):
    case = _file(o3)
    closed_at = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        status=S.CLOSED, closed_at=closed_at, resolution="已更换灯泡，联系人13912345678"
    )
    [request] = api.get(f"requests/{case.number}.json").data
    assert request["status"] == "closed"
    assert request["detailed_status"] == S.CLOSED
    assert request["status_notes"].startswith("已办结：已更换灯泡")
    assert PLANTED_PHONE not in request["status_notes"]
    assert request["updated_datetime"] == timezone.localtime(closed_at).isoformat(
        timespec="seconds"
    )


def test_text_that_xml_cannot_carry_is_dropped_from_xml(api, o3):
    case = _file(o3, description="坏了\x01\x0b 请修")
    response = api.get(f"requests/{case.number}.xml")
    assert response.xml.findtext("request/description") == "坏了 请修"
    assert api.get(f"requests/{case.number}.json").data[0]["description"] == "坏了\x01\x0b 请修"


# ---------------------------------------------------------------- filters


@pytest.fixture
def spread(o3):
    """Five cases: two repairs, a hazard, a closed one, one filed 100 days ago."""
    now = timezone.now()
    a = _file(o3, description="一")
    b = _file(o3, description="二")
    hazard = _file(o3, description="三", category=o3.cw.hazard)
    closed = _file(o3, description="四")
    Case.objects.filter(pk=closed.pk).update(status=S.CANCELLED)
    old = _file(o3, description="五", created_at=now - dt.timedelta(days=100))
    return {"a": a, "b": b, "hazard": hazard, "closed": closed, "old": old, "now": now}


def _numbers(response) -> set[str]:
    return {r["service_request_id"] for r in response.data}


def test_filters(api, spread):
    s = spread
    n = {k: v.number for k, v in s.items() if k != "now"}
    recent = {n["a"], n["b"], n["hazard"], n["closed"]}
    assert _numbers(api.get("requests.json")) == recent  # default: the last 90 days
    ids = f"{n['a']}, {n['old']}"
    assert _numbers(api.get("requests.json", {"service_request_id": ids})) == {n["a"], n["old"]}
    # service_request_id overrides every other filter
    both = api.get("requests.json", {"service_request_id": n["old"], "status": "closed"})
    assert _numbers(both) == {n["old"]}
    assert _numbers(api.get("requests.json", {"service_code": "T010102"})) == {n["hazard"]}
    assert _numbers(api.get("requests.json", {"service_code": "NOPE"})) == set()
    assert _numbers(api.get("requests.json", {"status": "closed"})) == {n["closed"]}
    assert _numbers(api.get("requests.json", {"status": "open"})) == recent - {n["closed"]}
    assert _numbers(api.get("requests.json", {"status": "open,closed"})) == recent
    assert _numbers(api.get("requests.json", {"status": ["open", "closed"]})) == recent
    codes = {"service_code": ["T010102", "T010101"], "status": "open"}
    assert _numbers(api.get("requests.json", codes)) == {n["a"], n["b"], n["hazard"]}
    old_day = timezone.localtime(s["now"] - dt.timedelta(days=100))
    window = {
        "start_date": (old_day - dt.timedelta(days=1)).isoformat(),
        "end_date": (old_day + dt.timedelta(days=1)).isoformat(),
    }
    assert _numbers(api.get("requests.json", window)) == {n["old"]}
    start_only = {"start_date": (old_day - dt.timedelta(days=1)).date().isoformat()}
    assert _numbers(api.get("requests.json", start_only)) == {n["old"]}
    utc = {
        "start_date": (s["now"] - dt.timedelta(hours=1))
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    assert _numbers(api.get("requests.json", utc)) == recent
    xml = api.get("requests.xml", {"status": "closed"})
    assert [r.findtext("service_request_id") for r in xml.xml] == [n["closed"]]
    listed = api.get("requests.json").data
    assert [r["requested_datetime"] for r in listed] == sorted(
        (r["requested_datetime"] for r in listed), reverse=True
    )


@pytest.mark.parametrize(
    "params, words",
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2025-12-01T00:00:00Z"}, "早于"),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "90天"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "12,abc"}, "service_request_id"),
        ({"service_request_id": ","}, "service_request_id"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_answer_400(api, db, params, words, fmt):
    response = api.get(f"requests.{fmt}", params)
    assert response.status_code == 400
    text = (
        response.data[0]["description"]
        if fmt == "json"
        else response.xml.findtext("error/description")
    )
    assert words in text


def test_unknown_request_and_token(api, db):
    for path in ("requests/123.json", "requests/abc.json", "tokens/abcdef12.json", "tokens/zz.xml"):
        assert api.get(path).status_code == 404, path


def test_at_most_1000_requests(api, o3):
    case = _file(o3)
    Case.objects.filter(pk=case.pk).update(number="0")
    fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    fields.pop("id")
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            **{
                **fields,
                "number": f"9{i:09d}",
                "token": None,
                "created_at": now - dt.timedelta(seconds=i),
            }
        )
        for i in range(1005)
    )
    response = api.get("requests.json")
    assert len(response.data) == 1000
    assert response.data[0]["service_request_id"] == "9000000000"


# ---------------------------------------------------------------- rate limit and keys


def test_rate_limit_answers_429_and_files_nothing(api, o3, monkeypatch):
    clock = [1_800_000_000.0]
    monkeypatch.setattr(keys, "_clock", lambda: clock[0])
    ApiKey.objects.filter(pk=o3.key.pk).update(rate_limit_per_minute=2)
    here = {"lat": o3.lat, "long": o3.lon}
    assert _post(api, o3, **here).status_code == 200
    assert _post(api, o3, "xml", description=None, **here).status_code == 400  # counts too
    before = Case.objects.count()
    over = _post(api, o3, **here)
    assert over.status_code == 429
    assert "每分钟最多 2 次" in over.data[0]["description"]
    assert _post(api, o3, "xml", **here).status_code == 429
    assert Case.objects.count() == before
    # Another key has its own window; the next minute starts afresh.
    _other, other_secret = keys.issue_key(name="另一个", actor=None)
    assert _post(api, o3, api_key=other_secret, **here).status_code == 200
    clock[0] += 60
    assert _post(api, o3, **here).status_code == 200


def test_admin_issues_a_key_once_and_revokes_it(api, o3, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="Root-pass-2026")
    client = api.client
    client.force_login(root)
    response = client.post(
        reverse("admin:open311_apikey_add"),
        {"name": "12345热线对接", "rate_limit_per_minute": "30", "user": ""},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="12345热线对接")
    messages = [str(m) for m in response.context["messages"]]
    [secret] = [m.rsplit("：", 1)[1] for m in messages if "只显示这一次" in m]
    assert secret.startswith(keys.SECRET_PREFIX) and key.prefix == secret[:12]
    assert key.key_hash == keys.hash_secret(secret) and secret not in key.key_hash
    assert key.rate_limit_per_minute == 30 and key.user is None and key.active
    assert AuditEntry.objects.filter(target_type="open311.apikey", target_id=str(key.pk)).exists()
    # The secret is never shown again.
    change = client.get(reverse("admin:open311_apikey_change", args=[key.pk]))
    assert change.status_code == 200 and secret not in change.content.decode()
    assert client.get(reverse("admin:open311_apikey_changelist")).status_code == 200

    client.logout()
    here = {"lat": o3.lat, "long": o3.lon}
    assert _post(api, o3, api_key=secret, **here).status_code == 200

    client.force_login(root)
    client.post(
        reverse("admin:open311_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert not key.active and key.revoked_at is not None
    client.logout()
    assert _post(api, o3, api_key=secret, **here).status_code == 403


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


def test_the_schema_helper_is_not_vacuous():
    from jsonschema import ValidationError

    from .schemas import validate

    good = {"service_code": "A", "service_name": "a", "metadata": False, "type": "realtime"}
    validate("services", [good])
    bad_bodies = [
        ("services", [{**good, "type": "sometimes"}]),  # through services.json → service.json
        ("services", [{"service_code": "A"}]),
        ("requests", [{"service_request_id": 1, "status": "open", "service_code": "A"}]),
        (
            "requests",
            [
                {
                    "service_request_id": "1",
                    "status": "open",
                    "service_code": "A",
                    "requested_datetime": "2026-11-22 09:00",  # no T, no zone
                }
            ],
        ),
        ("requests", [{"service_request_id": "1", "status": "pending", "service_code": "A"}]),
        ("service_definition", {"service_code": "A", "attributes": [{"code": "x"}]}),
        ("post", [{"service_request_id": "1", "account_id": None}]),  # swagger RequestResponse
        ("tokens", [{"service_request_id": "1"}]),
        ("errors", [{"code": "400"}]),
    ]
    for kind, body in bad_bodies:
        with pytest.raises(ValidationError):
            validate(kind, body)


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


def test_hotline_and_patrol_cases_show_only_their_grid(api, o3):
    """Nobody chose to publish these: like anonymous cases, no address or coordinates."""
    grid_worker = o3.cw.personas["grid_worker_a"]
    building = o3.cw.world.building_a
    patrol = create_case(
        actor=grid_worker,
        category=o3.cw.repair,
        description="巡查发现楼道堆物",
        location=locate(building=building),
        kind="patrol",
        source=Source.PATROL,
    )
    [body] = api.get(f"requests/{patrol.number}.json").data
    assert body["address"] == o3.cw.world.grid_a.name
    assert body["lat"] is None and body["long"] is None and body["address_id"] is None
    assert building.name not in json.dumps(body, ensure_ascii=False)
