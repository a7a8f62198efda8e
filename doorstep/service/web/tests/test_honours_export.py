"""Exporting an honour ranking to Excel: the rows the ranking page shows for the same
organisation, list and period, within the viewer's scope, names as the page shows them and
never a phone number, audited, and bad input refused."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_PHONE, make_user
from doorstep.service import honours, ledger, records
from doorstep.service.tests.helpers import hours_ago, photo
from doorstep.service.web import views_export

pytestmark = pytest.mark.django_db

URL = "/service/honours/export.xlsx"
PAGE = "/service/honours/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month() -> str:
    return timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def _points(user, org, n: int, tag: str = "p") -> None:
    for i in range(n):
        assert ledger.grant(
            user=user, code="case_resolved", source=f"case:{tag}{user.pk}-{i}", organisation=org
        )


@pytest.fixture
def vol(world):
    user = make_user("volunteer", "志愿者小陈", ("volunteer", world.grid_a))
    world.personas["volunteer"] = user
    return user


@pytest.fixture
def ranked(world, vol, settings, tmp_path):
    """Volunteers of 清华东路社区 with points (one with verified hours), one of 二里庄社区."""
    settings.MEDIA_ROOT = tmp_path
    other = make_user("vol2", "志愿者老王", ("volunteer", world.grid_b))
    far = make_user("vol3", "二里庄志愿者", ("volunteer", world.grid_c))
    _points(vol, world.grid_a, 2)
    _points(other, world.grid_b, 3)
    _points(far, world.grid_c, 5)
    start, end = hours_ago(3, 1.5)
    record = records.self_report(
        user=vol, organisation=world.community_1, started_at=start, ended_at=end,
        description="陪老人看病", evidence=photo(),
    )  # fmt: skip
    records.approve(record, actor=world.personas["community_officer"])
    return {"vol": vol, "other": other, "far": far}


def sheet(response) -> list[list[Any]]:
    """The data rows of a downloaded workbook (after the title line and the header)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.values]
    assert rows[1] == views_export.HEADER
    return rows[2:]


def page_rows(page) -> list[list[Any]]:
    """The table the ranking page shows: its top places, then the viewer's own below."""
    entries = list(page.context["entries"])
    if page.context["mine_below"]:
        entries.append(page.context["mine"])
    return [[e.rank, e.name, e.points, float(e.hours), e.served] for e in entries]


def exports() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="export").order_by("id"))


def test_the_url_is_where_the_brief_says():
    assert reverse("serve:honours_export") == URL


def test_the_workbook_equals_the_ranking_page_for_the_same_query(world, login, ranked):
    officer = login("community_officer", world)
    query = {"org": str(world.community_1.pk), "kind": "volunteer", "start": _month()}
    rows = sheet(officer.get(URL, query))
    assert rows == page_rows(officer.get(PAGE, query))
    assert [r[:3] for r in rows] == [
        [1, "志愿者老王", 30],
        [2, "志愿者小陈", 23],
    ]  # 20 + points for the approved hours
    assert rows[1][3:] == [1.5, 1]  # hours and 人次 of the verified record


def test_the_page_links_to_the_export_with_its_query(world, login, ranked):
    officer = login("community_officer", world)
    page = officer.get(PAGE, {"org": world.grid_b.pk, "kind": "volunteer", "period": "year"})
    html = page.content.decode()
    assert 'id="export-honours"' in html
    start = page.context["start"]
    link = f"{URL}?org={world.grid_b.pk}&amp;kind=volunteer&amp;period=year&amp;start={start}"
    assert link in html
    rows = sheet(officer.get(link.replace("&amp;", "&")))
    assert rows == [[1, "志愿者老王", 30, 0, 0]]


