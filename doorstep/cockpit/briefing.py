"""The monthly briefing (工作简报) of a node: the month's cockpit figures written as sentences,
with the change against the previous month (环比), the children's rates and a few charts.

Every figure comes from `panels.cockpit` for the month (and for the previous month, for the
changes), so the briefing always equals the cockpit. Charts are drawn with Pillow as plain
bars and lines; their labels are written in the document beside them, so no font is needed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from docx.shared import Mm
from PIL import Image, ImageDraw

from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation
from doorstep.cases.calendar import TZ
from doorstep.cases.models import Case, Rating
from doorstep.cases.rates import DEFINITIONS, RATE_LABELS
from doorstep.core import officedoc
from doorstep.core.errors import DomainError

from .panels import Period, cockpit, compared_kept, rates_kept

EXAMPLES = 3
COLOURS = ((52, 101, 164), (78, 154, 6), (204, 0, 0), (237, 212, 0))
PALETTE = ((255, 255, 255), (90, 90, 90), (225, 225, 225), *COLOURS)
AXIS, GRID, FIRST_COLOUR = 1, 2, 3
COLOUR_NAMES = ("蓝色", "绿色", "红色", "黄色")


class BriefingError(DomainError, ValueError):
    """The month asked for cannot be briefed (not begun yet, or out of range)."""


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    """Values drawn as bars (grouped by label) or lines; `caption` names what is drawn."""

    title: str
    kind: str  # "bar" or "line"
    labels: list[str]
    series: list[tuple[str, list[float]]]
    top: float | None = None  # the value at the top of the axis (default: the largest)
    unit: str = ""

    @property
    def peak(self) -> float:
        return self.top or max((v for _, vs in self.series for v in vs), default=0) or 1

    @property
    def caption(self) -> str:
        legend = "，".join(
            f"{COLOUR_NAMES[i % len(COLOUR_NAMES)]}为{name}"
            for i, (name, _) in enumerate(self.series)
        )
        scale = f"纵轴顶端为 {number(self.peak)}{self.unit}"
        if self.kind == "bar":
            order = "、".join(self.labels)
            return f"{self.title}（{legend}；从左到右依次为：{order}；{scale}）"
        span = f"{self.labels[0]}至{self.labels[-1]}" if self.labels else ""
        return f"{self.title}（{legend}；横轴为{span}；{scale}）"


@dataclass
class Section:
    heading: str
    sentences: list[str] = field(default_factory=list)


@dataclass
class Briefing:
    title: str
    org_name: str
    period: Period
    so_far: bool  # the month is still running: figures are "截至今日"
    sections: list[Section]
    tables: list[Table]
    charts: list[Chart]
    figures: dict[str, Any]  # the month's cockpit, for anyone who wants to check

    @property
    def period_text(self) -> str:
        p = self.period
        text = f"{p.start:%Y}年{p.start.month}月{p.start.day}日至{p.end.month}月{p.end.day}日"
        return f"{text}（截至今日）" if self.so_far else text


def number(value: Any) -> str:
    """1234 → "1,234"; hours keep one decimal ("1,234.5"); None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, (float, Decimal)) and value != int(value):
        return f"{value:,.1f}"
    return f"{int(value):,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def change(now: Any, before: Any, unit: str) -> str:
    """ "较上月增加 12 件（+10.8%）", "较上月减少 3 件（-5.0%）", "与上月持平"."""
    if now is None or before is None:
        return ""
    diff = now - before
    if diff == 0:
        return "与上月持平"
    word = "增加" if diff > 0 else "减少"
    rate = f"（{diff / before * 100:+.1f}%）" if before else ""
    return f"较上月{word} {number(abs(diff))} {unit}{rate}"


def month_period(month: dt.date, today: dt.date) -> tuple[Period, bool]:
    """The days of the month up to today; an error if the month has not begun."""
    first = month.replace(day=1)
    if first > today:
        raise BriefingError("该月尚未开始，无法生成简报")
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return Period(first, min(last, today)), last > today


def _previous(period: Period, so_far: bool) -> Period:
    """The whole previous month, or its same days while this month is still running."""
    last = period.start - dt.timedelta(days=1)
    first = last.replace(day=1)
    if so_far:
        last = min(last, first + dt.timedelta(days=period.days - 1))
    return Period(first, last)


