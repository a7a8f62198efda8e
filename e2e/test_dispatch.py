"""Dispatching in a real browser: the suggestion is picked already, so a right suggestion
takes one click; a co-handler is found by typing its pinyin initials and stays picked
while the dispatcher searches again. Screenshot: e2e/artifacts/dispatch_picker.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.cases.workflow import S

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture
def case_world(live_world, settings, tmp_path):
    from doorstep.cases.testing import build_case_world

    settings.MEDIA_ROOT = tmp_path
    return build_case_world(live_world)


def _accepted(cw, text: str) -> Case:
    p = cw.personas
    case = services.create_case(
        actor=p["resident"], category=cw.hazard, description=text,
        location=locate(building=cw.world.building_a),
    )  # fmt: skip
    return services.perform(case, "accept", actor=p["community_officer"])


def test_dispatch_from_the_suggestion_and_a_co_handler_by_initials(case_world, open_page, sign_in):
    cw = case_world
    w = cw.world
    case = _accepted(cw, "小区门口井盖松动，有人差点绊倒")
    page = open_page()
    page.goto(f"/cases/{case.number}/")
    sign_in(page, "community1")
    page.wait_for_url(re.compile(rf"/cases/{case.number}/$"))
    form = page.locator("#move-dispatch")
    expect(form).to_have_attribute("open", "")
    picked = form.locator("#lead-picked input[type=radio]:checked")
    expect(picked).to_have_value(f"o:{cw.dept_city.pk}")  # the category's default handler
    # A co-handler by pinyin initials: 清华东路第一网格 → qhdldy; Enter must not dispatch.
    search = form.locator("#co-search")
    search.fill("qhdldy")
    search.press("Enter")
    found = form.locator(f'#co-found label[data-key="o:{w.grid_a.pk}"]')
    expect(found).to_contain_text("清华东路第一网格")
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED
    found.locator("input").check()
    expect(form.locator(f'#co-picked label[data-key="o:{w.grid_a.pk}"] input')).to_be_checked()
    search.fill("ljg")  # a second search keeps the first pick
    expect(form.locator("#co-found")).to_contain_text("党员李建国")
    expect(form.locator(f'#co-picked label[data-key="o:{w.grid_a.pk}"] input')).to_be_checked()
    page.screenshot(path=ARTIFACTS / "dispatch_picker.png", full_page=True)
    form.locator("button[data-move=dispatch]").click()  # the one click when it is right
    expect(page.locator(".alert.success")).to_be_visible()
    case.refresh_from_db()
    assert case.status == S.DISPATCHED
    lead = case.assignments.get(role="lead")
    co = case.assignments.get(role="co")
    assert lead.organisation_id == cw.dept_city.pk and co.organisation_id == w.grid_a.pk
