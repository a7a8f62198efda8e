"""Review findings on the desk pages and the JSON API: leaks and 500s on bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import CaseEvent

pytestmark = pytest.mark.django_db


def _case(cw, **kw):
    return services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=cw.world.building_a),
        **kw,
    )


def test_api_hides_an_anonymous_filer_from_pool_takers(cw, client):
    p = cw.personas
    case = _case(cw, anonymous=True, contact_phone="13912345678")
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "publish", actor=p["community_officer"])
    for name in ("party_member", "volunteer"):
        client.force_login(p[name])
        body = client.get(f"/api/cases/{case.number}").json()
        assert body["reporter"] is None, name
        assert body["contact_phone"] == "", name
        assert "居民王芳" not in str(body), name  # nor through the timeline's actor names
        listed = client.get("/api/cases", {"status": "pool"}).json()["items"]
        assert all(c.get("reporter") is None for c in listed)
        page = client.get(reverse("desk:case", args=[case.number])).content.decode()
        assert "居民王芳" not in page
    # Staff who receive the case still see who filed.
    client.force_login(p["community_officer"])
    assert client.get(f"/api/cases/{case.number}").json()["reporter"] == "居民王芳"


@pytest.mark.parametrize("version", ["²", "9" * 5000, "99999999999"])
def test_a_garbled_version_is_a_stale_form_not_a_500(cw, client, version):
    case = _case(cw)
    client.force_login(cw.personas["community_officer"])
    r = client.post(
        reverse("desk:move", args=[case.number, "accept"]), {"version": version, "note": ""}
    )
    assert r.status_code in (200, 302, 409)
    case.refresh_from_db()
    if version == "²":  # not a number at all: no version given, the move goes through
        assert r.status_code == 302
    else:
        assert r.status_code == 409 and case.status == "submitted"


def test_nul_in_a_move_note_is_refused_and_changes_nothing(cw, client):
    case = _case(cw)
    client.force_login(cw.personas["community_officer"])
    r = client.post(
        reverse("desk:move", args=[case.number, "request_info"]),
        {"version": str(case.version), "note": "请补充\x00照片"},
    )
    assert r.status_code == 400
    assert "“note”含有不可见的控制字符（U+0000）" in r.content.decode()
    case.refresh_from_db()
    assert case.status == "submitted" and CaseEvent.objects.filter(case=case).count() == 1


def test_nul_in_rating_comment_is_refused(cw, client):
    p = cw.personas
    case = _case(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "dispatch", actor=p["community_officer"], lead=cw.world.grid_a)
    case = services.perform(case, "sign", actor=p["grid_worker_a"])
    case = services.perform(case, "start", actor=p["grid_worker_a"])
    case = services.perform(case, "resolve", actor=p["grid_worker_a"], note="已修好")
    case = services.perform(case, "verify", actor=p["community_officer"])
    client.force_login(p["resident"])
    r = client.post(
        reverse("desk:move", args=[case.number, "rate"]),
        {"version": str(case.version), "rating": "satisfied", "solved": "1", "comment": "好\x00"},
    )
    assert r.status_code == 400
    case.refresh_from_db()
    assert case.status == "pending_rating"


@pytest.mark.parametrize("number", ["1\x002", "%00"])
def test_nul_in_a_case_number_is_a_404(cw, client, number):
    client.force_login(cw.personas["community_officer"])
    from urllib.parse import quote

    r = client.get("/cases/" + quote(number, safe="%") + "/")
    assert r.status_code == 404
    r = client.get(reverse("desk:track"), {"number": number})
    assert r.status_code in (200, 404)


def test_a_huge_photo_id_is_a_404(cw, client):
    case = _case(cw)
    client.force_login(cw.personas["resident"])
    r = client.get(f"/cases/{case.number}/photos/{'9' * 30}/")
    assert r.status_code == 404


def test_api_may_not_hand_a_case_to_another_street(cw, client):
    import json

    from doorstep.atlas.organisations.models import Kind
    from doorstep.atlas.organisations.services import create_organisation
    from doorstep.core.testing import make_user

    p = cw.personas
    other = create_organisation(name="花园路街道", kind=Kind.STREET, parent=None)
    far_c = create_organisation(name="花园路社区", kind=Kind.COMMUNITY, parent=other)
    far_grid = create_organisation(name="花园路第一网格", kind=Kind.GRID, parent=far_c)
    far_dept = create_organisation(name="花园路城管", kind=Kind.DEPARTMENT, parent=other)
    far_member = make_user("far_member", "外街道党员", ("party_member", far_grid))
    case = _case(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    client.force_login(p["community_officer"])
    url = f"/api/cases/{case.number}/moves/dispatch"
    for body in (
        {"lead_org_id": far_grid.pk},
        {"lead_user_id": far_member.pk},
        {"lead_org_id": cw.world.grid_a.pk, "co_org_ids": [far_dept.pk]},
    ):
        r = client.post(url, data=json.dumps(body), content_type="application/json")
        assert r.status_code == 400, body
    case.refresh_from_db()
    assert case.status == "accepted" and case.assignments.count() == 0
    r = client.post(
        url,
        data=json.dumps({"lead_org_id": cw.world.grid_a.pk, "co_user_ids": [p["volunteer"].pk]}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    client.force_login(p["street_officer"])
    r = client.post(
        f"/api/cases/{case.number}/moves/whistle",
        data=json.dumps({"department_ids": [far_dept.pk]}),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert not case.whistles.exists()


def test_desk_and_api_posts_need_the_csrf_token(cw):
    import json

    from django.test import Client

    p = cw.personas
    case = _case(cw)
    c = Client(enforce_csrf_checks=True)
    c.force_login(p["community_officer"])
    r = c.post(reverse("desk:move", args=[case.number, "accept"]), {"version": case.version})
    assert r.status_code == 403
    r = c.post(
        f"/api/cases/{case.number}/moves/accept",
        data=json.dumps({}),
        content_type="application/json",
    )
    assert r.status_code == 403
    r = c.post(reverse("desk:inbox_read_all"))
    assert r.status_code == 403
    case.refresh_from_db()
    assert case.status == "submitted"


def test_nul_in_a_merge_target_is_a_message_not_a_500(cw, client):
    import json

    case = _case(cw)
    client.force_login(cw.personas["community_officer"])
    r = client.post(
        reverse("desk:move", args=[case.number, "merge"]),
        {"version": str(case.version), "target": "1101\x00"},
    )
    assert r.status_code == 400
    r = client.post(
        f"/api/cases/{case.number}/moves/merge",
        data=json.dumps({"target_number": "1101\x00"}),
        content_type="application/json",
    )
    assert r.status_code in (400, 422)
    case.refresh_from_db()
    assert case.status == "submitted"


@pytest.mark.parametrize("bad", ["9" * 25, "²", "1e3", "-"])
def test_garbled_numbers_in_move_forms_are_messages(cw, client, bad):
    p = cw.personas
    case = _case(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(
        case, "dispatch", actor=p["community_officer"], lead=cw.world.grid_a, co=[cw.dept_city]
    )
    client.force_login(p["community_officer"])
    r = client.post(
        reverse("desk:move", args=[case.number, "set_handlers"]),
        {"version": str(case.version), "remove": bad},
    )
    assert r.status_code == 400
    case = services.perform(case, "sign", actor=p["grid_worker_a"])
    client.force_login(p["grid_worker_a"])
    r = client.post(
        reverse("desk:move", args=[case.number, "request_extension"]),
        {"version": str(case.version), "amount": bad, "note": "等材料"},
    )
    assert r.status_code == 400
    assert not case.extensions.exists()