def _examples(org: Organisation, period: Period) -> list[str]:
    """Cases closed in the period that the resident rated 满意: title and handler only."""
    since = dt.datetime.combine(period.start, dt.time(), TZ)
    until = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), TZ)
    rows = (
        Case.objects.filter(
            territory_path__startswith=org.path,
            closed_at__gte=since,
            closed_at__lt=until,
            rating=Rating.SATISFIED,
        )
        .select_related("owner", "category")
        .order_by("-closed_at", "-pk")[:EXAMPLES]
    )
    return [
        f"「{case.title}」（{case.category.name}），由{case.owner.name}办结，群众评价满意。"
        for case in rows
    ]


def _charts(c: dict[str, Any], child_rates: list[tuple[Organisation, dict]]) -> list[Chart]:
    """The daily trend, the top categories and the children's rates, as far as there are any."""
    charts = []
    if c["trend"]:
        charts.append(
            Chart(
                "每日受理与办结",
                "line",
                [f"{int(day[5:7])}月{int(day[8:10])}日" for day, _, _ in c["trend"]],
                [
                    ("受理", [float(x or 0) for _, x, _ in c["trend"]]),
                    ("办结", [float(y or 0) for _, _, y in c["trend"]]),
                ],
                unit=" 件",
            )
        )
    if c["top_categories"]:
        charts.append(
            Chart(
                "诉求类别",
                "bar",
                [name for name, _ in c["top_categories"]],
                [("件数", [float(n) for _, n in c["top_categories"]])],
                unit=" 件",
            )
        )
    if child_rates:
        charts.append(
            Chart(
                "下级办结率与满意率",
                "bar",
                [child.name for child, _ in child_rates],
                [
                    ("办结率", [(cr["closing_rate"] or 0) * 100 for _, cr in child_rates]),
                    ("满意率", [(cr["satisfaction_rate"] or 0) * 100 for _, cr in child_rates]),
                ],
                top=100,
                unit="%",
            )
        )
    return charts


NOTED: tuple[str, ...] = ("received", "closed", "closing_rate", "closed_late", "on_time_rate")
NOTED = (*NOTED, "satisfaction_rate", "reopen_rate", "overdue", "due_soon")


def _notes() -> Section:
    """How each case figure of the briefing is counted, as cases/rates.py defines it."""
    return Section(
        "附：指标口径",
        [f"{RATE_LABELS.get(code, '')}：{DEFINITIONS[code]}。" for code in NOTED],
    )


