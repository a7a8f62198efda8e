"""A small, realistic 12345 export (.xlsx or .csv) for tests, the demo and trying the import.

`sample_rows(n, start=...)` gives rows as the hotline exports them; `write_xlsx` and
`write_csv` write them with the column names the importer expects (hotline.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from .calendar import TZ
from .hotline import OPTIONAL, REQUIRED

COLUMNS = REQUIRED + OPTIONAL

# (诉求类型, 问题分类 as a full path or a unique leaf name, 诉求内容, 紧急程度)
ORDERS: tuple[tuple[str, str, str, str], ...] = (
    (
        "投诉",
        "城乡建设 › 住房保障与房地产 › 物业服务",
        "小区物业长期不清理楼道垃圾，多次反映无人处理",
        "一般",
    ),
    ("投诉", "环境保护 › 环境污染 › 噪音污染", "楼下餐馆排风机夜间噪音很大，影响休息", "较急"),
    (
        "求助",
        "城乡建设 › 城市建设和市政管理 › 自来水供应",
        "整栋楼停水一天了，没有任何通知",
        "紧急",
    ),
    ("投诉", "城乡建设 › 城乡规划 › 违章建筑", "一楼住户在绿地上私搭棚子，占用公共空间", "一般"),
    (
        "求助",
        "城乡建设 › 城市建设和市政管理 › 城市公共设施",
        "小区门口路灯坏了一周，晚上很黑",
        "一般",
    ),
    (
        "举报",
        "城乡建设 › 安全生产 › 安全隐患",
        "地下室有人堆放大量纸箱和电动车电池，存在火灾隐患",
        "紧急",
    ),
    (
        "建议",
        "城乡建设 › 城市建设和市政管理 › 居民服务设施",
        "建议在小区增设电动自行车集中充电桩",
        "一般",
    ),
    (
        "投诉",
        "城乡建设 › 城市建设和市政管理 › 环境卫生",
        "路边垃圾桶满溢无人清运，气味很大",
        "较急",
    ),
    (
        "咨询",
        "劳动和社会保障 › 城镇居民社会保险 › 城乡居民养老保险",
        "咨询城乡居民养老保险的缴费档次和办理地点",
        "一般",
    ),
    ("投诉", "商贸旅游 › 市场监管 › 商品质量", "小区底商超市出售过期食品", "较急"),
    ("求助", "城乡建设 › 城市建设和市政管理 › 冬季采暖", "家中暖气不热，室温只有十五度", "较急"),
    ("投诉", "城乡建设 › 城市建设和市政管理 › 城管执法", "早市摊贩占道经营，堵塞道路", "一般"),
)
ADDRESSES = ("学院路街道", "清华东路", "学院路", "二里庄", "静淑苑", "学知园")
NAMES = ("张先生", "王女士", "李女士", "刘先生", "陈女士", "杨先生", "赵女士", "黄先生")


def sample_rows(
    n: int = 6,
    *,
    start: dt.datetime | None = None,
    seed: int = 12345,
    addresses: Sequence[str] = ADDRESSES,
    prefix: str = "BJ12345",
) -> list[dict[str, Any]]:
    """`n` orders, one every few hours from `start` (default: three days ago, 09:00)."""
    rng = random.Random(seed)
    if start is None:
        today = dt.datetime.now(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
        start = today - dt.timedelta(days=3)
    rows = []
    called = start
    for i in range(n):
        kind, category, text, urgency = ORDERS[i % len(ORDERS)]
        called = called + dt.timedelta(minutes=rng.randint(20, 240))
        rows.append(
            {
                "工单编号": f"{prefix}{called:%Y%m%d}{i + 1:04d}",
                "诉求类型": kind,
                "问题分类": category,
                "诉求内容": text,
                "地址": f"北京市海淀区{rng.choice(addresses)}",
                "来电时间": called.replace(tzinfo=None, second=0, microsecond=0),
                "办结时限": {"紧急": "24小时", "较急": 3, "一般": 7}[urgency],
                "来电人": rng.choice(NAMES),
                "联系电话": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                "紧急程度": urgency,
            }
        )
    return rows


def write_xlsx(target: str | Path | IO[bytes], rows: Sequence[dict[str, Any]]) -> None:
    """Write rows as a real .xlsx (header row, then one row per order)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "12345工单"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row.get(c) for c in COLUMNS])
    for col in ("A", "C", "D", "E", "F"):
        sheet.column_dimensions[col].width = 24
    book.save(target)


def write_csv(rows: Sequence[dict[str, Any]], encoding: str = "utf-8-sig") -> bytes:
    """The rows as CSV bytes (utf-8-sig as Excel likes it, or gbk as older exports are)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        values = []
        for c in COLUMNS:
            v = row.get(c)
            values.append(v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else v)
        writer.writerow(["" if v is None else v for v in values])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    write_xlsx(buf, rows)
    return buf.getvalue()
