"""The two loops of issue 3, walked in a real browser by their personas.

Walk 1 (群众点单·社区派单·党员接单): a resident on a phone submits with a photo → the
community accepts and publishes to the pool → a party member claims, starts and resolves
with a photo → the community verifies → the resident rates 满意 → the street's 办结率 and
满意率 change. Walk 2 (网格发现→社区收集→街道吹哨→部门报到): a grid worker reports → the
community accepts and escalates → the street whistles two departments → both report → the
lead department resolves → the street closes it and evaluates both.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from doorstep.cases.models import Case
from doorstep.cases.rates import rates_for
from doorstep.cases.workflow import S

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def _png() -> dict:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 140, 60)).save(buf, "PNG")
    return {"name": "现场.png", "mimeType": "image/png", "buffer": buf.getvalue()}


@pytest.fixture
def case_world(live_world, settings, tmp_path):
    from doorstep.cases.testing import build_case_world

    settings.MEDIA_ROOT = tmp_path
    return build_case_world(live_world)


def _as(open_page, sign_in, username: str, url: str, phone: bool = False):
    page = open_page(phone=phone)
    page.goto(url)
    sign_in(page, username)
    page.wait_for_url(re.compile(re.escape(url.split("?")[0]) + r"$"))
    return page


def _move(page, code: str, note: str | None = None, photo: bool = False) -> None:
    form = page.locator(f"#move-{code}")
    if form.evaluate("el => el.tagName") == "DETAILS" and form.get_attribute("open") is None:
        form.locator("summary").click()
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    if photo:
        form.locator("input[type=file]").set_input_files(_png())
    form.locator(f"button[data-move={code}]").click()
    expect(page.locator(".alert.success")).to_be_visible()


def test_walk_1_resident_pool_party_member_rating(case_world, open_page, sign_in):
    w = case_world.world
    before = rates_for(w.street)

    # 1. The resident, on a phone, submits a request with a photo.
    resident = _as(open_page, sign_in, "resident", "/cases/new/", phone=True)
    expect(resident.get_by_role("heading", level=1)).to_contain_text("我要点单")
    # The category by its pinyin, typed into the type-ahead.
    resident.locator("#category-search").fill("wuyebaoxiu")
    resident.locator("#category-found label", has_text="物业报修").locator("input").check()
    expect(resident.locator("#category-picked input:checked")).to_have_value(
        str(case_world.repair.pk)
    )
    resident.locator("#id_description").fill("3单元楼道灯坏了一周，晚上老人上下楼看不见")
    expect(resident.locator("#id_building")).to_have_value(str(w.building_a.pk))
    resident.locator("#id_photos").set_input_files(_png())
    resident.screenshot(path=ARTIFACTS / "cases_resident_new.png", full_page=True)
    resident.get_by_role("button", name="提交").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("提交成功")
    number = resident.locator("#tracking-number").inner_text().strip()
    case = Case.objects.get(number=number)
    assert case.status == S.SUBMITTED and case.attachments.count() == 1
    resident.screenshot(path=ARTIFACTS / "cases_resident_filed.png", full_page=True)
    resident.get_by_role("link", name="查看工单").click()
    expect(resident.locator("#case-status")).to_have_text("待受理")

    # 2. The community officer accepts and publishes it to the pool.
    officer = _as(open_page, sign_in, "community1", f"/cases/{number}/")
    expect(officer.locator("#reporter")).to_contain_text("139****5678")
    officer.screenshot(path=ARTIFACTS / "cases_officer_case.png", full_page=True)
    _move(officer, "accept")
    expect(officer.locator("#case-status")).to_have_text("已受理")
    _move(officer, "publish")
    expect(officer.locator("#case-status")).to_have_text("待接单")

    # 3. The party member claims it from the pool, starts and resolves with a photo.
    member = _as(open_page, sign_in, "member", "/cases/pool/", phone=True)
    item = member.locator(f"#pool-{number}")
    expect(item).to_contain_text("楼道灯")
    item.get_by_role("button", name="接单").click()
    expect(member.locator("#case-status")).to_have_text("已签收")
    _move(member, "start")
    _move(member, "resolve", note="已更换楼道灯泡并检查线路", photo=True)
    expect(member.locator("#case-status")).to_have_text("办结待核实")
    member.screenshot(path=ARTIFACTS / "cases_member_resolved.png", full_page=True)

    # 4. The community verifies.
    officer.reload()
    _move(officer, "verify")
    expect(officer.locator("#case-status")).to_have_text("待评价")

    # 5. The resident rates 满意, solved.
    resident.reload()
    form = resident.locator("#move-rate")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("已解决").check()
    form.locator("textarea[name=comment]").fill("很及时，谢谢")
    form.get_by_role("button", name="提交评价").click()
    expect(resident.locator("#case-status")).to_have_text("已办结")
    expect(resident.locator("#timeline")).to_contain_text("评价")
    resident.screenshot(path=ARTIFACTS / "cases_resident_closed.png", full_page=True)

    # 6. The street's rates changed accordingly.
    after = rates_for(w.street)
    assert after["received"] == before["received"] + 1
    assert after["closed"] == before["closed"] + 1
    assert after["closing_rate"] == 1.0 and after["satisfaction_rate"] == 1.0
    street = _as(open_page, sign_in, "street", "/cases/")
    panel = street.locator(f"#rates-{w.street.pk}")
    expect(panel.locator("[data-rate=closing_rate] b")).to_have_text("100.0%")
    expect(panel.locator("[data-rate=satisfaction_rate] b")).to_have_text("100.0%")


def test_walk_2_patrol_escalate_whistle_report_evaluate(case_world, open_page, sign_in):
    w = case_world.world

    # 1. The grid worker reports on patrol (draft), then submits to the community.
    grid = _as(open_page, sign_in, "grid_a", "/cases/patrol/new/", phone=True)
    # The category through the three-level cascade.
    cascade = grid.locator("#category-cascade")
    cascade.locator("summary", has_text="按类别逐级选择").click()
    cascade.locator("summary", has_text="城乡建设").click()
    cascade.locator("summary", has_text="住房保障与房地产").click()
    cascade.get_by_label("安全隐患").check()
    grid.locator("#id_description").fill("小区东门井盖缺失，已设临时围挡")
    grid.locator("#id_building").select_option(str(w.building_a.pk))
    grid.get_by_role("button", name="保存草稿").click()
    expect(grid.get_by_role("heading", level=1)).to_have_text("草稿已保存")
    number = grid.locator("#tracking-number").inner_text().strip()
    grid.get_by_role("link", name="查看工单").click()
    expect(grid.locator("#case-status")).to_have_text("草稿")
    grid.screenshot(path=ARTIFACTS / "cases_grid_draft.png", full_page=True)
    _move(grid, "submit")
    expect(grid.locator("#case-status")).to_have_text("待受理")

    # 2. The community accepts and escalates (上报) to the street.
    officer = _as(open_page, sign_in, "community1", f"/cases/{number}/")
    _move(officer, "accept")
    _move(officer, "escalate", note="涉及城管和房管，需街道协调")
    assert Case.objects.get(number=number).owner == w.street

    # 3. The street officer whistles two departments.
    street = _as(open_page, sign_in, "street", f"/cases/{number}/")
    form = street.locator("#move-whistle")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    form.get_by_label("城管执法队").check()
    form.get_by_label("房管所").check()
    form.screenshot(path=ARTIFACTS / "cases_street_whistle_form.png")
    form.locator("textarea[name=note]").fill("井盖缺失，请30分钟内到场")
    form.locator("button[data-move=whistle]").click()
    expect(street.locator(".alert.success")).to_be_visible()
    expect(street.locator("#case-status")).to_have_text("办理中")

    # 4. Both liaisons report (报到).
    for username in ("liaison_city", "liaison_housing"):
        liaison = _as(open_page, sign_in, username, f"/cases/{number}/")
        _move(liaison, "report_in")
        if username == "liaison_city":
            city = liaison

    # 5. The lead department (城管执法队, the first summoned) resolves.
    city.reload()
    _move(city, "resolve", note="已补装井盖并撤除围挡")
    expect(city.locator("#case-status")).to_have_text("办结待核实")

    # 6. The street verifies and closes, then evaluates both departments.
    street.reload()
    _move(street, "verify_close")
    expect(street.locator("#case-status")).to_have_text("已办结")
    form = street.locator("#move-evaluate")
    form.locator("summary").click()
    form.get_by_label("城管执法队评分").select_option("5")
    form.get_by_label("城管执法队评语").fill("到场迅速")
    form.get_by_label("房管所评分").select_option("4")
    form.locator("button[data-move=evaluate]").click()
    expect(street.locator(".alert.success")).to_be_visible()
    whistle = street.locator("[id^=whistle-]")
    expect(whistle).to_contain_text("5分（到场迅速）")
    expect(whistle).to_contain_text("4分")
    expect(street.locator("#move-evaluate")).to_have_count(0)
    street.screenshot(path=ARTIFACTS / "cases_street_evaluated.png", full_page=True)
    case = Case.objects.get(number=number)
    assert case.status == S.CLOSED
    scores = sorted(case.whistles.get().summonses.values_list("score", flat=True))
    assert scores == [4, 5]


def test_resident_marks_a_point_on_the_map(case_world, open_page, sign_in):
    """The Leaflet map draws the buildings without any outside tiles; a click files there."""
    w = case_world.world
    for b, (lat, lon) in ((w.building_a, (39.9990, 116.3500)), (w.building_b, (39.9975, 116.3530))):
        b.lat, b.lon = lat, lon
        b.save(update_fields=["lat", "lon"])
    page = _as(open_page, sign_in, "resident", "/cases/new/", phone=True)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.get_by_label("群众点单").check()
    page.locator("#category-search").fill("物業報修")  # 繁体 finds it too
    page.locator("#category-found label", has_text="物业报修").locator("input").check()
    page.locator("#id_description").fill("楼下路面塌陷一块")
    page.get_by_label("在地图上标出").check()
    expect(page.locator("#map .leaflet-interactive")).to_have_count(2)
    box = page.locator("#map").bounding_box()
    # a tap a little off the building's dot (zoom 16: ~2 m a pixel), as a thumb would
    page.locator("#map").tap(position={"x": box["width"] / 2 + 25, "y": box["height"] / 2 + 20})
    expect(page.locator("#id_lat")).not_to_have_value("")
    page.screenshot(path=ARTIFACTS / "cases_resident_map.png", full_page=True)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提交成功")
    case = Case.objects.get(number=page.locator("#tracking-number").inner_text().strip())
    assert case.building == w.building_a and case.lat is not None
    assert all(u.startswith(page.url.split("/cases/")[0]) for u in requests), requests