def compose(org: Organisation, month: dt.date, today: dt.date | None = None) -> Briefing:
    """The briefing of `org` for the month holding `month` (today's month: 截至今日)."""
    today = today or timezone.localdate()
    if month.year < 2000:
        raise BriefingError("月份超出范围")
    period, so_far = month_period(month, today)
    before = _previous(period, so_far)
    # This period's whole cockpit; of the period before, only the figures compared.
    now_f, was = cockpit(org, period, today), compared_kept(org, before)
    c = now_f["cases"]
    r = c["rates"]
    s = now_f["services"]
    p = now_f["party"]
    this = "本月" + ("截至今日" if so_far else "")

    cases = Section("一、群众诉求办理")
    received_change = change(r["received"], was["received"], "件")
    cases.sentences.append(
        f"{this}共受理群众诉求 {number(r['received'])} 件，其中已办结 {number(r['closed'])} 件，"
        f"办结率 {percent(r['closing_rate'])}，超期办结 {number(r['closed_late'])} 件"
        + (f"；受理量{received_change}" if received_change else "")
        + "。"
    )
    cases.sentences.append(
        f"按时办结率 {percent(r['on_time_rate'])}，满意率 {percent(r['satisfaction_rate'])}，"
        f"重办率 {percent(r['reopen_rate'])}；目前超期未办结 {number(c['overdue'])} 件，"
        f"临近期限 {number(c['due_soon'])} 件。"
    )
    if c["top_categories"]:
        top = "、".join(f"{name}（{number(n)} 件）" for name, n in c["top_categories"][:5])
        cases.sentences.append(f"群众反映较多的问题依次为：{top}。")
    examples = Section("二、典型案例", _examples(org, period) or ["本月暂无评价为满意的办结案例。"])

    services = Section("三、为民服务")
    activity_change = change(s["activities"], was["activities"], "场次")
    services.sentences.append(
        f"{this}开展活动 {number(s['activities'])} 场次，服务居民 {number(s['attendances'])} 人次"
        + (f"，活动{activity_change}" if activity_change else "")
        + f"；志愿服务时长 {number(s['volunteer_hours'])} 小时"
        f"（{change(s['volunteer_hours'], was['volunteer_hours'], '小时') or '—'}），"
        f"场地预约 {number(s['bookings'])} 次。"
    )
    coverage = s["coverage"]
    services.sentences.append(
        f"辖区现有服务场所 {number(s['sites'])} 处，"
        + (
            f"15分钟生活圈覆盖 {percent(coverage)} 的住户。"
            if coverage is not None
            else "15分钟生活圈覆盖情况尚未测算。"
        )
    )
    party = Section("四、党建引领")
    party.sentences.append(
        f"辖区有党组织 {number(p['party_organisations'])} 个、党员 {number(p['party_members'])} 名，"
        f"到社区报到党员 {number(p['in_service_reported'])} 名；设岗 {number(p['post_slots'])} 个，"
        f"已认岗 {number(p['posts_filled'])} 个，党员联户覆盖率 {percent(p['link_coverage'])}。"
    )
    g = now_f["cogov"]
    cogov = Section("五、共建共治")
    cogov.sentences.append(
        f"辖区共建单位 {number(g['units'])} 家，提供可对接资源 {number(g['resources'])} 项；"
        f"需求清单中待满足需求 {number(g['needs_open'])} 条，已满足 {number(g['needs_met'])} 条。"
    )
    stages = "、".join(f"{label} {number(n)} 个" for _code, label, n in g["stages"] if n)
    cogov.sentences.append(
        f"为民服务与治理项目进行中 {number(g['projects_live'])} 个，已完成 {number(g['projects_done'])} 个"
        + (f"（{stages}）" if stages else "")
        + f"；{this}共治基金收入 {number(g['fund_in'])} 元，项目支出 {number(g['fund_out'])} 元"
        + (
            f"，基金余额 {number(g['fund_balance'])} 元。"
            if g["fund_balance"] is not None
            else "。"
        )
    )
    if g["alliances"] or g["paired_departments"] or g["linked_cadres"]:
        cogov.sentences.append(
            f"组建党建联盟 {number(g['alliances'])} 个，在期成员单位 {number(g['alliance_units'])} 家；"
            f"机关部门结对 {number(g['paired_departments'])} 个，"
            f"区、街两级机关干部 {number(g['linked_cadres'])} 名联系社区、挂钩网格，"
            f"{this}开展“三结三问”走访 {number(g['cadre_visits'])} 次，"
            f"累计推动解决民生实事 {number(g['cadre_deeds'])} 件。"
        )
    if g["unit_volunteers"]:
        cogov.sentences.append(
            "推动共建单位党员协同各类资源下沉，"
            f"累计 {number(g['unit_volunteers'])} 人次参与志愿服务。"
        )
    d = now_f["deliberation"]
    if d["topics_raised"] or d["meetings"] or d["resolutions"]:
        cogov.sentences.append(
            f"{this}居民提出议题 {number(d['topics_raised'])} 个，答复 {number(d['topics_answered'])} 个；"
            f"召开议事会议 {number(d['meetings'])} 次、{number(d['attendance'])} 人次参会，"
            f"形成决议 {number(d['resolutions'])} 项，落实 {number(d['resolutions_acted'])} 项。"
        )
    if d["residents_received"]:
        cogov.sentences.append(
            f"{this}“两代表一委员”{number(d['deputies_received'])} 名下沉社区工作室接待居民来访，"
            f"接待群众 {number(d['residents_received'])} 人次，反映问题 {number(d['issues_raised'])} 个，"
            f"解决 {number(d['issues_resolved'])} 个。"
        )
    if d["knock_visits"] or d["survey_responses"]:
        said = []
        if d["knock_visits"]:
            said.append(f"开展敲门行动走访问需 {number(d['knock_visits'])} 户次")
        if d["survey_responses"]:
            said.append(f"问卷调查收到答卷 {number(d['survey_responses'])} 份")
        cogov.sentences.append(
            f"{this}{'、'.join(said)}，广泛征集意见建议 {number(d['survey_suggestions'])} 条。"
        )
    base = Section("六、基本情况")
    base.sentences.append(
        f"辖区实有人口 {number(now_f['population']['residents'])} 人，"
        f"楼栋 {number(now_f['housing']['buildings'])} 栋，"
        f"住户 {number(now_f['housing']['households'])} 户，"
        f"其中出租 {number(now_f['housing']['rented'])} 户。"
    )

    children = list(org.children.filter(kind__in=ADMIN_KINDS).defer("outline").order_by("name"))
    each = rates_kept(children, period)  # one GROUP BY for them all
    child_rates = [(child, each[child.pk]) for child in children]
    tables = []
    if child_rates:
        tables.append(
            Table(
                "下级办理情况",
                ["名称", "受理", "办结", "办结率", "按时办结率", "满意率"],
                [
                    [child.name, number(cr["received"]), number(cr["closed"])]
                    + [
                        percent(cr[k])
                        for k in ("closing_rate", "on_time_rate", "satisfaction_rate")
                    ]
                    for child, cr in child_rates
                ],
            )
        )
    return Briefing(
        title=f"{org.name}{period.start.year}年{period.start.month}月工作简报",
        org_name=org.name,
        period=period,
        so_far=so_far,
        sections=[cases, examples, services, party, cogov, base, _notes()],
        tables=tables,
        charts=_charts(c, child_rates),
        figures=now_f,
    )


