"""Exporting the case list to Excel: the list's own rows (every page, same tab and
filters), scoped, the filer's number masked per role, audited, and bad input refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.web import views_export
from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_PHONE

pytestmark = pytest.mark.django_db

URL = "/cases/export.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def cw(world):
    from doorstep.cases.testing import build_case_world

    return build_case_world(world)


def new_case(cw, persona="resident", building=None, description="楼道灯坏了", **kw):
    return services.create_case(
        actor=cw.personas[persona],
        category=kw.pop("category", cw.repair),
        description=description,
        location=locate(building=building or cw.world.building_a),
        **kw,
    )


@pytest.fixture
def cases(cw):
    """王芳's case in grid A (anonymous to the public), one in grid B, one in grid C."""
    a = new_case(cw, description="甲网格楼道灯坏了", anonymous=True)
    b = new_case(cw, "community_officer", cw.world.building_b, "乙网格垃圾满溢")
    b = services.perform(b, "accept", actor=cw.personas["community_officer"])
    c = new_case(cw, "street_officer", cw.world.building_c, "丙网格井盖缺失")
    return {"a": a, "b": b, "c": c}


def sheet(response) -> list[list[Any]]:
    """The data rows of a downloaded workbook (after the title line and the header)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[1] == views_export.HEADER
    return rows[2:]


def column(rows: list[list[Any]], name: str) -> list[Any]:
    i = views_export.HEADER.index(name)
    return [r[i] for r in rows]


def every_cell(rows: list[list[Any]]) -> str:
    return "\n".join(str(v) for r in rows for v in r if v is not None)


def listed_numbers(client, params: dict[str, str]) -> list[str]:
    """The numbers the list page shows for these parameters, walking every page."""
    numbers: list[str] = []
    page_no = 1
    while True:
        page = client.get(reverse("desk:list"), {**params, "page": page_no}).context["page"]
        numbers += [c.number for c in page.object_list]
        if not page.has_next():
            return numbers
        page_no += 1


def exports() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="export").order_by("id"))


def test_the_url_is_where_the_brief_says():
    assert reverse("desk:export") == URL


def test_the_workbook_holds_every_page_of_the_list_in_its_order(cw, client):
    for i in range(23):
        new_case(cw, description=f"路灯第{i}号不亮")
    new_case(cw, building=cw.world.building_b, description="垃圾桶满了")
    client.force_login(cw.personas["community_officer"])
    params = {"tab": "all", "q": "路灯"}
    shown = listed_numbers(client, params)
    assert len(shown) == 23  # two pages of the list
    rows = sheet(client.get(URL, params))
    assert column(rows, "工单编号") == shown
    assert set(column(rows, "状态")) == {"待受理"}
    assert set(column(rows, "所在社区/网格")) == {"清华东路社区 / 清华东路第一网格"}
    assert set(column(rows, "分类")) == {"城乡建设 › 住房保障与房地产 › 物业报修"}


@pytest.mark.parametrize(
    "params",
    [
        {"tab": "all"},
        {"tab": "submitted"},
        {"tab": "accepted"},
        {"tab": "todo"},
        {"tab": "all", "status": "accepted"},
        {"tab": "all", "kind": "request"},
        {"tab": "all", "flag": "overdue"},
    ],
)
def test_rows_equal_the_lists_rows_for_the_same_tab_and_filter(cw, cases, client, params):
    client.force_login(cw.personas["street_officer"])
    rows = sheet(client.get(URL, params))
    assert column(rows, "工单编号") == listed_numbers(client, params)


def test_a_filter_by_category_and_organisation_matches_the_list(cw, cases, client):
    hazard = new_case(cw, building=cw.world.building_b, category=cw.hazard)
    client.force_login(cw.personas["street_officer"])
    by_category = {"tab": "all", "category": str(cw.hazard.parent_id)}
    rows = sheet(client.get(URL, by_category))
    assert column(rows, "工单编号") == listed_numbers(client, by_category)
    assert set(column(rows, "工单编号")) == {c.number for c in [*cases.values(), hazard]}
    by_org = {"tab": "all", "org": str(cw.world.grid_b.pk)}
    rows = sheet(client.get(URL, by_org))
    assert column(rows, "工单编号") == [hazard.number, cases["b"].number]


def test_another_communitys_cases_never_appear(cw, cases, client):
    client.force_login(cw.personas["community_officer"])
    rows = sheet(client.get(URL, {"tab": "all"}))
    assert set(column(rows, "工单编号")) == {cases["a"].number, cases["b"].number}
    assert "丙网格井盖缺失" not in every_cell(rows)
    # asking for the other community by its id gives an empty file, as the list does
    rows = sheet(client.get(URL, {"tab": "all", "org": str(cw.world.community_2.pk)}))
    assert rows == []


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("grid_worker_a", {"a"}),
        ("grid_worker_b", {"b"}),
        ("grid_leader_a", {"a"}),
        ("community_officer", {"a", "b"}),
        ("street_officer", {"a", "b", "c"}),
        ("liaison_housing", set()),
        ("party_member", set()),  # they see the claimable pool only
        ("volunteer", set()),
    ],
)
def test_each_persona_exports_exactly_the_cases_in_scope(cw, cases, client, persona, expected):
    client.force_login(cw.personas[persona])
    rows = sheet(client.get(URL, {"tab": "all"}))
    assert set(column(rows, "工单编号")) == {cases[k].number for k in expected}


@pytest.mark.parametrize("persona", ["resident", "outsider", "audit_admin"])
def test_people_without_the_list_may_not_export_and_nothing_is_audited(cw, cases, client, persona):
    client.force_login(cw.personas[persona])
    response = client.get(URL, {"tab": "all"})
    assert response.status_code == 403
    assert exports() == []


def test_the_filers_number_is_masked_for_a_role_that_may_not_unmask(cw, cases, client):
    street = cw.personas["street_officer"]
    assert not street.has_perm("people.unmask_personal_data")
    client.force_login(street)
    rows = sheet(client.get(URL, {"tab": "all"}))
    row = rows[column(rows, "工单编号").index(cases["a"].number)]
    assert row[views_export.HEADER.index("提交人")] == "居民王芳（对外匿名）"
    assert row[views_export.HEADER.index("联系电话")] == "139****5678"
    assert PLANTED_PHONE not in every_cell(rows)
    assert exports()[-1].detail["masked"] is True


def test_someone_who_may_unmask_gets_the_number_in_clear_and_the_audit_says_so(cw, cases, client):
    client.force_login(cw.personas["community_officer"])
    rows = sheet(client.get(URL, {"tab": "all"}))
    row = rows[column(rows, "工单编号").index(cases["a"].number)]
    assert row[views_export.HEADER.index("联系电话")] == PLANTED_PHONE
    assert exports()[-1].detail["masked"] is False


def test_a_handler_sees_no_number_and_an_anonymous_filer_as_anonymous(cw, cases, client):
    # 网格长 may unmask ledger data, but the case page shows a handler no contact at all
    client.force_login(cw.personas["grid_leader_a"])
    rows = sheet(client.get(URL, {"tab": "all"}))
    assert column(rows, "提交人") == ["匿名"]
    assert column(rows, "联系电话") == [None]
    assert "王芳" not in every_cell(rows) and "5678" not in every_cell(rows)


def test_a_hotline_callers_number_is_masked_too(cw, client):
    case = new_case(
        cw,
        "community_officer",
        contact_name="来电人老周",
        contact_phone="13611112222",
        title='=HYPERLINK("http://example.com","点我")',
    )
    client.force_login(cw.personas["street_officer"])
    response = client.get(URL, {"tab": "all"})
    rows = sheet(response)
    assert column(rows, "联系电话") == ["136****2222"]
    assert column(rows, "提交人") == ["社区干部"]
    # a title that looks like a formula stays text in the file
    book = load_workbook(io.BytesIO(response.content))
    cell = book.active.cell(row=3, column=views_export.HEADER.index("标题") + 1)
    assert cell.data_type == "s" and cell.value == case.title


def test_every_export_is_audited_with_the_filter_and_the_row_count(cw, cases, client):
    client.force_login(cw.personas["street_officer"])
    sheet(client.get(URL, {"tab": "all", "q": "网格", "status": "submitted", "page": "2"}))
    [entry] = exports()
    assert entry.actor == cw.personas["street_officer"]
    assert entry.target_id == "desk:cases"
    assert entry.detail == {
        "what": "desk:cases",
        "rows": 2,
        "tab": "all",
        "filters": {"q": "网格", "status": "submitted"},
        "masked": True,
    }


def test_the_list_links_to_the_export_with_its_tab_and_filters(cw, cases, client):
    client.force_login(cw.personas["community_officer"])
    page = client.get(reverse("desk:list"), {"q": "网格", "status": "submitted", "page": "1"})
    url = page.context["export_url"]
    assert url.startswith(URL + "?") and "page=" not in url
    assert "tab=todo" in url and "status=submitted" in url
    assert 'id="export-cases"' in page.content.decode()
    assert column(sheet(client.get(url)), "工单编号") == [cases["a"].number]


def test_an_anonymous_visitor_is_sent_to_login(cases, client):
    response = client.get(URL, {"tab": "all"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert exports() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tab": "nope"}, "分类标签"),
        ({"tab": "all", "status": "bogus"}, "状态"),
        ({"tab": "all", "flag": "late"}, "时限"),
        ({"tab": "all", "kind": "x"}, "类型"),
        ({"tab": "all", "category": "abc"}, "分类"),
        ({"tab": "all", "org": "0"}, "组织"),
        ({"tab": "all", "org": "99999999999999999999"}, "组织"),
        ({"tab": "all", "q": "灯\x00"}, "搜索"),
    ],
)
def test_bad_filter_values_are_a_400_with_a_message_and_nothing_is_audited(
    cw, cases, client, params, field
):
    client.force_login(cw.personas["street_officer"])
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.content.decode()
    assert "筛选条件不正确" in body and field in body
    assert exports() == []


@pytest.mark.parametrize("category", [str(2**63), "-1", "0"])
def test_a_category_id_out_of_range_is_refused_not_a_server_error(cw, cases, client, category):
    client.force_login(cw.personas["street_officer"])
    params = {"tab": "all", "category": category}
    response = client.get(URL, params)
    assert response.status_code == 400 and "分类" in response.content.decode()
    # the list ignores a filter it cannot read, as it does any other bad value
    assert len(listed_numbers(client, params)) == 3


def test_too_many_rows_are_refused_with_a_clear_message(cw, cases, client, monkeypatch):
    monkeypatch.setattr(views_export, "MAX_ROWS", 2)
    client.force_login(cw.personas["street_officer"])
    response = client.get(URL, {"tab": "all"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "共 3 件，超过单次导出上限 2 件" in body
    assert exports() == []
    assert len(sheet(client.get(URL, {"tab": "all", "status": "submitted"}))) == 2
