"""The workbench on the demo street: every demo login lands on its own 工作台, every count
on it equals the list it opens, and the navigation offers only pages that open."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from doorstep.accounts.models import User
from doorstep.accounts.roles import DEFAULT_ROLES
from doorstep.cases.sweep import sweep
from doorstep.workbench.web.desks import DESKS, sections
from doorstep.workbench.web.nav import entries

LOGINS = (
    "street",
    "community",
    "grid",
    "gridleader",
    "member",
    "resident",
    "volunteer",
    "liaison",
    "liaison_cau",
    "cadre",
    "owner",
    "sysadmin",
    "secadmin",
    "auditor",
)
# What each login must find on the workbench (card keys), whatever else it holds.
EXPECTED = {
    "street": {"escalations", "whistles", "to_verify", "headline"},
    "community": {
        "to_receive",
        "to_dispatch",
        "to_verify",
        "overdue",
        "bookings",
        "hours",
        "topics",
    },
    "grid": {"patrol", "grid_open", "todo", "households_due"},
    "gridleader": {"patrol", "grid_open", "todo"},
    "member": {"pool", "todo", "links_due", "service"},
    "resident": {"file", "wish", "rating", "mine", "activities", "central", "topics_near"},
    "volunteer": {"pool", "todo", "service"},
    "liaison": {"summonses"},
    "liaison_cau": {"matches_confirm"},
    "cadre": {"cadre_due", "cadre_record"},
    "owner": {"file", "ballots", "topics_near"},
    "sysadmin": {"admin_category", "admin_holidayoverride"},
    "secadmin": {"approvals", "admin_user"},
    "auditor": {"approvals", "audit"},
}


@pytest.fixture(scope="module")
def demo(demo_module):
    return demo_module


def test_every_role_has_a_workbench():
    assert {spec["code"] for spec in DEFAULT_ROLES} <= set(DESKS)


def listed(response: Any) -> int:
    """How many rows the page a card opens says it holds."""
    context = response.context
    if "page" in context and hasattr(context["page"], "paginator"):
        return context["page"].paginator.count
    if "links_due_count" in context:  # 我的服务: linked households due a visit
        return context["links_due_count"]
    if "due_links_count" in context:  # 三结三问: linked nodes due a visit
        return context["due_links_count"]
    if "pending_count" in context:
        return context["pending_count"]
    if "total" in context:  # 联户走访覆盖: linked households not visited in the period
        return context["total"].linked - context["total"].visited
    raise AssertionError(f"no count on {response.request['PATH_INFO']}")


@pytest.mark.parametrize("username", LOGINS)
def test_each_login_lands_on_its_workbench_and_every_count_equals_its_list(
    demo, db, client, username
):
    user = User.objects.get(username=username)
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.templates[0].name == "workbench/home.html"
    page = response.content.decode()
    assert "没有可查看的组织范围" not in page
    cards = [card for _name, shown in sections(user) for card in shown]
    keys = {card.key for card in cards}
    assert EXPECTED[username] <= keys, EXPECTED[username] - keys
    counted = [card for card in cards if card.count is not None]
    for card in counted:
        assert f'data-card="{card.key}"' in page
        opened = client.get(card.url)
        assert opened.status_code == 200, (card.key, card.url, opened.status_code)
        assert listed(opened) == card.count, (card.key, card.url)
        if card.url.startswith("/cases/?"):  # a case list's card shows its first rows
            first = opened.context["page"].object_list[: len(card.rows)]
            assert [r.url for r in card.rows] == [f"/cases/{c.number}/" for c in first], card.key
    for card in cards:  # links and actions open too
        if card.url:
            assert client.get(card.url).status_code == 200, (card.key, card.url)
        for row in card.rows:
            if row.url:
                assert client.get(row.url).status_code == 200, (card.key, row.url)


def test_the_demo_street_gives_the_community_and_street_work_to_show(demo, db):
    """Not a workbench of zeros: the demo's history leaves something in the main queues."""
    community = User.objects.get(username="community")
    shown = {c.key: c for _n, cards in sections(community) for c in cards}
    assert sum(shown[k].count or 0 for k in ("to_receive", "to_dispatch", "to_verify")) > 0
    street = User.objects.get(username="street")
    shown = {c.key: c for _n, cards in sections(street) for c in cards}
    overdue_cards = [c for k, c in shown.items() if k.startswith("overdue_")]
    assert len(overdue_cards) >= 2  # one per community of the street