def draw(chart: Chart, width: int = 960, height: int = 360) -> bytes:
    """The chart as a PNG: axes, then bars grouped by label or one line per series.

    Drawn on a palette image (white, the axis grey, the grid grey, then COLOURS): the
    pen does not blend, so the pixels are those of an RGB drawing, and the PNG encodes
    about five times faster (it is drawn on every briefing page)."""
    image = Image.new("P", (width, height), 0)
    image.putpalette([c for rgb in PALETTE for c in rgb])
    pen = ImageDraw.Draw(image)
    left, top, right, bottom = 40, 20, width - 20, height - 30
    pen.line([(left, top), (left, bottom), (right, bottom)], fill=AXIS, width=2)
    peak = chart.peak
    for step in range(1, 5):  # light grid lines at quarters of the peak
        y = bottom - (bottom - top) * step / 4
        pen.line([(left + 1, y), (right, y)], fill=GRID)
    n = max(len(chart.labels), 1)
    slot = (right - left) / n

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / peak

    for j, (_, values) in enumerate(chart.series):
        colour = FIRST_COLOUR + j % len(COLOURS)  # its index in PALETTE
        if chart.kind == "bar":
            bar = slot * 0.8 / len(chart.series)
            for i, value in enumerate(values):
                if value <= 0:
                    continue
                x = left + slot * i + slot * 0.1 + bar * j
                top_y = min(y_of(value), bottom - 2)
                pen.rectangle([(x, top_y), (x + max(bar - 2, 1), bottom - 1)], fill=colour)
        else:
            points = [(left + slot * (i + 0.5), y_of(v)) for i, v in enumerate(values)]
            if len(points) > 1:
                pen.line(points, fill=colour, width=3)
            for x, y in points:
                pen.ellipse([(x - 3, y - 3), (x + 3, y + 3)], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_docx(briefing: Briefing) -> bytes:
    """The briefing as a Word document laid out like a 公文 (core/officedoc.py): title,
    period, sections, the children's table, charts."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = officedoc.new_document()
    document.add_heading(briefing.title, level=0)
    period = document.add_paragraph(f"统计时段：{briefing.period_text}")
    period.alignment = WD_ALIGN_PARAGRAPH.CENTER
    officedoc.set_fonts(period.runs[0], officedoc.SUBHEADING_FONT, officedoc.SIZE_3)
    for section in briefing.sections:
        document.add_heading(section.heading, level=1)
        for sentence in section.sentences:
            officedoc.body_paragraph(document, sentence)
    for table in briefing.tables:
        document.add_heading(table.title, level=1)
        grid = document.add_table(rows=1, cols=len(table.header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
            _cell(cell, text, bold=True)
        for row in table.rows:
            for cell, text in zip(grid.add_row().cells, row, strict=True):
                _cell(cell, text)
    if briefing.charts:
        document.add_heading("附图", level=1)
    for i, chart in enumerate(briefing.charts, 1):
        document.add_picture(io.BytesIO(draw(chart)), width=Mm(150))
        caption = document.add_paragraph(f"图{i} {chart.caption}")
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return officedoc.to_bytes(document)


def _cell(cell: Any, text: str, bold: bool = False) -> None:
    """A table cell in 小四仿宋 on single spacing: a 三号 28-point line would not fit."""
    from docx.enum.text import WD_LINE_SPACING

    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    run = paragraph.add_run(text)
    run.bold = bold
    officedoc.set_fonts(run, officedoc.BODY_FONT, officedoc.SIZE_SMALL_4)
