"""The cases JSON API: filing, moving, errors that change nothing, masking, rates, inbox."""

from __future__ import annotations

import json

import pytest

from doorstep.cases.models import Case, CaseEvent, Rollup
from doorstep.core.testing import PLANTED_PHONE
from doorstep.inbox.models import Notification

pytestmark = pytest.mark.django_db


def post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def file_case(client, cw, **extra) -> dict:
    body = {
        "category": cw.repair.code,
        "description": "楼道灯坏了",
        "building_id": cw.world.building_a.pk,
    }
    body.update(extra)
    r = post(client, "/api/cases", body)
    assert r.status_code == 201, r.content
    return r.json()


def snapshot(number: str) -> tuple:
    case = Case.objects.get(number=number)
    return (
        case.status,
        case.version,
        CaseEvent.objects.filter(case=case).count(),
        case.assignments.count(),
        list(Rollup.objects.order_by("pk").values_list("received", "dispatched", "signed")),
    )


def test_resident_files_and_follows(client, cw):
    client.force_login(cw.personas["resident"])
    data = file_case(client, cw, contact_phone=PLANTED_PHONE)
    assert data["status"] == "submitted" and data["status_label"] == "待受理"
    assert data["number"].startswith("110108")
    assert PLANTED_PHONE not in json.dumps(data, ensure_ascii=False)
    assert data["contact_phone"].endswith("5678") and "*" in data["contact_phone"]
    detail = client.get(f"/api/cases/{data['number']}").json()
    assert [m["code"] for m in detail["moves"]] == ["withdraw"]
    assert [e["move"] for e in detail["events"]] == ["create"]
    mine = client.get("/api/cases").json()
    assert [c["number"] for c in mine["items"]] == [data["number"]]


def test_home_building_is_the_default_location(client, cw):
    client.force_login(cw.personas["resident"])
    r = post(client, "/api/cases", {"category": cw.repair.code, "description": "门口积水"})
    assert r.status_code == 201
    assert r.json()["territory"] == cw.world.grid_a.name


def test_full_loop_over_the_api_moves_rates(client, cw):
    p = cw.personas
    client.force_login(p["resident"])
    number = file_case(client, cw)["number"]
    client.force_login(p["street_officer"])
    before = client.get(f"/api/rates?organisation_id={cw.world.street.pk}").json()
    client.force_login(p["community_officer"])
    d = post(client, f"/api/cases/{number}/moves/accept", {}).json()
    d = post(client, f"/api/cases/{number}/moves/publish", {"version": d["version"]}).json()
    assert d["status"] == "pool"
    client.force_login(p["party_member"])
    assert number in [c["number"] for c in client.get("/api/cases?status=pool").json()["items"]]
    post(client, f"/api/cases/{number}/moves/claim", {})
    post(client, f"/api/cases/{number}/moves/start", {})
    d = post(client, f"/api/cases/{number}/moves/resolve", {"note": "已修好"}).json()
    assert d["status"] == "resolved"
    client.force_login(p["community_officer"])
    post(client, f"/api/cases/{number}/moves/verify", {})
    client.force_login(p["resident"])
    r = post(client, f"/api/cases/{number}/moves/rate", {"rating": "satisfied", "solved": True})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    client.force_login(p["street_officer"])
    after = client.get(f"/api/rates?organisation_id={cw.world.street.pk}").json()
    assert after["closed"] == before["closed"] + 1
    assert after["received"] == before["received"] + 1
    assert after["satisfaction_rate"] == 1.0
    assert after["closing_rate"] == 1.0


