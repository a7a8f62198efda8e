"""The case list filtered by the day a case was received (受理) or closed (办结): local
(Beijing) days as the cockpit counts them, scoped, shown as a chip, refused clearly when
the dates cannot be read, and exported with the same rows."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from doorstep.cases import services
from doorstep.cases.calendar import TZ
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.cases.web import views_export
from doorstep.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LIST = "/cases/"
EXPORT = "/cases/export.xlsx"
NOVEMBER = {"received_from": "2026-11-01", "received_to": "2026-11-30"}
CLOSED_NOVEMBER = {"closed_from": "2026-11-01", "closed_to": "2026-11-30"}


def beijing(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def file(cw, description: str, building=None) -> Case:
    return services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description=description,
        location=locate(building=building or cw.world.building_a),
    )


def close(cw, case: Case) -> Case:
    """Through the pool to 已办结 (the community publishes, the party member handles)."""
    p = cw.personas
    case = services.perform(case, "publish", actor=p["community_officer"])
    case = services.perform(case, "claim", actor=p["party_member"])
    case = services.perform(case, "start", actor=p["party_member"])
    case = services.perform(case, "resolve", actor=p["party_member"], note="办好了")
    case = services.perform(case, "verify", actor=p["community_officer"])
    return services.perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)


@pytest.fixture
def played(cw) -> dict[str, Case]:
    """Cases received and closed on days either side of November's bounds (Beijing time:
    the UTC day differs for the hours before 08:00)."""
    officer = cw.personas["community_officer"]
    out: dict[str, Case] = {}
    with time_machine.travel(beijing(10, 31, 23, 30), tick=False) as clock:
        out["october"] = services.perform(file(cw, "十月受理十一月办结"), "accept", actor=officer)
        out["midnight"] = file(cw, "十月提交十一月受理")
        clock.move_to(beijing(11, 1, 0, 30))  # still 31 October in UTC
        out["midnight"] = services.perform(out["midnight"], "accept", actor=officer)
        clock.move_to(beijing(11, 2, 9))
        out["october"] = close(cw, out["october"])
        clock.move_to(beijing(11, 15, 10))
        out["grid_b"] = services.perform(
            file(cw, "乙网格十一月受理", cw.world.building_b), "accept", actor=officer
        )
        out["other_community"] = services.create_case(
            actor=cw.personas["street_officer"],
            category=cw.repair,
            description="另一社区十一月受理",
            location=locate(building=cw.world.building_c),
            accepted=True,
        )
        clock.move_to(beijing(11, 30, 23, 50))
        out["late"] = services.perform(file(cw, "月末受理次日办结"), "accept", actor=officer)
        clock.move_to(beijing(12, 1, 0, 10))
        out["late"] = close(cw, out["late"])
        out["waiting"] = file(cw, "尚未受理")
    return out


def listed(client, params: dict[str, str]) -> list[str]:
    """The numbers the list shows for these parameters, every page."""
    numbers: list[str] = []
    page_no = 1
    while True:
        response = client.get(LIST, {**params, "page": page_no})
        assert response.status_code == 200, response.content[:300]
        page = response.context["page"]
        numbers += [c.number for c in page.object_list]
        if not page.has_next():
            return numbers
        page_no += 1


def numbers(played: dict[str, Case], *keys: str) -> set[str]:
    return {played[k].number for k in keys}


def sheet_numbers(response) -> list[Any]:
    assert response.status_code == 200, response.content[:300]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[1]) == views_export.HEADER
    return [r[0] for r in rows[2:]]


def test_received_dates_are_beijing_days_including_the_first_and_last(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    shown = listed(client, {"tab": "all", **NOVEMBER})
    assert set(shown) == numbers(played, "midnight", "grid_b", "late")
    assert len(shown) == 3
    one_day = {"tab": "all", "received_from": "2026-10-31", "received_to": "2026-10-31"}
    assert set(listed(client, one_day)) == numbers(played, "october")


def test_closed_dates_list_the_cases_closed_in_the_period(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    assert set(listed(client, {"tab": "all", **CLOSED_NOVEMBER})) == numbers(played, "october")
    december = {"tab": "all", "closed_from": "2026-12-01", "closed_to": "2026-12-01"}
    assert set(listed(client, december)) == numbers(played, "late")


def test_an_open_ended_period_runs_from_or_up_to_its_one_date(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    since = {"tab": "all", "received_from": "2026-11-15"}
    assert set(listed(client, since)) == numbers(played, "grid_b", "late")
    until = {"tab": "all", "received_to": "2026-11-01"}
    assert set(listed(client, until)) == numbers(played, "october", "midnight")


def test_both_periods_and_the_other_filters_combine(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    both = {"tab": "all", **NOVEMBER, "closed_from": "2026-12-01"}
    assert set(listed(client, both)) == numbers(played, "late")
    in_grid_b = {"tab": "all", **NOVEMBER, "org": str(cw.world.grid_b.pk)}
    assert set(listed(client, in_grid_b)) == numbers(played, "grid_b")
    done = {"tab": "done", **NOVEMBER}
    assert set(listed(client, done)) == numbers(played, "late")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("street_officer", {"midnight", "grid_b", "late", "other_community"}),
        ("community_officer", {"midnight", "grid_b", "late"}),
        ("grid_worker_a", {"midnight", "late"}),
        ("grid_worker_b", {"grid_b"}),
        ("party_member", {"late"}),  # the one they handled (claimed) and was received then
    ],
)
def test_a_period_never_widens_what_the_viewer_may_see(cw, played, client, persona, expected):
    client.force_login(cw.personas[persona])
    assert set(listed(client, {"tab": "all", **NOVEMBER})) == numbers(played, *expected)


def test_the_other_communitys_node_lists_nothing_for_a_community_officer(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    params = {"tab": "all", **NOVEMBER, "org": str(cw.world.community_2.pk)}
    assert listed(client, params) == []


def test_the_active_period_shows_as_a_chip_that_can_be_removed(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    params = {"tab": "all", "org": str(cw.world.community_1.pk), **NOVEMBER}
    page = client.get(LIST, params).content.decode()
    assert "受理于 2026-11-01 至 2026-11-30" in page
    assert "范围：清华东路社区" in page
    chip = client.get(LIST, params).context["chips"][0]
    assert (
        "received_from" not in chip["remove"] and f"org={cw.world.community_1.pk}" in chip["remove"]
    )
    assert set(listed(client, {"tab": "all", "org": str(cw.world.community_1.pk)})) == (
        numbers(played, "october", "midnight", "grid_b", "late", "waiting")
    )
    # submitting the filter form keeps the period: it rides along as hidden fields
    assert '<input type="hidden" name="received_from" value="2026-11-01">' in page
    assert '<input type="hidden" name="received_to" value="2026-11-30">' in page
    only_since = client.get(LIST, {"tab": "all", "closed_from": "2026-12-01"}).content.decode()
    assert "办结于 2026-12-01 及以后" in only_since


def test_a_case_closed_twice_is_listed_once_and_the_page_says_it_closed_twice(cw, client):
    p = cw.personas
    with time_machine.travel(beijing(11, 3, 9), tick=False) as clock:
        case = close(
            cw, services.perform(file(cw, "回访未修好"), "accept", actor=p["community_officer"])
        )
        clock.move_to(beijing(11, 10, 9))
        case = services.perform(
            case, "reopen_closed", actor=p["community_officer"], note="回访未修好"
        )
        clock.move_to(beijing(11, 12, 9))
        close(cw, case)
    client.force_login(p["community_officer"])
    response = client.get(LIST, {"tab": "all", **CLOSED_NOVEMBER})
    assert [c.number for c in response.context["page"].object_list] == [case.number]
    assert "其间共办结 2 次" in response.content.decode()
    once = client.get(LIST, {"tab": "all", "closed_from": "2026-11-12", "closed_to": "2026-11-30"})
    assert "其间共办结" not in once.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"received_from": "2026-13-01"}, "受理日期（起）：日期格式应为 年-月-日"),
        ({"received_to": "十一月"}, "受理日期（止）：日期格式应为 年-月-日"),
        ({"closed_from": "2026/11/01"}, "办结日期（起）：日期格式应为 年-月-日"),
        (
            {"received_from": "2026-11-30", "received_to": "2026-11-01"},
            "受理日期（止）：不能早于受理日期（起）（2026-11-30）",
        ),
        (
            {"closed_from": "2026-12-01", "closed_to": "2026-11-01"},
            "办结日期（止）：不能早于办结日期（起）（2026-12-01）",
        ),
        ({"closed_to": "9999-12-31"}, "日期应在 2000 年至 2100 年之间"),
        ({"received_from": "0001-01-01"}, "日期应在 2000 年至 2100 年之间"),
    ],
)
def test_bad_dates_are_named_on_the_page_with_a_400(cw, played, client, params, message):
    client.force_login(cw.personas["community_officer"])
    response = client.get(LIST, {"tab": "all", **params})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="filter-errors"' in body and message in body
    # the list is the tab's, unfiltered, and says so
    assert "未加筛选" in body
    assert response.context["page"].paginator.count == 5
    assert response.context["chips"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"received_from": "2026-13-01"}, "受理日期（起）"),
        ({"closed_from": "2026-12-01", "closed_to": "2026-11-01"}, "办结日期（止）"),
        ({"received_to": "9999-12-31"}, "受理日期（止）"),
    ],
)
def test_the_export_refuses_bad_dates_and_audits_nothing(cw, played, client, params, field):
    client.force_login(cw.personas["community_officer"])
    response = client.get(EXPORT, {"tab": "all", **params})
    assert response.status_code == 400
    body = response.content.decode()
    assert "筛选条件不正确" in body and field in body
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_export_holds_the_filtered_rows_and_the_audit_names_the_period(cw, played, client):
    client.force_login(cw.personas["street_officer"])
    params = {"tab": "all", **NOVEMBER}
    assert sheet_numbers(client.get(EXPORT, params)) == listed(client, params)
    [entry] = AuditEntry.objects.filter(action="export")
    assert entry.detail["rows"] == 4
    assert entry.detail["filters"] == NOVEMBER
    closed = {"tab": "all", **CLOSED_NOVEMBER}
    assert sheet_numbers(client.get(EXPORT, closed)) == [played["october"].number]


def test_the_list_links_its_export_with_the_period(cw, played, client):
    client.force_login(cw.personas["community_officer"])
    url = client.get(LIST, {"tab": "all", **NOVEMBER}).context["export_url"]
    assert "received_from=2026-11-01" in url and "received_to=2026-11-30" in url
    assert set(sheet_numbers(client.get(url))) == numbers(played, "midnight", "grid_b", "late")


def test_people_without_the_list_get_nothing_with_a_period_either(cw, played, client):
    client.force_login(cw.personas["resident"])
    assert client.get(LIST, {"tab": "all", **NOVEMBER}).status_code == 403
    assert client.get(EXPORT, {"tab": "all", **NOVEMBER}).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()
    assert reverse("desk:list") == LIST
