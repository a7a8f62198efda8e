"""Accessibility on the 学院路 demo, in a real browser, with axe-core (npm, a dev dependency;
never served to users):

- every demo login walks the pages its navigation offers, and the pages those link to
  (one of each kind, once for all logins), on a desktop: axe finds no serious or critical violation, and every
  control of every form is in the keyboard's tab order;
- the resident walks every page of theirs in 长辈模式, on a phone: the same, plus text of
  at least 18 px and targets at least 44 px high in the navigation and forms;
- the login and a case are done with the keyboard alone.

A failing page is named with its violations (rule, impact, the first elements) and left as
e2e/artifacts/a11y-<login>-<n>.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from doorstep.cases.models import Case
from doorstep.demo.common import DEMO_PASSWORD

from .conftest import ARTIFACTS, DEMO_LOGINS, DESKTOP, PHONE, sign_in_demo

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"
# Not walked: leaving (logout), Django's own admin (its markup is Django's, not ours; the
# admin is tested for rendering elsewhere), files (exports, documents) and the big screen.
SKIP = re.compile(r"^/(accounts/logout|admin/)|\.(xlsx|docx|pdf|csv|json|png|ics)(\?|$)|screen=1")
# At most this many pages of one kind (URL name) per login: the walk covers templates, not
# every row.
PER_KIND = 1
SERIOUS = ("serious", "critical")

CHECKS = """() => {
  const out = {tabOrder: [], small: [], targets: []};
  const shown = el => el.offsetParent !== null || getComputedStyle(el).position === 'fixed';
  for (const el of document.querySelectorAll('form input, form select, form textarea, form button')) {
    if (el.type === 'hidden' || !shown(el) || el.disabled) continue;
    if (el.tabIndex < 0) out.tabOrder.push(el.outerHTML.slice(0, 120));
  }
  if (document.body.classList.contains('elder')) {
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode, el = node.parentElement;
      if (!node.textContent.trim() || !shown(el) || el.closest('.leaflet-container')) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 18) out.small.push([size, node.textContent.trim().slice(0, 20)]);
    }
    const targets = 'nav a, form button, form input:not([type=hidden]):not([type=checkbox]):not([type=radio]), form select';
    for (const el of document.querySelectorAll(targets)) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.height < 44) out.targets.push([Math.round(r.height), el.outerHTML.slice(0, 80)]);
    }
  }
  return out;
}"""


def _kind(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    query = urlsplit(path).query
    # A tab of a list is a page of its own (its columns and forms differ).
    tab = re.search(r"(?:^|&)tab=([\w-]+)", query)
    return f"{match.view_name}{'?' + tab.group(1) if tab else ''}"


def _links(page: Any, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(a => a.getAttribute('href') || '')")
    return [h for h in hrefs if h.startswith("/") and not SKIP.search(h)]


# What a page is made of (its forms, tables, tabs and sections, numbers left out): a
# navigation page another login already passed with the same make-up is not checked again.
MAKE_UP = """() => [...document.querySelectorAll(
  'main form, main table, main section[id], main [role=tablist], main .tiles')]
  .map(e => e.tagName + '#' + e.id + ':' + (e.getAttribute('action') || '') + ':'
    + e.querySelectorAll('input, select, textarea, button, a').length)
  .join('|').replace(/\\d+/g, 'N')"""


def _axe(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    return [v for v in result if v["impact"] in SERIOUS]


def _walk(
    page: Any, login: str, *, elder: bool, checked: set[Any] | None = None
) -> tuple[list[str], list[tuple]]:
    """Open every page of the login's navigation, and one page of each kind linked from
    them (leaving out kinds in `checked`, which the walk adds to); return the pages walked
    and what was found wrong."""
    start = _links(page, "nav.main-nav a") + ["/"]
    queue, seen, kinds, walked, problems = list(start), set(), {}, [], []
    checked = set() if checked is None else checked
    while queue:
        url = queue.pop(0)
        kind = _kind(url)
        if url in seen or kind is None or kinds.get(kind, 0) >= PER_KIND:
            continue
        if url not in start and kind in checked:
            continue
        seen.add(url)
        kinds[kind] = kinds.get(kind, 0) + 1
        response = page.goto(url)
        if (
            response is None
            or response.status >= 400
            or urlsplit(page.url).path != urlsplit(url).path
        ):
            continue  # a link the role may not follow: the scope tests cover refusals
        walked.append(url)
        make_up = (kind, page.evaluate(MAKE_UP))
        if url in start and make_up in checked:
            queue += _links(page, "main a[href]")
            continue  # the same page, as another login already had it
        checked.add(kind)
        checked.add(make_up)
        if elder:
            expect(page.locator("body.elder")).to_be_attached()
        found = {"axe": _axe(page), **page.evaluate(CHECKS)}
        found = {k: v for k, v in found.items() if v}
        if found:
            page.screenshot(path=ARTIFACTS / f"a11y-{login}-{len(problems)}.png", full_page=True)
            problems.append((login, url, found))
        if url in start:  # one level down from the navigation
            queue += _links(page, "main a[href]")
    return walked, problems


def test_every_persona_page_on_a_desktop_has_no_serious_accessibility_violation(
    demo_street, open_page
):
    page = open_page()
    page.set_viewport_size(DESKTOP)
    walked, problems, checked = {}, [], set()
    page.goto("/accounts/login/")
    problems += [("anonymous", "/accounts/login/", {"axe": v}) for v in _axe(page)]
    for login in DEMO_LOGINS:
        page.context.clear_cookies()
        sign_in_demo(page, login)
        walked[login], found = _walk(page, login, elder=False, checked=checked)
        problems += found
    assert problems == [], "\n".join(map(str, problems))
    assert all(len(pages) >= 3 for pages in walked.values()), walked
    assert sum(map(len, walked.values())) > 60, walked


def test_every_resident_page_in_elder_mode_on_a_phone(demo_street, open_page):
    page = open_page(phone=True)
    # Switched on before signing in, it is carried onto the account at login and kept.
    page.goto("/accounts/login/")
    page.get_by_role("button", name="长辈模式").click()
    expect(page.locator("body.elder")).to_be_attached()
    sign_in_demo(page, "resident")
    expect(page.locator("body.elder")).to_be_attached()
    expect(page.get_by_role("button", name="长辈模式")).to_have_attribute("aria-pressed", "true")
    # The residents' navigation is a bar at the bottom of the phone's screen, every item on it.
    bar = page.locator("nav.main-nav")
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] >= PHONE["height"] - 1
    for item in bar.locator("a").all():
        expect(item).to_be_in_viewport()
    page.screenshot(path=ARTIFACTS / "elder_resident_workbench_phone.png")

    walked, problems = _walk(page, "resident", elder=True)
    assert problems == [], "\n".join(map(str, problems))
    assert len(walked) >= 10, walked
    page.goto("/cases/new/")
    page.screenshot(path=ARTIFACTS / "elder_resident_case_form_phone.png", full_page=True)


def test_a_resident_signs_in_and_files_a_case_with_the_keyboard_alone(demo_street, open_page):
    page = open_page()
    page.goto("/accounts/login/")
    expect(page.get_by_label("用户名")).to_be_focused()  # the login form is where typing goes
    page.keyboard.type("resident")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
    # On every page the first Tab reaches the skip link, which jumps past the navigation.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto("/cases/new/")
    before = Case.objects.count()
    # Tab to the first category choice, pick it with the space bar, then on to the text.
    description = page.get_by_label("诉求内容")
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.name || ''")
        if focused == "category":
            break
    else:
        pytest.fail("no category choice in the tab order")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus can be seen
    page.keyboard.press("Space")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == "description":
            break
    expect(description).to_be_focused()
    page.keyboard.type("单元门口的声控灯不亮了，晚上回家看不清台阶。")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/"))
    assert Case.objects.count() == before + 1
    case = Case.objects.latest("pk")
    assert "声控灯" in case.description and case.category_id is not None
