"""Made-up ledgers for tests and benchmarks: valid ID-card numbers, names, files.

Nothing here is real personal data: every number is generated from a sequence number.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from doorstep.core.idcard import check_digit

from .columns import RESIDENT_COLUMNS

RESIDENT_HEADERS = [c.header for c in RESIDENT_COLUMNS]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌浩宇欣怡晨阳"
_BASE_DAY = dt.date(1940, 1, 1)


def id_card(seq: int, region: str = "110108") -> str:
    """A valid, unique 18-digit number for each seq below 20 million."""
    born = _BASE_DAY + dt.timedelta(days=seq // 1000)
    first17 = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_digit(first17)


def with_wrong_check_digit(number: str) -> str:
    right = number[17]
    wrong = "0" if right != "0" else "1"
    return number[:17] + wrong


def impossible_date_id(seq: int) -> str:
    """A number whose check digit is right but whose birth date (30 February) is not."""
    first17 = f"11010819900230{seq % 1000:03d}"
    return first17 + check_digit(first17)


def name(seq: int) -> str:
    s = _SURNAMES[seq % len(_SURNAMES)]
    g1 = _GIVEN[(seq // len(_SURNAMES)) % len(_GIVEN)]
    g2 = _GIVEN[(seq // (len(_SURNAMES) * len(_GIVEN))) % len(_GIVEN)]
    return s + g1 + (g2 if (seq // 7) % 3 else "")


def resident_row(seq: int, building: str, *, per_household: int = 4) -> list[Any]:
    """One valid ledger row in template column order; `per_household` people per room."""
    home = seq // per_household
    return [
        name(seq),
        id_card(seq),
        f"137{seq:08d}",
        ("户籍", "流动", "租住")[seq % 3],
        "户主" if seq % per_household == 0 else ("配偶", "子女", "父母", "其他")[seq % 4],
        building,
        f"{home % 6 + 1}单元",
        f"{home // 6 // 4 + 1}{home // 6 % 4 + 1:02d}",
        "独居老人" if seq % 50 == 0 else "",
        "",
    ]


def write_xlsx(
    path: Path | str, rows: Iterable[Sequence[Any]], headers: Sequence[str] = RESIDENT_HEADERS
) -> Path:
    """Write rows under a header row, streaming (openpyxl write-only)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民台账")
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return Path(path)


def write_csv(
    path: Path | str,
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str] = RESIDENT_HEADERS,
    encoding: str = "utf-8-sig",
) -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(list(headers))
        writer.writerows(rows)
    return Path(path)