def test_each_communitys_overdue_card_says_what_its_list_holds(demo, db, client):
    """The street's 已超期 cards are counted together; each still equals its own list:
    the count, and the rows the list's first two cases by deadline."""
    street = User.objects.get(username="street")
    client.force_login(street)

    def overdue_cards() -> list[Any]:
        return [c for _n, shown in sections(street) for c in shown if c.key.startswith("overdue_")]

    cards = overdue_cards()
    if sum(1 for c in cards if c.count) < 2:
        # Which cases are overdue depends on the hour the demo was seeded at (its stories
        # stop at that moment, and staff work 08:30-18:30): the sweep, run a day on, flags
        # the cases whose deadlines fall in that day.
        sweep(now=timezone.now() + dt.timedelta(days=1))
        cards = overdue_cards()
    assert sum(1 for c in cards if c.count) >= 2  # some overdue in more than one community
    for card in cards:
        opened = client.get(card.url)
        assert opened.status_code == 200 and listed(opened) == card.count, card.key
        first = list(opened.context["page"].object_list[:2])
        assert [r.url for r in card.rows] == [f"/cases/{c.number}/" for c in first], card.key
        assert [r.title for r in card.rows] == [c.title for c in first]


def test_rows_come_nearest_deadline_first(demo, db):
    user = User.objects.get(username="community")
    for _name, cards in sections(user):
        for card in cards:
            notes = [r.note for r in card.rows if r.note.startswith("期限 ")]
            assert notes == sorted(notes), card.key


@pytest.mark.parametrize("username", LOGINS)
def test_the_navigation_offers_only_pages_that_open(demo, db, client, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    shown = entries(user)
    assert shown[0] == ("工作台", "/")
    for label, url in shown:
        response = client.get(url)
        assert response.status_code in (200, 302), (label, url, response.status_code)
        if response.status_code == 302:  # the cockpit opens the user's first node
            assert client.get(response["Location"]).status_code == 200, (label, url)
    page = client.get("/").content.decode()
    nav = re.search(r'<nav aria-label="主导航"[^>]*>(.*?)</nav>', page, re.S)
    assert nav is not None
    found = [u for u in re.findall(r'<a href="([^"]+)"', nav.group(1)) if u != "/inbox/"]
    assert found == [u for _l, u in shown]


def test_a_resident_is_not_offered_the_tree(demo, db):
    labels = [label for label, _url in entries(User.objects.get(username="resident"))]
    assert "组织树" not in labels and "驾驶舱" not in labels and "我要点单" in labels
    admin_labels = [label for label, _url in entries(User.objects.get(username="auditor"))]
    assert "活动" not in admin_labels and "审计日志" in admin_labels


def test_a_units_liaison_finds_the_units_record_and_staff_the_agreements_ending(demo, db):
    import datetime as dt

    from django.utils import timezone

    from doorstep.cogov.models import Agreement

    liaison = User.objects.get(username="liaison_cau")
    unit = liaison.memberships.get().organisation
    shown = {c.key: c for _n, cards in sections(liaison) for c in cards}
    assert shown[f"unit_{unit.pk}"].url == f"/cogov/units/{unit.pk}/"
    assert "agreements_ending" not in shown  # a liaison keeps no alliance
    today = timezone.localdate()
    ending = Agreement.objects.filter(unit=unit, alliance__lead__kind="street").get()
    Agreement.objects.filter(pk=ending.pk).update(ends_on=today + dt.timedelta(days=20))
    shown = {c.key: c for _n, cards in sections(liaison) for c in cards}
    assert [r.note for r in shown[f"unit_{unit.pk}"].rows] == [
        f"协议{today + dt.timedelta(days=20):%Y-%m-%d}到期"
    ]
    street = User.objects.get(username="street")
    card = {c.key: c for _n, cards in sections(street) for c in cards}["agreements_ending"]
    assert card.title == "即将到期的共建协议（1份）" and unit.name in card.rows[0].title