def test_dispatch_to_department_then_return(client, cw, django_capture_on_commit_callbacks):
    p = cw.personas
    client.force_login(p["resident"])
    number = file_case(client, cw)["number"]
    client.force_login(p["community_officer"])
    post(client, f"/api/cases/{number}/moves/accept", {})
    d = post(
        client,
        f"/api/cases/{number}/moves/dispatch",
        {"lead_org_id": cw.dept_housing.pk, "co_org_ids": [cw.dept_city.pk]},
    ).json()
    assert d["status"] == "dispatched"
    assert {(a["role"], a["state"]) for a in d["assignments"]} == {
        ("lead", "pending"),
        ("co", "pending"),
    }
    client.force_login(p["liaison_housing"])
    r = post(client, f"/api/cases/{number}/moves/return", {})
    assert r.status_code == 400 and r.json()["field"] == "note"
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, f"/api/cases/{number}/moves/return", {"note": "不属于房管职责"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert Notification.objects.filter(user=p["community_officer"]).exists()


def test_errors_change_nothing(client, cw):
    p = cw.personas
    client.force_login(p["resident"])
    number = file_case(client, cw)["number"]
    before = snapshot(number)
    # a move the resident may not make
    r = post(client, f"/api/cases/{number}/moves/accept", {})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    client.force_login(p["community_officer"])
    # not allowed from the current status
    r = post(client, f"/api/cases/{number}/moves/resolve", {"note": "x"})
    assert r.status_code == 409
    # a stale form
    r = post(client, f"/api/cases/{number}/moves/accept", {"version": 99})
    assert r.status_code == 409 and "刷新" in r.json()["detail"]
    # unknown move, bad body
    assert post(client, f"/api/cases/{number}/moves/fly", {}).status_code == 404
    assert post(client, f"/api/cases/{number}/moves/accept", {"note": "\x00"}).status_code == 400
    assert snapshot(number) == before
    # dispatch with a lead that does not exist: nothing half-written
    post(client, f"/api/cases/{number}/moves/accept", {})
    mid = snapshot(number)
    r = post(client, f"/api/cases/{number}/moves/dispatch", {"lead_org_id": 987654})
    assert r.status_code == 400
    r = post(
        client,
        f"/api/cases/{number}/moves/dispatch",
        {"lead_org_id": cw.dept_city.pk, "co_org_ids": [cw.dept_city.pk]},
    )
    assert r.status_code == 400 and "重复" in r.json()["detail"]
    assert snapshot(number) == mid


def test_bad_filings_are_4xx_and_write_nothing(client, cw):
    client.force_login(cw.personas["resident"])
    n = Case.objects.count()
    r = post(client, "/api/cases", {"category": "NOPE", "description": "x"})
    assert r.status_code == 400 and r.json()["field"] == "category"
    r = post(
        client,
        "/api/cases",
        {"category": cw.repair.code, "description": "x", "lat": 10.0, "lon": 10.0},
    )
    assert r.status_code == 400 and "网格" in r.json()["detail"]
    r = post(client, "/api/cases", {"category": cw.repair.code, "description": ""})
    assert r.status_code == 422
    r = post(
        client,
        "/api/cases",
        {"category": cw.repair.code, "description": "x", "building_id": 2**62},
    )
    assert r.status_code == 400
    mid = cw.repair.parent
    r = post(client, "/api/cases", {"category": mid.code, "description": "x"})
    assert r.status_code == 400 and "末一级" in r.json()["detail"]
    r = post(
        client, "/api/cases", {"category": cw.repair.code, "description": "x", "kind": "patrol"}
    )
    assert r.status_code == 403
    assert Case.objects.count() == n


def test_whistle_with_past_report_by_is_refused(client, cw):
    p = cw.personas
    client.force_login(p["resident"])
    number = file_case(client, cw)["number"]
    client.force_login(p["community_officer"])
    post(client, f"/api/cases/{number}/moves/accept", {})
    post(client, f"/api/cases/{number}/moves/escalate", {"note": "需要街道协调"})
    client.force_login(p["street_officer"])
    before = snapshot(number)
    r = post(
        client,
        f"/api/cases/{number}/moves/whistle",
        {"department_ids": [cw.dept_city.pk], "report_by": "2020-01-01T08:00:00+08:00"},
    )
    assert r.status_code == 400 and "早于" in r.json()["detail"]
    assert snapshot(number) == before
    r = post(client, f"/api/cases/{number}/moves/whistle", {"department_ids": [cw.dept_city.pk]})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"


def test_staff_see_the_reporter_residents_of_other_cases_do_not(client, cw):
    p = cw.personas
    client.force_login(p["resident"])
    number = file_case(client, cw, anonymous=True)["number"]
    client.force_login(p["community_officer"])
    d = client.get(f"/api/cases/{number}").json()
    assert d["reporter"] == str(p["resident"])
    client.force_login(p["community_officer"])
    post(client, f"/api/cases/{number}/moves/accept", {})
    post(client, f"/api/cases/{number}/moves/publish", {})
    client.force_login(p["volunteer"])
    d = client.get(f"/api/cases/{number}").json()
    assert d["status"] == "pool"
    # a handler may see who filed (to call back); the list never carries it
    listing = client.get("/api/cases?status=pool").json()["items"]
    assert "reporter" not in listing[0]


def test_inbox_read(client, cw, django_capture_on_commit_callbacks):
    p = cw.personas
    client.force_login(p["resident"])
    number = file_case(client, cw)["number"]
    client.force_login(p["community_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        post(client, f"/api/cases/{number}/moves/accept", {})
    client.force_login(p["resident"])
    items = client.get("/api/inbox?unread=true").json()["items"]
    assert any("已受理" in i["title"] for i in items)
    r = client.post(f"/api/inbox/{items[0]['id']}/read")
    assert r.status_code == 204
    assert client.get("/api/inbox?unread=true").json()["count"] == len(items) - 1
    # someone else's notification is 404, and stays unread
    other = Notification.objects.filter(read_at__isnull=True).exclude(user=p["resident"]).first()
    if other is not None:
        assert client.post(f"/api/inbox/{other.pk}/read").status_code == 404
        other.refresh_from_db()
        assert other.read_at is None


def test_schema_names_are_unique_across_the_api():
    # ninja names OpenAPI components by class name: two schemas with one name would
    # silently describe one endpoint with the other's body.
    from ninja import Schema

    from doorstep.atlas.web import schemas as atlas_schemas
    from doorstep.cases.web import schemas as desk_schemas

    names: list[str] = []
    for module in (atlas_schemas, desk_schemas):
        names += [
            n
            for n, obj in vars(module).items()
            if isinstance(obj, type)
            and issubclass(obj, Schema)
            and obj.__module__ == module.__name__
        ]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_a_grid_worker_reports_only_in_their_own_grid(client, cw):
    client.force_login(cw.personas["grid_worker_a"])
    n = Case.objects.count()
    r = post(
        client,
        "/api/cases",
        {
            "category": cw.repair.code,
            "description": "别的网格的井盖",
            "kind": "patrol",
            "building_id": cw.world.building_c.pk,
        },
    )
    assert r.status_code == 403 and "本人负责网格" in r.json()["detail"]
    assert Case.objects.count() == n
    r = post(
        client,
        "/api/cases",
        {
            "category": cw.repair.code,
            "description": "本网格的井盖",
            "kind": "patrol",
            "building_id": cw.world.building_a.pk,
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "draft"


def test_nul_in_any_text_field_is_400_not_500(client, cw):
    client.force_login(cw.personas["resident"])
    for field in ("category", "description", "title", "address"):
        body = {
            "category": cw.repair.code,
            "description": "楼道灯坏了",
            "building_id": cw.world.building_a.pk,
        }
        body[field] = "a\x00b"
        r = post(client, "/api/cases", body)
        assert r.status_code == 400, (field, r.status_code)
        assert r.json()["field"] == field and "控制字符" in r.json()["detail"]
    assert not Case.objects.exists()
