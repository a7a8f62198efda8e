"""Importing 12345 hotline orders (12345热线工单导入) from an Excel or CSV file.

Columns (the header row is the first non-empty row; extra columns are ignored):

| column | required | meaning |
|---|---|---|
| 工单编号 | yes | the hotline's order number; an order already imported is skipped |
| 诉求类型 | yes (may be blank) | 投诉 / 求助 / 咨询 / 建议 / 举报 …, shown in the title |
| 问题分类 | yes | a leaf category: its name when unique, its full path ("城乡建设 › 住房保障与房地产 › 物业服务", also with ">" or "/"), or its code; any other wording (a top-level class, another system's term) is looked up among the labels dispatchers have mapped, else the order waits in 待分类 |
| 诉求内容 | yes | the text |
| 地址 | yes | located to a building by name, else placed on the importing user's community or street; an order with no address waits in 待定位 |
| 来电时间 | yes | when the call came in (a date-time cell or text such as 2025-06-01 09:30) |
| 办结时限 | yes (may be blank) | a date-time (the due moment), or an amount counted from 来电时间: a bare number is working days, "24小时" hours, "5个工作日"/"5天" working days; blank: the category's limit |
| 来电人, 联系电话, 紧急程度 | no | the caller's name and number (checked), 紧急/较急/一般 |

Each order with a category and a building becomes an accepted case (`kind=hotline`,
`source=hotline`, `external_no` = 工单编号) through `services.create_case`; the others wait
as `HotlineOrder`s for a dispatcher (staging.py, hotline_queue.py). Titles are made from
the text with its whitespace evened out. Each row is imported in its own savepoint: a bad row is reported with
its row number (as Excel numbers it, the header being row 1) and a message, the other rows
still import. A file without the required columns imports nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation
from doorstep.core import audit
from doorstep.core.idcard import validate_phone
from doorstep.core.models import AuditAction
from doorstep.core.text import refusal

from . import services
from .calendar import TZ, WorkCalendar
from .deadlines import add_limit
from .errors import CaseError, Conflict, NotAllowed
from .locating import Location, locate
from .models import Case, CaseKind, Category, HotlineLabel, HotlineOrder, LimitUnit, Source, Urgency

log = logging.getLogger(__name__)

REQUIRED = ("工单编号", "诉求类型", "问题分类", "诉求内容", "地址", "来电时间", "办结时限")
OPTIONAL = ("来电人", "联系电话", "紧急程度")
ALIASES = {
    "工单号": "工单编号",
    "热线工单号": "工单编号",
    "诉求分类": "问题分类",
    "事项分类": "问题分类",
    "问题描述": "诉求内容",
    "事发地址": "地址",
    "来电日期": "来电时间",
    "受理时间": "来电时间",
    "办理时限": "办结时限",
    "联系人": "来电人",
    "姓名": "来电人",
    "电话": "联系电话",
    "手机号": "联系电话",
}
URGENCY_WORDS = {
    "紧急": Urgency.URGENT,
    "特急": Urgency.URGENT,
    "加急": Urgency.URGENT,
    "较急": Urgency.PRESSING,
    "急": Urgency.PRESSING,
    "一般": Urgency.ORDINARY,
    "普通": Urgency.ORDINARY,
    "": None,
}
MAX_ROWS = 10_000
MAX_DAYS = 365
MAX_HOURS = 720
# A call time later than now by more than this is refused (clocks drift a little).
FUTURE_SLACK = dt.timedelta(minutes=10)
PATH_SPLIT = re.compile(r"\s*(?:›|>|＞|/|／|\|)\s*")
LIMIT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(小时|个小时|h|H|个工作日|工作日|天|日|d|D)?$")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
)


class HotlineFileError(CaseError):
    """The file as a whole cannot be imported (nothing was written)."""


@dataclass
class HotlineResult:
    created: int = 0
    skipped_existing: int = 0
    waiting: int = 0  # kept in the queue: 待分类 and/or 待定位
    unclassified: int = 0
    unlocated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # tracking numbers of the new cases

    @property
    def rows(self) -> int:
        return self.created + self.skipped_existing + self.waiting + len(self.errors)

    def __str__(self) -> str:
        waiting = (
            f"，待处理 {self.waiting} 件（待分类 {self.unclassified}、待定位 {self.unlocated}）"
            if self.waiting
            else ""
        )
        return (
            f"新导入 {self.created} 件{waiting}，已导入过跳过 {self.skipped_existing} 件，"
            f"有误 {len(self.errors)} 行"
        )


class RowError(ValueError):
    pass


# ---------------------------------------------------------------- reading the file


def _clean_header(value: Any) -> str:
    text = re.sub(r"[\s*＊:：]", "", str(value or ""))
    return ALIASES.get(text, text)


def _rows_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise HotlineFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式") from exc
    try:
        sheet = book.worksheets[0]
        for i, row in enumerate(sheet.iter_rows(values_only=True), 1):
            yield i, list(row)
    finally:
        book.close()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HotlineFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK")


def _rows_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        for row in reader:
            yield reader.line_num, list(row)
    except csv.Error as exc:
        raise HotlineFileError(f"CSV 文件格式有误：{exc}") from exc


def read_rows(fileobj: IO[bytes], filename: str) -> list[tuple[int, dict[str, Any]]]:
    """[(row number, {column: value})] of the data rows; raises HotlineFileError."""
    name = (filename or "").lower()
    data = fileobj.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data:
        raise HotlineFileError("文件是空的")
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        source = _rows_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        source = _rows_csv(data)
    else:
        raise HotlineFileError("只支持 .xlsx 或 .csv 文件")
    header: list[str] | None = None
    out: list[tuple[int, dict[str, Any]]] = []
    for row_no, cells in source:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        if header is None:
            header = [_clean_header(c) for c in cells]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise HotlineFileError(
                    f"缺少必需的列：{'、'.join(missing)}（第{row_no}行应为表头：{'、'.join(REQUIRED)}）"
                )
            continue
        record = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h}
        out.append((row_no, record))
        if len(out) > MAX_ROWS:
            raise HotlineFileError(f"一次最多导入 {MAX_ROWS} 行，请拆分文件")
    if header is None:
        raise HotlineFileError("文件中没有表头和数据")
    return out


# ---------------------------------------------------------------- reading one row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_datetime(value: Any, label: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = _text(value).replace("：", ":")
        text = re.sub(r"\s+", " ", text)
        for fmt in DATETIME_FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            if not text:
                raise RowError(f"{label}不能为空")
            raise RowError(f"{label}“{text}”无法识别，请写成 2025-06-01 09:30 的格式")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=TZ)
    return moment


def parse_limit(value: Any, called_at: dt.datetime, cal: WorkCalendar) -> dt.datetime | None:
    """The due moment from 办结时限: a date-time, or an amount from the call (see module doc)."""
    if value is None or _text(value) == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        due = parse_datetime(value, "办结时限")
    else:
        if isinstance(value, int | float | Decimal):
            text = str(value)
        else:
            text = _text(value).replace(" ", "")
        m = LIMIT_RE.match(text)
        if m is None:
            due = parse_datetime(value, "办结时限")
        else:
            amount = float(m.group(1))
            unit = (
                LimitUnit.HOURS
                if (m.group(2) or "").lower() in ("小时", "个小时", "h")
                else (LimitUnit.WORKDAYS)
            )
            top = MAX_HOURS if unit == LimitUnit.HOURS else MAX_DAYS
            if not amount.is_integer() or not 1 <= amount <= top:
                word = "小时" if unit == LimitUnit.HOURS else "个工作日"
                raise RowError(f"办结时限须为1到{top}{word}的整数")
            due = add_limit(called_at, int(amount), unit, cal)
    if due <= called_at:
        raise RowError("办结时限不能早于来电时间")
    return due


class CategoryIndex:
    """Finds a leaf category by name, full path or code, once per import."""

    def __init__(self) -> None:
        cats = list(Category.objects.all())
        parents = {c.parent_id for c in cats if c.parent_id}
        self.by_code = {c.code.upper(): c for c in cats}
        self.by_path: dict[tuple[str, ...], list[Category]] = {}
        self.by_name: dict[str, list[Category]] = {}
        by_id = {c.pk: c for c in cats}
        for c in cats:
            names = [c.name]
            p = by_id.get(c.parent_id) if c.parent_id else None
            while p is not None:
                names.insert(0, p.name)
                p = by_id.get(p.parent_id) if p.parent_id else None
            self.by_path.setdefault(tuple(names), []).append(c)
            if c.pk not in parents:
                self.by_name.setdefault(c.name, []).append(c)
        self.leaves = {c.pk for c in cats if c.pk not in parents}
        self.names = {c.name for c in cats}
        self.learned = {
            m.label: by_id[m.category_id]
            for m in HotlineLabel.objects.all()
            if m.category_id in by_id
        }

    def find_or_learned(self, text: str) -> Category | None:
        """The leaf the label names, or the one learned for it; None: it waits for a
        dispatcher (待分类). An empty label is an error of the row."""
        if not text:
            raise RowError("问题分类不能为空")
        try:
            return self.find(text)
        except RowError:
            learned = self.learned.get(HotlineLabel.key(text))
            if learned is not None and learned.pk in self.leaves and learned.active:
                return learned
            return None

    def find(self, text: Any) -> Category:
        text = _text(text)
        if not text:
            raise RowError("问题分类不能为空")
        parts = tuple(p for p in PATH_SPLIT.split(text) if p)
        found: Category | None = None
        if len(parts) > 1:
            on_path = self.by_path.get(parts, [])
            if not on_path:
                raise RowError(f"问题分类“{text}”不存在")
            if len(on_path) > 1:
                codes = "、".join(c.code for c in on_path[:3])
                raise RowError(f"问题分类“{text}”有多个同名分类（编码 {codes}），请填写分类编码")
            found = on_path[0]
        else:
            found = self.by_code.get(text.upper())
            if found is None:
                matches = self.by_name.get(text, [])
                if len(matches) > 1:
                    shown = "；".join(m.full_name or m.name for m in matches[:3])
                    more = "等" if len(matches) > 3 else ""
                    raise RowError(
                        f"问题分类“{text}”有{len(matches)}个同名分类（{shown}{more}），"
                        f"请写完整路径，如“{matches[0].full_name}”"
                    )
                if not matches:
                    if text in self.names:
                        raise RowError(f"问题分类“{text}”不是最末一级分类，请写到最末一级")
                    raise RowError(f"问题分类“{text}”不存在")
                found = matches[0]
        if found.pk not in self.leaves:
            raise RowError(f"问题分类“{text}”不是最末一级分类，请写到最末一级")
        if not found.active:
            raise RowError(f"问题分类“{text}”已停用")
        return found


@dataclass(frozen=True)
class Order:
    external_no: str
    category: Category | None  # None: not a leaf of ours and no label learned (待分类)
    label: str
    kind_word: str
    description: str
    title: str
    address: str
    called_at: dt.datetime
    due_at: dt.datetime | None
    urgency: str | None
    contact_name: str
    contact_phone: str


def title_of(kind: str, description: str) -> str:
    """A title from the text: every run of whitespace (newlines, full-width spaces) one
    space, trimmed, cut to fit after the 诉求类型 in brackets."""
    text = " ".join(description.split())
    return f"【{kind}】{text[:28]}" if kind else text[:30]


def parse_row(
    record: dict[str, Any], index: CategoryIndex, cal: WorkCalendar, now: dt.datetime
) -> Order:
    number = _text(record.get("工单编号"))
    if not number:
        raise RowError("工单编号不能为空")
    if len(number) > 64:
        raise RowError("工单编号过长（最多64个字符）")
    label = _text(record.get("问题分类"))
    category = index.find_or_learned(label)
    description = _text(record.get("诉求内容"))
    if not description:
        raise RowError("诉求内容不能为空")
    if len(description) > 5000:
        raise RowError("诉求内容过长（最多5000字）")
    address = _text(record.get("地址"))
    if len(address) > 200:
        raise RowError("地址过长（最多200字）")
    called_at = parse_datetime(record.get("来电时间"), "来电时间")
    if called_at > now + FUTURE_SLACK:
        raise RowError("来电时间不能晚于现在")
    due_at = parse_limit(record.get("办结时限"), called_at, cal)
    word = _text(record.get("紧急程度"))
    if word not in URGENCY_WORDS:
        raise RowError(f"紧急程度“{word}”无效，应为紧急、较急或一般")
    phone = _text(record.get("联系电话"))
    if phone:
        try:
            phone = validate_phone(phone)
        except ValueError as exc:
            raise RowError(f"联系电话“{phone}”无效：{exc}") from None
    name = _text(record.get("来电人"))
    if len(name) > 64:
        raise RowError("来电人姓名过长")
    kind = " ".join(_text(record.get("诉求类型")).split())[:10]
    return Order(
        number,
        category,
        label[:200],
        kind,
        description,
        title_of(kind, description),
        address,
        called_at,
        due_at,
        URGENCY_WORDS[word],
        name,
        phone,
    )


# ---------------------------------------------------------------- importing


def import_rows(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    actor: Any,
    fallback: Organisation | None,
    result: HotlineResult | None = None,
) -> HotlineResult:
    """Import parsed rows; each row in its own savepoint. Call inside a transaction."""
    result = result or HotlineResult()
    index = CategoryIndex()
    cal = WorkCalendar.load()
    now = timezone.now()
    seen: dict[str, int] = {}
    for row_no, record in rows:
        try:
            for label, value in record.items():
                if isinstance(value, str) and (message := refusal(value)):
                    raise RowError(f"“{label}”{message}")
            order = parse_row(record, index, cal, now)
            if order.external_no in seen:
                raise RowError(f"工单编号与第{seen[order.external_no]}行重复")
            seen[order.external_no] = row_no
            if (
                Case.objects.filter(source=Source.HOTLINE, external_no=order.external_no).exists()
                or HotlineOrder.objects.filter(external_no=order.external_no).exists()
            ):
                result.skipped_existing += 1
                continue
            # No address at all: it waits for a place (待定位). An address naming no building
            # we know is placed on the importing user's community, the address kept.
            location = locate(address=order.address, fallback=fallback) if order.address else None
            if order.category is None or location is None:
                if fallback is None:
                    raise RowError("无法确定该工单所属的社区或街道（您的账号没有可导入的辖区）")
                with transaction.atomic():
                    stage(order, location, actor=actor, organisation=fallback)
                result.waiting += 1
                if order.category is None:
                    result.unclassified += 1
                if location is None:
                    result.unlocated += 1
                continue
            with transaction.atomic():
                case = open_case(order, location, actor=actor)
            result.created += 1
            result.numbers.append(case.number)
        except Conflict:  # imported by someone else in the meantime
            result.skipped_existing += 1
        except RowError as exc:
            result.errors.append((row_no, str(exc)))
        except CaseError as exc:
            result.errors.append((row_no, exc.message))
        except Exception:  # noqa: BLE001 - one row must not sink the whole file
            log.exception("hotline import: row %s failed", row_no)
            result.errors.append((row_no, "该行导入失败（系统错误），请检查内容后重试"))
    return result


def open_case(order: Order | HotlineOrder, location: Location, *, actor: Any) -> Case:
    """An order (read from the file, or completed in the queue) as an accepted hotline
    case, received at the call time, due when the file said."""
    assert order.category is not None
    return services.create_case(
        actor=actor,
        category=order.category,
        description=order.description,
        title=order.title,
        location=location,
        kind=CaseKind.HOTLINE,
        source=Source.HOTLINE,
        urgency=order.urgency or None,
        contact_name=order.contact_name,
        contact_phone=order.contact_phone,
        accepted=True,
        external_no=order.external_no,
        created_at=order.called_at,
        due_at=order.due_at,
    )


def stage(
    order: Order, location: Location | None, *, actor: Any, organisation: Organisation
) -> HotlineOrder:
    """Keep an order that cannot be a case yet in the queue (hotline_queue.py)."""
    return HotlineOrder.objects.create(
        territory=location.territory if location else None,
        building=location.building if location else None,
        external_no=order.external_no,
        label=order.label,
        category=order.category,
        kind_word=order.kind_word,
        title=order.title,
        description=order.description,
        address=order.address,
        called_at=order.called_at,
        due_at=order.due_at,
        urgency=order.urgency or "",
        contact_name=order.contact_name,
        contact_phone=order.contact_phone,
        organisation=organisation,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def import_hotline(
    fileobj: IO[bytes], filename: str, *, actor: Any, fallback: Organisation | None
) -> HotlineResult:
    """Import a 12345 export as `actor` (who needs cases.import_hotline).

    Raises NotAllowed, or HotlineFileError for a file that cannot be imported as a whole;
    either way nothing is written.

    `fallback` is where orders whose address names no known building are placed: the
    importing user's community (or street).
    """
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm("cases.import_hotline"):
        raise NotAllowed("没有导入12345工单的权限")
    rows = read_rows(fileobj, filename)
    with transaction.atomic():
        result = import_rows(rows, actor=actor, fallback=fallback)
        audit.record(
            actor=actor,
            action=AuditAction.IMPORT,
            target_type="cases.hotline",
            target_id=(filename or "")[-100:],
            detail={
                "created": result.created,
                "waiting": result.waiting,
                "skipped_existing": result.skipped_existing,
                "errors": len(result.errors),
            },
        )
    return result


def fallback_for(user: Any) -> Organisation | None:
    """The grid, community or street (the most specific) where the user may import."""
    from doorstep.accounts.models import Membership
    from doorstep.atlas.organisations.models import Kind

    rows = (
        Membership.objects.active()
        .filter(user=user, organisation__kind__in=[Kind.COMMUNITY, Kind.STREET, Kind.GRID])
        .select_related("organisation", "role")
        .order_by("-organisation__depth")
    )
    for m in rows:
        if m.role.permissions.filter(
            content_type__app_label="cases", codename="import_hotline"
        ).exists():
            return m.organisation
    return None
