"""12345 hotline import: real .xlsx and .csv files (UTF-8 and GBK), idempotent on 工单编号,
bad rows reported by row number, a file without the required columns writes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from doorstep.cases.calendar import TZ, WorkCalendar
from doorstep.cases.catalogue import load_categories
from doorstep.cases.deadlines import add_limit
from doorstep.cases.hotline import HotlineFileError, fallback_for, import_hotline
from doorstep.cases.hotline_sample import sample_rows, write_csv, write_xlsx, xlsx_bytes
from doorstep.cases.models import Case, CaseEvent, Category, HotlineOrder, LimitUnit
from doorstep.cases.workflow import S
from doorstep.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 6, 9, 9, 0)  # a Monday (June 2 was 端午节)


@pytest.fixture
def hw(world):
    load_categories()
    return world


def rows(n: int = 6, **kw) -> list[dict]:
    return sample_rows(n, start=START, addresses=("静淑苑1号楼", "学知园2号楼", "某某路88号"), **kw)


def run(data: bytes, filename: str, world, actor_name: str = "community_officer"):
    return import_hotline(
        io.BytesIO(data),
        filename,
        actor=world.personas[actor_name],
        fallback=world.community_1,
    )


def test_xlsx_import_creates_accepted_hotline_cases(hw):
    data = rows(6)
    result = run(xlsx_bytes(data), "12345.xlsx", hw)
    assert (result.created, result.skipped_existing, result.errors) == (6, 0, [])
    cases = {c.external_no: c for c in Case.objects.all()}
    assert set(cases) == {r["工单编号"] for r in data}
    first = cases[data[0]["工单编号"]]
    assert first.kind == "hotline" and first.source == "hotline"
    assert first.status == S.ACCEPTED and first.accepted_at == first.created_at
    assert first.created_at == data[0]["来电时间"].replace(tzinfo=TZ)
    assert first.category.full_name == data[0]["问题分类"]
    assert first.contact_phone == data[0]["联系电话"] and first.contact_name == data[0]["来电人"]
    assert first.title.startswith("【投诉】")
    # 一般 with 办结时限 7: seven working days from the call.
    assert first.urgency == "ordinary" and first.limit_unit in (LimitUnit.WORKDAYS, "")
    assert first.due_at == add_limit(first.created_at, 7, LimitUnit.WORKDAYS, WorkCalendar())
    # Addresses naming a known building go to its grid; others to the importer's community.
    territories = {c.address: c.territory for c in cases.values()}
    assert territories["北京市海淀区静淑苑1号楼"] == hw.grid_a
    assert territories["北京市海淀区学知园2号楼"] == hw.grid_b
    assert territories["北京市海淀区某某路88号"] == hw.community_1
    assert all(c.owner == hw.community_1 for c in cases.values())
    assert CaseEvent.objects.filter(move="create").count() == 6
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).get()
    assert entry.detail == {"created": 6, "waiting": 0, "skipped_existing": 0, "errors": 0}


def test_second_import_of_the_same_file_creates_nothing(hw):
    data = xlsx_bytes(rows(5))
    assert run(data, "a.xlsx", hw).created == 5
    again = run(data, "a.xlsx", hw)
    assert (again.created, again.skipped_existing, again.errors) == (0, 5, [])
    assert Case.objects.count() == 5


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_import_in_utf8_and_gbk(hw, encoding):
    data = rows(4)
    for r in data:  # GBK has no "›": old exports write paths with ">"
        r["问题分类"] = r["问题分类"].replace(" › ", ">")
    result = run(write_csv(data, encoding), "export.csv", hw)
    assert (result.created, result.errors) == (4, [])
    case = Case.objects.get(external_no=data[1]["工单编号"])
    assert case.description == data[1]["诉求内容"]
    assert case.category.full_name == data[1]["问题分类"].replace(">", " › ")


def test_bad_rows_are_reported_with_row_numbers_and_the_rest_imports(hw):
    data = rows(10)
    data[0]["问题分类"] = "不存在的分类"  # another system's wording: waits in 待分类
    data[1]["联系电话"] = "12345"
    data[2]["来电时间"] = "昨天下午"
    data[3]["诉求内容"] = ""
    data[4]["办结时限"] = dt.datetime(2025, 6, 8, 8, 0)  # before the call
    data[5]["问题分类"] = "其他"  # a leaf name used under many parents: 待分类
    data[6]["问题分类"] = "城乡建设"  # not a leaf: 待分类
    data[7]["工单编号"] = data[8]["工单编号"]  # the same number twice in one file
    data[9]["紧急程度"] = "很急"
    result = run(xlsx_bytes(data), "bad.xlsx", hw)
    errors = dict(result.errors)
    # Row 1 is the header: data row i is spreadsheet row i + 2.
    assert "联系电话" in errors[3]
    assert "来电时间" in errors[4]
    assert errors[5] == "诉求内容不能为空"
    assert errors[6] == "办结时限不能早于来电时间"
    assert "与第9行重复" in errors[10]
    assert "紧急程度" in errors[11]
    assert set(errors) == {3, 4, 5, 6, 10, 11}
    assert (result.created, result.waiting, result.unclassified) == (1, 3, 3)
    assert Case.objects.count() == 1
    assert Case.objects.get().external_no == data[8]["工单编号"]
    waiting = HotlineOrder.objects.order_by("external_no")
    assert sorted(o.label for o in waiting) == sorted(["不存在的分类", "其他", "城乡建设"])
    assert all(o.category_id is None and o.needs == ["待分类"] for o in waiting)


def test_bad_phone_leaves_nothing_behind_and_an_unknown_label_only_waits(hw):
    data = rows(2)
    data[0]["问题分类"] = "外星人入侵"
    data[1]["联系电话"] = "139abc"
    result = run(xlsx_bytes(data), "x.xlsx", hw)
    assert result.created == 0 and [r for r, _ in result.errors] == [3]
    assert result.waiting == 1
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    assert HotlineOrder.objects.get().label == "外星人入侵"


def test_missing_columns_write_nothing(hw):
    data = rows(3)
    for r in data:
        del r["来电时间"]
    buf = io.BytesIO()
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    cols = ["工单编号", "诉求类型", "问题分类", "诉求内容", "地址", "办结时限"]
    sheet.append(cols)
    for r in data:
        sheet.append([r[c] for c in cols])
    book.save(buf)
    with pytest.raises(HotlineFileError, match="缺少必需的列：来电时间"):
        run(buf.getvalue(), "cols.xlsx", hw)
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"not a workbook", "orders.xlsx", "无法读取"),
        (b"", "orders.csv", "空"),
        (b"a,b", "orders.pdf", "只支持"),
        (b"\n\n", "orders.csv", "没有表头"),
    ],
)
def test_unreadable_files_are_refused(hw, content, name, message):
    with pytest.raises(HotlineFileError, match=message):
        run(content, name, hw)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("limit", "due"),
    [
        ("24小时", dt.datetime(2025, 6, 10, 9, 30)),
        ("3个工作日", dt.datetime(2025, 6, 12, 9, 30)),
        (5, dt.datetime(2025, 6, 16, 9, 30)),
        ("2025-06-20 18:00", dt.datetime(2025, 6, 20, 18, 0)),
        (dt.datetime(2025, 6, 20, 18, 0), dt.datetime(2025, 6, 20, 18, 0)),
    ],
)
def test_time_limit_is_a_moment_or_an_amount_from_the_call(hw, limit, due):
    data = rows(1)
    data[0]["来电时间"] = dt.datetime(2025, 6, 9, 9, 30)
    data[0]["办结时限"] = limit
    result = run(xlsx_bytes(data), "t.xlsx", hw)
    assert result.errors == []
    assert Case.objects.get().due_at == due.replace(tzinfo=TZ)


@pytest.mark.parametrize("limit", ["0", "三天", "400", "1.5"])
def test_bad_time_limits_are_row_errors(hw, limit):
    data = rows(1)
    data[0]["办结时限"] = limit
    result = run(xlsx_bytes(data), "t.xlsx", hw)
    assert result.created == 0 and result.errors[0][0] == 2 and "办结时限" in result.errors[0][1]


def test_blank_time_limit_uses_the_category(hw):
    data = rows(1)
    data[0]["问题分类"] = "城乡建设 › 安全生产 › 安全隐患"
    data[0]["办结时限"] = None
    data[0]["紧急程度"] = None
    data[0]["来电时间"] = dt.datetime(2025, 6, 9, 9, 30)
    assert run(xlsx_bytes(data), "t.xlsx", hw).errors == []
    case = Case.objects.get()
    assert case.urgency == "urgent"
    assert case.due_at == dt.datetime(2025, 6, 10, 9, 30, tzinfo=TZ)


def test_categories_by_code_by_unique_leaf_name_and_by_path(hw):
    leaf = Category.objects.get(full_name="城乡建设 › 住房保障与房地产 › 物业服务")
    data = rows(4)
    data[0]["问题分类"] = leaf.code
    data[1]["问题分类"] = "物业服务"
    data[2]["问题分类"] = "城乡建设/住房保障与房地产/物业服务"
    data[3]["问题分类"] = "城乡建设 > 住房保障与房地产 > 物业服务"
    result = run(xlsx_bytes(data), "c.xlsx", hw)
    assert result.errors == [] and result.created == 4
    assert set(Case.objects.values_list("category_id", flat=True)) == {leaf.pk}
    Category.objects.filter(pk=leaf.pk).update(active=False)
    data = rows(1, prefix="OTHER")
    data[0]["问题分类"] = "物业服务"
    result = run(xlsx_bytes(data), "c.xlsx", hw)
    # a category switched off no longer takes orders: the order waits for a dispatcher
    assert result.errors == [] and result.unclassified == 1
    assert HotlineOrder.objects.get().label == "物业服务"


def test_a_call_in_the_future_is_refused(hw):
    data = rows(1)
    data[0]["来电时间"] = dt.datetime.now(TZ).replace(tzinfo=None) + dt.timedelta(days=2)
    result = run(xlsx_bytes(data), "f.xlsx", hw)
    assert result.errors == [(2, "来电时间不能晚于现在")]


def test_without_a_fallback_an_unknown_address_is_a_row_error(hw):
    data = rows(3)
    for r, address in zip(data, ("静淑苑1号楼", "学知园2号楼", "某某路88号"), strict=True):
        r["地址"] = address
    result = import_hotline(
        io.BytesIO(xlsx_bytes(data)), "n.xlsx", actor=hw.personas["street_officer"], fallback=None
    )
    assert result.created == 2
    assert result.errors[0][0] == 4 and "网格" in result.errors[0][1]


def test_only_users_with_the_permission_may_import(hw):
    from doorstep.cases.errors import NotAllowed

    for name in ("resident", "grid_worker_a", "system_admin"):
        with pytest.raises(NotAllowed):
            run(xlsx_bytes(rows(1)), "p.xlsx", hw, actor_name=name)
    assert not Case.objects.exists()


def test_fallback_is_the_importers_community_or_street(hw):
    assert fallback_for(hw.personas["community_officer"]) == hw.community_1
    assert fallback_for(hw.personas["street_officer"]) == hw.street
    assert fallback_for(hw.personas["resident"]) is None


def test_command_imports_as_a_user_and_writes_a_sample(hw, tmp_path):
    path = tmp_path / "sample.xlsx"
    call_command("import_hotline", str(path), write_sample=True, rows=5, stdout=io.StringIO())
    assert path.stat().st_size > 0
    out, err = io.StringIO(), io.StringIO()
    call_command("import_hotline", str(path), user="community1", stdout=out, stderr=err)
    assert "新导入 5 件" in out.getvalue()
    assert Case.objects.filter(territory__path__startswith=hw.community_1.path).count() == 5
    out = io.StringIO()
    call_command("import_hotline", str(path), user="community1", stdout=out)
    assert "新导入 0 件，已导入过跳过 5 件" in out.getvalue()
    csv_path = tmp_path / "sample.csv"
    call_command("import_hotline", str(csv_path), write_sample=True, stdout=io.StringIO())
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_command_refuses_users_without_the_permission_and_bad_files(hw, tmp_path):
    path = tmp_path / "s.xlsx"
    write_xlsx(path, rows(2))
    with pytest.raises(CommandError, match="没有导入"):
        call_command("import_hotline", str(path), user="resident")
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_hotline", str(path), user="nobody")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_hotline", str(bad), user="community1")
    assert not Case.objects.exists()
