"""The data-scope matrix for the case pages: every persona × every case × every page.

A case outside a persona's scope answers 404 (never its data); a page the role may not use
answers 403. A walk over the URL names of the "desk" namespace makes sure a new page cannot
escape the matrix.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent
from doorstep.cases.web.views_dispatch import may_dispatch

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_worker_a",
    "grid_worker_b",
    "grid_leader_a",
    "community_officer",
    "street_officer",
    "party_member",
    "volunteer",
    "resident",
    "liaison_city",
    "liaison_housing",
    "outsider",
    "system_admin",
    "security_admin",
    "audit_admin",
]

# Pages about one case: url name -> HTTP method.
CASE_PAGES = {"desk:case": "get", "desk:move": "post", "desk:photo": "get", "desk:filed": "get"}
CASE_PAGES["desk:handlers"] = "get"  # the dispatch type-ahead: for those who may dispatch it
# Pages without a case: url name -> the permissions of which one is needed (None: any user).
LIST_PAGES: dict[str, tuple[str, ...] | None] = {
    "desk:list": (
        "cases.receive_case",
        "cases.handle_case",
        "cases.report_patrol",
        "cases.report_whistle",
        "cases.whistle_case",
    ),
    "desk:pool": ("cases.claim_case", "cases.dispatch_case"),
    "desk:new": ("cases.add_case",),
    "desk:patrol_new": ("cases.report_patrol",),
    "desk:mine": ("cases.add_case",),
    "desk:track": None,
    "desk:hotline": ("cases.import_hotline",),
    "desk:hotline_waiting": ("cases.import_hotline",),
    "desk:categories": None,  # the category type-ahead: the catalogue is public
    "desk:inbox": None,
}
POST_PAGES = {"desk:inbox_read", "desk:inbox_read_all"}  # covered in test_pages (own rows only)
# The 12345 queue's decisions: scoped to the queue's rows (test_hotline_page.py).
POST_PAGES |= {"desk:hotline_classify", "desk:hotline_place"}
# Public by design: a case's progress by its code and phone tail, no personal data
# (test_public_tracking.py).
POST_PAGES |= {"desk:public_track"}
EXPORT_PAGES = {"desk:export"}  # its scope matrix is in test_case_export


def png() -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 200)).save(buf, "PNG")
    return SimpleUploadedFile("s.png", buf.getvalue(), content_type="image/png")


@pytest.fixture
def cw(world):
    from doorstep.cases.testing import build_case_world

    return build_case_world(world)


@pytest.fixture
def cases(cw, settings, tmp_path):
    """Four cases: grid A (by the resident), grid B, grid C (whistled to 城管), grid A pool."""
    settings.MEDIA_ROOT = tmp_path
    p, w = cw.personas, cw.world

    def make(actor, building, text):
        return services.create_case(
            actor=p[actor],
            category=cw.repair,
            description=text,
            location=locate(building=building),
            photos=[png()],
        )

    a = make("resident", w.building_a, "甲网格楼道灯坏了")
    b = make("community_officer", w.building_b, "乙网格垃圾满溢")
    c = make("street_officer", w.building_c, "丙网格井盖缺失")
    c = services.perform(c, "accept", actor=p["street_officer"])
    c = services.perform(
        c, "whistle", actor=p["street_officer"], departments=[cw.dept_city], note="井盖"
    )
    pool = make("grid_worker_a", w.building_a, "甲网格老人需要买菜")
    pool = services.perform(pool, "accept", actor=p["community_officer"])
    pool = services.perform(pool, "publish", actor=p["community_officer"])
    return {"a": a, "b": b, "c": c, "pool": pool}


VISIBLE = {
    "grid_worker_a": {"a", "pool"},
    "grid_leader_a": {"a", "pool"},
    "grid_worker_b": {"b"},
    "community_officer": {"a", "b", "pool"},
    "street_officer": {"a", "b", "c", "pool"},
    "party_member": {"pool"},
    "volunteer": {"pool"},
    "resident": {"a"},
    "liaison_city": {"c"},
    "liaison_housing": set(),
    "outsider": set(),
    "system_admin": set(),
    "security_admin": set(),
    "audit_admin": set(),
}


def test_every_desk_url_is_in_the_scope_matrix():
    names = {
        f"desk:{p.name}"
        for p in get_resolver().url_patterns
        if getattr(p, "namespace", None) == "desk"
        for p in p.url_patterns
    }
    assert names, "no desk urls found"
    missing = names - set(CASE_PAGES) - set(LIST_PAGES) - POST_PAGES - EXPORT_PAGES
    assert not missing, f"pages not covered by the scope matrix: {sorted(missing)}"


def _url(page: str, case: Case) -> str:
    if page == "desk:handlers":
        return reverse(page, args=[case.number]) + "?q=qhdl"
    if page == "desk:move":
        return reverse(page, args=[case.number, "urge"])
    if page == "desk:photo":
        return reverse(page, args=[case.number, case.attachments.get().pk])
    return reverse(page, args=[case.number])


@pytest.mark.parametrize("persona", PERSONAS)
def test_case_pages_show_exactly_the_personas_cases(cw, cases, client, persona):
    user = cw.personas[persona]
    client.force_login(user)
    may_view = user.has_perm("cases.view_case")
    for key, case in cases.items():
        case.refresh_from_db()
        events = CaseEvent.objects.filter(case=case).count()
        for page, method in CASE_PAGES.items():
            response = getattr(client, method)(_url(page, case), {"version": case.version})
            status = response.status_code
            seen = key in VISIBLE[persona]
            if page == "desk:filed":
                # only the reporter gets the number page; anyone else is sent to the case
                # page, which applies the matrix below
                expected = 200 if case.reporter_id == user.pk else 302
            elif not may_view:
                expected = 403
            elif not seen:
                expected = 404
            elif page == "desk:move":
                # 催办 without a note is refused, or not open to this persona
                expected = status if status in (400, 403) else -1
            elif page == "desk:handlers":
                expected = 200 if may_dispatch(case, user) else 403
            else:
                expected = 200
            assert status == expected, (persona, key, page, status)
            if not seen:
                assert case.title not in response.content.decode(errors="ignore")
        after = Case.objects.get(pk=case.pk)
        assert after.version == case.version
        assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_pages_are_scoped(cw, cases, client, persona):
    user = cw.personas[persona]
    client.force_login(user)
    for page, perms in LIST_PAGES.items():
        params = {"tab": "all"} if page == "desk:list" else {}
        response = client.get(reverse(page), params)
        if perms is not None and not any(user.has_perm(p) for p in perms):
            assert response.status_code == 403, (persona, page)
            continue
        assert response.status_code == 200, (persona, page)
        body = response.content.decode()
        for key, case in cases.items():
            if page == "desk:list":
                assert (case.number in body) is (key in VISIBLE[persona]), (persona, key)
            elif page == "desk:pool":
                assert (case.number in body) is (key == "pool" and key in VISIBLE[persona])
            elif page == "desk:mine":
                assert (case.number in body) is (case.reporter_id == user.pk)
            else:
                assert case.number not in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_tracking_a_number_follows_the_matrix(cw, cases, client, persona):
    client.force_login(cw.personas[persona])
    for key, case in cases.items():
        r = client.get(reverse("desk:track"), {"number": case.number})
        assert r.status_code == (302 if key in VISIBLE[persona] else 404), (persona, key)


def test_anonymous_visitors_are_sent_to_login(cases, client):
    case = cases["a"]
    for page in list(CASE_PAGES) + list(LIST_PAGES):
        url = _url(page, case) if page in CASE_PAGES else reverse(page)
        r = client.get(url)
        assert r.status_code in {302, 405}
        if r.status_code == 302:
            assert r["Location"].startswith(reverse("accounts:login"))
