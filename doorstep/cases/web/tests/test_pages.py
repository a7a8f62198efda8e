"""The case pages: stale forms, refused moves, the offered buttons, the desk and the inbox
(filing: test_filing_pages.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent
from doorstep.cases.testing import png
from doorstep.cases.workflow import S
from doorstep.inbox.models import Notification

pytestmark = pytest.mark.django_db


def new_case(cw, persona="resident", **kw):
    return services.create_case(
        actor=cw.personas[persona],
        category=kw.pop("category", cw.repair),
        description=kw.pop("description", "楼道灯坏了"),
        location=locate(building=kw.pop("building", cw.world.building_a)),
        **kw,
    )


def shown_moves(body: str) -> set[str]:
    return set(re.findall(r'data-move="([a-z_]+)"', body))


# ---------------------------------------------------------------- moves on the page


def test_buttons_shown_equal_moves_for(cw, client):
    p = cw.personas
    case = new_case(cw)
    for persona in ("resident", "community_officer", "street_officer", "grid_worker_a"):
        client.force_login(p[persona])
        body = client.get(reverse("desk:case", args=[case.number])).content.decode()
        expected = {m.code for m in services.moves_for(case, p[persona])}
        assert shown_moves(body) == expected, persona
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "publish", actor=p["community_officer"])
    for persona in ("party_member", "volunteer", "community_officer", "resident"):
        client.force_login(p[persona])
        body = client.get(reverse("desk:case", args=[case.number])).content.decode()
        assert shown_moves(body) == {m.code for m in services.moves_for(case, p[persona])}
    assert "claim" in shown_moves(
        (client.force_login(p["party_member"]) or client)
        .get(reverse("desk:case", args=[case.number]))
        .content.decode()
    )


def test_a_stale_form_is_a_conflict_and_changes_nothing(cw, client):
    p = cw.personas
    case = new_case(cw)
    stale = case.version
    services.perform(case, "urge", actor=p["street_officer"], note="请尽快受理")
    case.refresh_from_db()
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(p["community_officer"])
    r = client.post(reverse("desk:move", args=[case.number, "accept"]), {"version": stale})
    assert r.status_code == 409
    assert "该工单已被他人处理，请刷新后重试" in r.content.decode()
    after = Case.objects.get(pk=case.pk)
    assert after.version == case.version and after.status == S.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_move_the_user_may_not_make_is_403(cw, client):
    case = new_case(cw)
    client.force_login(cw.personas["grid_worker_a"])
    r = client.post(reverse("desk:move", args=[case.number, "accept"]), {"version": case.version})
    assert r.status_code == 403
    assert "权限" in r.content.decode() or "不是" in r.content.decode()
    after = Case.objects.get(pk=case.pk)
    assert after.version == case.version and after.status == S.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == 1
    # a move from the wrong status: 409
    client.force_login(cw.personas["community_officer"])
    r = client.post(reverse("desk:move", args=[case.number, "verify"]), {"version": case.version})
    assert r.status_code == 409 and "不能审核通过" in r.content.decode()
    # a note is required: 400
    r = client.post(
        reverse("desk:move", args=[case.number, "request_info"]), {"version": case.version}
    )
    assert r.status_code == 400 and "说明" in r.content.decode()
    assert Case.objects.get(pk=case.pk).version == case.version
    # an unknown move: 404
    r = client.post(reverse("desk:move", args=[case.number, "explode"]), {})
    assert r.status_code == 404


def test_dispatch_with_co_handlers_and_default_handler(cw, client):
    p = cw.personas
    case = new_case(cw, category=cw.hazard)
    case = services.perform(case, "accept", actor=p["community_officer"])
    client.force_login(p["community_officer"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    # No history yet: the category's default handler is the first suggestion, picked.
    assert f'value="o:{cw.dept_city.pk}" checked' in body and "该分类的默认承办单位" in body
    r = client.post(
        reverse("desk:move", args=[case.number, "dispatch"]),
        {
            "version": case.version,
            "lead": f"o:{cw.world.grid_a.pk}",
            "co": [f"u:{p['party_member'].pk}"],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case.refresh_from_db()
    assert case.status == S.DISPATCHED
    roles = sorted(case.assignments.values_list("role", flat=True))
    assert roles == ["co", "lead"]
    # a handler not offered (another street's or made up) is refused
    case2 = services.perform(new_case(cw), "accept", actor=p["community_officer"])
    r = client.post(
        reverse("desk:move", args=[case2.number, "dispatch"]),
        {"version": case2.version, "lead": "o:999999"},
    )
    assert r.status_code == 400 and "有效的承办" in r.content.decode()


def test_rating_form_rates_or_reopens(cw, client):
    p = cw.personas
    case = new_case(cw)
    for code, who in [
        ("accept", "community_officer"),
        ("publish", "community_officer"),
        ("claim", "party_member"),
        ("start", "party_member"),
    ]:
        case = services.perform(case, code, actor=p[who])
    case = services.perform(case, "resolve", actor=p["party_member"], note="已修好")
    case = services.perform(case, "verify", actor=p["community_officer"])
    client.force_login(p["resident"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert {"rate", "reopen"} <= shown_moves(body)
    r = client.post(
        reverse("desk:move", args=[case.number, "rate"]),
        {"version": case.version, "rating": "unsatisfied", "solved": "0", "comment": "灯还是不亮"},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.reopen_count == 1
    # missing 是否解决 → a message
    case = services.perform(case, "resolve", actor=p["party_member"], note="换了整套灯具")
    case = services.perform(case, "verify", actor=p["community_officer"])
    r = client.post(
        reverse("desk:move", args=[case.number, "rate"]),
        {"version": case.version, "rating": "satisfied"},
    )
    assert r.status_code == 400 and "是否已解决" in r.content.decode()
    r = client.post(
        reverse("desk:move", args=[case.number, "rate"]),
        {"version": case.version, "rating": "satisfied", "solved": "1"},
    )
    assert r.status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.CLOSED


def test_pool_claim_and_too_late(cw, client):
    p = cw.personas
    case = new_case(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "publish", actor=p["community_officer"])
    client.force_login(p["volunteer"])
    body = client.get(reverse("desk:pool")).content.decode()
    assert case.number in body and "接单" in body
    services.perform(case, "claim", actor=p["party_member"])
    r = client.post(reverse("desk:move", args=[case.number, "claim"]), {"next": "pool"})
    assert r.status_code == 409
    assert "手慢了，该工单已被他人接单" in r.content.decode()
    assert Case.objects.get(pk=case.pk).assignments.count() == 1


def test_whistle_report_and_evaluate_on_the_page(cw, client):
    p = cw.personas
    case = new_case(cw, "grid_worker_a", category=cw.hazard, kind="patrol", source="patrol")
    case = services.perform(case, "accept", actor=p["community_officer"])
    case = services.perform(case, "escalate", actor=p["community_officer"], note="需多部门")
    client.force_login(p["street_officer"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert "whistle" in shown_moves(body) and "城管执法队" in body
    r = client.post(
        reverse("desk:move", args=[case.number, "whistle"]),
        {"version": case.version, "departments": [], "note": "x"},
    )
    assert r.status_code == 400 and "职能部门" in r.content.decode()
    r = client.post(
        reverse("desk:move", args=[case.number, "whistle"]),
        {
            "version": case.version,
            "report_by": "2001-01-01T10:00",
            "departments": [cw.dept_city.pk],
        },
    )
    assert r.status_code == 400 and "不能早于现在" in r.content.decode()
    r = client.post(
        reverse("desk:move", args=[case.number, "whistle"]),
        {
            "version": case.version,
            "departments": [cw.dept_city.pk, cw.dept_housing.pk],
            "note": "井盖缺失",
        },
    )
    assert r.status_code == 302
    for liaison in ("liaison_city", "liaison_housing"):
        client.force_login(p[liaison])
        case.refresh_from_db()
        r = client.post(
            reverse("desk:move", args=[case.number, "report_in"]), {"version": case.version}
        )
        assert r.status_code == 302
    case.refresh_from_db()
    client.force_login(p["street_officer"])
    s1, s2 = case.whistles.get().summonses.order_by("id")
    r = client.post(
        reverse("desk:move", args=[case.number, "evaluate"]),
        {"version": case.version, f"score_{s1.pk}": "5", f"score_{s2.pk}": "9"},
    )
    assert r.status_code == 400 and "1到5" in r.content.decode()
    r = client.post(
        reverse("desk:move", args=[case.number, "evaluate"]),
        {
            "version": case.version,
            f"score_{s1.pk}": "5",
            f"score_{s2.pk}": "4",
            f"text_{s2.pk}": "稍慢",
        },
    )
    assert r.status_code == 302
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert "5分" in body and "4分（稍慢）" in body and "按时" in body


def test_merge_suggests_duplicates(cw, client):
    p = cw.personas
    first = new_case(cw, description="3单元楼道灯坏了")
    second = new_case(cw, description="3单元楼道的灯坏了好几天")
    new_case(cw, building=cw.world.building_c, description="3单元楼道灯坏了")  # far away
    client.force_login(p["community_officer"])
    body = client.get(reverse("desk:case", args=[second.number])).content.decode()
    dup = body.split('id="duplicates"')[1].split("</div>")[0]
    assert first.number in dup
    r = client.post(
        reverse("desk:move", args=[second.number, "merge"]),
        {"version": second.version, "target": first.number},
    )
    assert r.status_code == 302
    second.refresh_from_db()
    assert second.status == S.CANCELLED and second.merged_into_id == first.pk
    r = client.post(
        reverse("desk:move", args=[first.number, "merge"]),
        {"version": first.version, "target": "nope"},
    )
    assert r.status_code == 400 and "找不到工单" in r.content.decode()


def test_reporter_shown_to_staff_masked_and_hidden_from_the_public(cw, client):
    case = new_case(cw, anonymous=True)
    client.force_login(cw.personas["community_officer"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert "居民王芳" in body and "139****5678" in body and "13912345678" not in body
    case = services.perform(case, "accept", actor=cw.personas["community_officer"])
    case = services.perform(case, "publish", actor=cw.personas["community_officer"])
    client.force_login(cw.personas["volunteer"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert "居民王芳" not in body and "匿名" in body


def test_queue_tabs_filters_and_todo(cw, client):
    p = cw.personas
    a = new_case(cw, description="楼道灯坏了")
    b = new_case(cw, building=cw.world.building_b, description="垃圾桶满了")
    b = services.perform(b, "accept", actor=p["community_officer"])
    client.force_login(p["community_officer"])
    todo = client.get(reverse("desk:list")).content.decode()
    assert a.number in todo and b.number in todo
    sub = client.get(reverse("desk:list"), {"tab": "submitted"}).content.decode()
    assert a.number in sub and b.number not in sub
    found = client.get(reverse("desk:list"), {"tab": "all", "q": "垃圾"}).content.decode()
    assert b.number in found and a.number not in found
    flt = client.get(reverse("desk:list"), {"tab": "all", "status": "accepted"}).content.decode()
    assert b.number in flt and a.number not in flt
    flt = client.get(reverse("desk:list"), {"tab": "all", "flag": "overdue"}).content.decode()
    assert a.number not in flt and b.number not in flt
    assert "办结率" in todo and "满意率" in todo
    client.force_login(p["resident"])
    assert client.get(reverse("desk:list")).status_code == 403


def test_the_category_filter_offers_the_categories_cases_have_and_keeps_the_choice(cw, client):
    from doorstep.cases.models import Category

    unused = Category.objects.create(
        code="ZZ01", name="<空>类", parent=cw.repair.parent, level=cw.repair.level
    )
    new_case(cw)
    client.force_login(cw.personas["community_officer"])
    page = client.get(reverse("desk:list"), {"tab": "all", "category": cw.repair.pk})
    picker = re.search(r'<select name="category">(.*?)</select>', page.content.decode(), re.S)
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', picker.group(1))
    label = cw.repair.full_name or cw.repair.name
    assert (str(cw.repair.pk), " selected", label) in options  # the chosen one, by full name
    assert str(unused.pk) not in {value for value, _s, _l in options}  # no case has it
    assert [value for value, _s, _l in options][0] == ""  # 全部分类 first


def test_the_status_time_and_kind_filters_offer_every_choice_and_keep_the_chosen(cw, client):
    from doorstep.cases.models import CaseKind, Flag
    from doorstep.cases.web.forms import STATUS_CHOICES

    new_case(cw)
    client.force_login(cw.personas["community_officer"])
    chosen = {"status": "submitted", "flag": Flag.OVERDUE.value, "kind": CaseKind.REQUEST.value}
    page = client.get(reverse("desk:list"), {"tab": "all", **chosen}).content.decode()
    offered = {"status": STATUS_CHOICES, "flag": Flag.choices, "kind": CaseKind.choices}
    for name, choices in offered.items():
        select = re.search(rf'<select name="{name}" id="id_{name}">(.*?)</select>', page, re.S)
        options = re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1)
        )
        assert [(v, str(label)) for v, label in choices] == [(v, t) for v, _s, t in options[1:]]
        assert options[0][0] == ""  # 全部… first
        assert [v for v, s, _t in options if s] == [chosen[name]], name


def test_track_by_number(cw, client):
    case = new_case(cw)
    client.force_login(cw.personas["resident"])
    r = client.get(reverse("desk:track"), {"number": case.number})
    assert r.status_code == 302 and r["Location"] == reverse("desk:case", args=[case.number])
    client.force_login(cw.personas["grid_worker_b"])
    r = client.get(reverse("desk:track"), {"number": case.number})
    assert r.status_code == 404 and case.title not in r.content.decode()
    client.force_login(cw.personas["street_officer"])
    assert client.get(reverse("desk:track"), {"number": case.number}).status_code == 302


def test_inbox_lists_marks_read_and_counts_in_nav(cw, client):
    user = cw.personas["resident"]
    n1 = Notification.objects.create(user=user, kind="x", title="您的诉求已受理", url="/cases/")
    Notification.objects.create(user=user, kind="x", title="第二条")
    Notification.objects.create(user=cw.personas["outsider"], kind="x", title="别人的消息")
    client.force_login(user)
    body = client.get(reverse("desk:inbox")).content.decode()
    assert "您的诉求已受理" in body and "别人的消息" not in body
    assert 'aria-label="2条未读"' in body
    r = client.post(reverse("desk:inbox_read", args=[n1.pk]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "已读" in r.content.decode()
    body = client.get(reverse("desk:inbox")).content.decode()
    assert 'aria-label="1条未读"' in body
    other = Notification.objects.get(title="别人的消息")
    assert client.post(reverse("desk:inbox_read", args=[other.pk])).status_code == 404
    client.post(reverse("desk:inbox_read_all"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


GARBAGE = {
    "lead": "x:1",
    "co": ["o:abc", ""],
    "add_co": ["u:-1"],
    "remove": ["abc"],
    "amount": "-3",
    "unit": "fortnights",
    "target": "",
    "departments": ["abc"],
    "report_by": "2026-13-45T99:99",
    "rating": "great",
    "solved": "maybe",
    "urgency": "whenever",
    "note": "",
}


@pytest.mark.parametrize("persona", ["community_officer", "street_officer", "resident"])
def test_garbage_in_any_move_form_is_never_a_server_error(cw, client, persona):
    from doorstep.cases.workflow import MOVES_BY_CODE

    p = cw.personas
    case = new_case(cw)
    case = services.perform(case, "accept", actor=p["community_officer"])
    client.force_login(p[persona])
    for code in MOVES_BY_CODE:
        before = Case.objects.get(pk=case.pk).version
        r = client.post(
            reverse("desk:move", args=[case.number, code]), {"version": before, **GARBAGE}
        )
        assert r.status_code in {302, 400, 403, 404, 409}, (code, r.status_code)
        if r.status_code != 302:
            assert Case.objects.get(pk=case.pk).version == before, code


def test_resident_supplements_when_asked_and_may_withdraw(cw, client):
    p = cw.personas
    case = new_case(cw)
    case = services.perform(
        case, "request_info", actor=p["community_officer"], note="请拍一张灯的照片"
    )
    client.force_login(p["resident"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert shown_moves(body) == {"supplement", "withdraw"}
    assert "请拍一张灯的照片" in body
    r = client.post(
        reverse("desk:move", args=[case.number, "supplement"]),
        {"version": case.version, "note": "照片已补充", "photos": [png()]},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.SUBMITTED and case.attachments.count() == 1
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert "补充材料" in body and "照片已补充" in body
    r = client.post(reverse("desk:move", args=[case.number, "withdraw"]), {"version": case.version})
    assert r.status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.CANCELLED
