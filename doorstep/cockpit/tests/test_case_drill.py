"""From the cockpit's case and service figures to the lists behind them: 受理量, 办结 and
each category's bar open the case list for the node and the period, and the list holds as
many cases as the figure says (办结 and 超期办结 are of the cases received in the period:
a case closed twice is one case); service tiles link only for those who may open the page."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cockpit.panels import Period, cockpit

from .test_cockpit_figures import _play

pytestmark = pytest.mark.django_db


def tile_link(page: str, figure: str) -> tuple[str, int]:
    """The address a tile links to and the figure it shows."""
    m = re.search(
        rf'<a class="tile[^"]*" data-figure="{figure}" href="([^"]+)"[^>]*><b>(\d+)</b>', page
    )
    assert m, f"no link on the {figure} tile"
    return html.unescape(m.group(1)), int(m.group(2))


def bar_links(page: str) -> list[str]:
    m = re.search(r'id="chart-top"[^>]*data-links="([^"]*)"', page)
    assert m
    return html.unescape(m.group(1)).split(" ")


def listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def periods() -> list[Period]:
    today = timezone.localdate()
    return [Period(today.replace(day=1), today), Period(today - dt.timedelta(days=30), today)]


def query(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


@pytest.mark.parametrize("seed", [1, 4])
@pytest.mark.parametrize(
    ("persona", "node"),
    [
        ("street_officer", "street"),
        ("community_officer", "community_1"),
        ("street_officer", "grid_b"),
    ],
)
def test_received_and_closed_lists_hold_as_many_cases_as_the_tiles(cw, client, seed, persona, node):
    _play(cw, 12, seed)
    org = getattr(cw.world, node)
    client.force_login(cw.personas[persona])
    for period in periods():
        page = client.get(f"/cockpit/{org.pk}/", query(period)).content.decode()
        rates = cockpit(org, period, timezone.localdate())["cases"]["rates"]
        url, shown = tile_link(page, "received")
        assert shown == rates["received"] and listed(client, url) == shown
        assert f"org={org.pk}" in url and f"received_from={period.start}" in url
        assert f"received_to={period.end}" in url and "tab=all" in url
        url, shown = tile_link(page, "closed")
        assert shown == rates["closed"] and listed(client, url) == shown
        assert f"received_from={period.start}&received_to={period.end}" in url
        url, shown = tile_link(page, "closed_late")
        assert shown == rates["closed_late"] and listed(client, url) == shown
        url, shown = tile_link(page, "overdue")
        assert listed(client, url) == shown


@pytest.mark.parametrize("seed", [3, 4])
def test_each_category_bar_opens_a_list_as_long_as_the_bar(cw, client, seed):
    _play(cw, 15, seed)
    org = cw.world.community_1
    client.force_login(cw.personas["community_officer"])
    for period in periods():
        page = client.get(f"/cockpit/{org.pk}/", query(period)).content.decode()
        top = cockpit(org, period, timezone.localdate())["cases"]["top_categories"]
        links = bar_links(page)
        assert len(links) == len(top) >= 1
        for row, url in zip(top, links, strict=True):
            name, n = row
            assert f"category={row.category_id}" in url, name
            assert f"received_from={period.start}" in url
            assert listed(client, url) == n, name


def test_the_uncategorised_rest_is_not_a_link(cw, client):
    """Only whole months can have an 未分类 bar (received figures without category rows)."""
    from doorstep.cases.models import CategoryRollup

    _play(cw, 10, 3)
    org = cw.world.community_1
    today = timezone.localdate()
    month = Period(today.replace(day=1), today)
    before = cockpit(org, month, today)["cases"]["top_categories"]
    CategoryRollup.objects.filter(organisation=org, category=before[0].category_id).delete()
    after = cockpit(org, month, today)["cases"]["top_categories"]
    client.force_login(cw.personas["community_officer"])
    links = bar_links(client.get(f"/cockpit/{org.pk}/", query(month)).content.decode())
    for row, url in zip(after, links, strict=True):
        assert (url == "") == (row[0] == "未分类" and row.category_id is None)
    assert any(row[0] == "未分类" for row in after)


def test_a_case_closed_twice_counts_once_and_its_closings_twice(cw, client):
    p = cw.personas
    case = cases.create_case(
        actor=p["resident"], category=cw.repair, description="回访未修好",
        location=locate(building=cw.world.building_a),
    )  # fmt: skip
    case = cases.perform(case, "accept", actor=p["community_officer"])
    for round_ in range(2):
        case = cases.perform(case, "publish", actor=p["community_officer"])
        case = cases.perform(case, "claim", actor=p["party_member"])
        case = cases.perform(case, "start", actor=p["party_member"])
        case = cases.perform(case, "resolve", actor=p["party_member"], note="办好了")
        case = cases.perform(case, "verify", actor=p["community_officer"])
        case = cases.perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)
        if round_ == 0:
            case = cases.perform(case, "reopen_closed", actor=p["community_officer"], note="未修好")
    org = cw.world.community_1
    client.force_login(p["community_officer"])
    page = client.get(f"/cockpit/{org.pk}/").content.decode()
    url, shown = tile_link(page, "closed")
    assert shown == 1  # one case received today, closed now: closed twice counts once
    response = client.get(url)
    assert response.context["page"].paginator.count == 1
    rates = cockpit(org, periods()[0], timezone.localdate())["cases"]["rates"]
    assert rates["closing_rate"] == 1.0 and rates["reopen_rate"] == 1.0
    # The closings themselves are still found by day, and the list says how many.
    today = timezone.localdate().isoformat()
    response = client.get(f"/cases/?tab=all&closed_from={today}&closed_to={today}")
    assert "其间共办结 2 次" in response.content.decode()


def test_service_tiles_link_to_pages_the_viewer_may_open(cw, client):
    w = cw.world
    client.force_login(cw.personas["community_officer"])
    today = timezone.localdate()
    page = client.get(f"/cockpit/{w.community_1.pk}/").content.decode()
    assert tile_link(page, "bookings")[0] == "/bookings/"
    assert tile_link(page, "activities")[0] == f"/activities/?month={today:%Y-%m}"
    assert tile_link(page, "attendances")[0] == f"/activities/?month={today:%Y-%m}"
    assert tile_link(page, "volunteer_hours")[0] == "/service/records/review/"
    for url in ("/bookings/", f"/activities/?month={today:%Y-%m}", "/service/records/review/"):
        assert client.get(url).status_code == 200
    # a grid worker may not approve bookings or hours: those two figures stay plain
    client.force_login(cw.personas["grid_worker_a"])
    page = client.get(f"/cockpit/{w.grid_a.pk}/").content.decode()
    assert '<div class="tile" data-figure="bookings">' in page
    assert '<div class="tile" data-figure="volunteer_hours">' in page
    assert 'href="/bookings/"' not in page and 'href="/service/records/review/"' not in page
    assert client.get("/bookings/").status_code == 403
    assert client.get("/service/records/review/").status_code == 403
    assert tile_link(page, "activities")[0] == f"/activities/?month={today:%Y-%m}"