def test_another_communitys_people_never_appear_and_its_ranking_is_404(world, login, ranked):
    officer = login("community_officer", world)
    rows = sheet(officer.get(URL, {"kind": "volunteer"}))
    assert "二里庄志愿者" not in [r[1] for r in rows]
    before = len(exports())
    assert officer.get(URL, {"kind": "volunteer", "org": world.community_2.pk}).status_code == 404
    assert len(exports()) == before
    street = login("street_officer", world)
    rows = sheet(street.get(URL, {"kind": "volunteer", "org": world.community_2.pk}))
    assert rows == [[1, "二里庄志愿者", 50, 0, 0]]


def test_a_volunteer_exports_their_own_community_with_their_own_place(
    world, login, ranked, monkeypatch
):
    monkeypatch.setattr(honours, "LIMIT", 1)
    client = login("volunteer", world)
    rows = sheet(client.get(URL, {"kind": "volunteer"}))
    assert rows == page_rows(client.get(PAGE, {"kind": "volunteer"}))
    assert [r[:2] for r in rows] == [[1, "志愿者老王"], [2, "志愿者小陈"]]
    assert client.get(URL, {"org": world.community_2.pk}).status_code == 404


def test_names_are_shown_as_on_the_page_and_no_number_ever(world, login, ranked):
    member = world.personas["party_member"]
    _points(member, world.grid_a, 1)
    response = login("community_officer", world).get(URL, {"kind": "pioneer"})
    rows = sheet(response)
    assert rows == [[1, "党员李建国", 10, 0, 0]]
    text = "\n".join(str(v) for r in load_workbook(io.BytesIO(response.content)).active.values
                     for v in r if v is not None)  # fmt: skip
    for number in ("13800000017", "110108196001010016", PLANTED_PHONE):
        assert number not in text


def test_a_name_that_looks_like_a_formula_stays_text(world, login, ranked):
    sly = make_user("sly", '=HYPERLINK("http://example.com","点我")', ("volunteer", world.grid_a))
    _points(sly, world.grid_a, 9)
    response = login("community_officer", world).get(URL, {"kind": "volunteer"})
    cell = load_workbook(io.BytesIO(response.content)).active["B3"]
    assert cell.data_type == "s" and cell.value == sly.display_name


def test_every_export_is_audited_with_the_query_and_the_row_count(world, login, ranked):
    officer = login("community_officer", world)
    sheet(officer.get(URL, {"kind": "volunteer", "period": "month", "start": _month()}))
    [entry] = exports()
    assert entry.actor == world.personas["community_officer"]
    assert (entry.target_type, entry.target_id) == (
        "organisations.organisation",
        str(world.community_1.pk),
    )
    assert entry.detail == {
        "what": "serve:honours",
        "rows": 2,
        "kind": "volunteer",
        "period": "month",
        "start": _month(),
        "fields": ["name"],
    }


def test_an_anonymous_visitor_is_sent_to_login(world, ranked):
    response = Client().get(URL, {"kind": "volunteer"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert exports() == []


def test_someone_without_a_community_has_nothing_to_export(world, login):
    assert login("outsider", world).get(URL).status_code == 404
    assert exports() == []


@pytest.mark.parametrize(
    "query, message",
    [
        ({"kind": "best"}, "榜单只能是先锋榜样"),
        ({"period": "week"}, "周期只能是月度"),
        ({"start": "2025-13"}, "月份应在1到12之间"),
        ({"start": "abc"}, "时间格式不正确"),
        ({"start": "2999-01"}, "不能查看尚未开始的周期"),
        ({"org": "abc"}, "组织编号不正确"),
        ({"org": "99999999999999999999999"}, "组织编号不正确"),
        ({"start": "2025-03\x00"}, "时间格式不正确"),
    ],
)
def test_bad_query_values_are_a_400_in_chinese_and_nothing_is_audited(
    world, login, ranked, query, message
):
    response = login("community_officer", world).get(URL, query)
    assert response.status_code == 400 and message in response.content.decode()
    assert exports() == []


def test_hours_are_numbers_in_the_file(world, login, ranked):
    rows = sheet(login("community_officer", world).get(URL, {"kind": "volunteer"}))
    assert rows[1][3] == float(Decimal("1.50"))
