"""The columns of each ledger (台账) and the values they accept.

One list per ledger feeds the downloadable template, the importer's header check and the
exporter, so a file exported here can be imported again unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from doorstep.atlas.people.models import VULNERABLE_TAGS, ImportKind, Relation, ResidenceType
from doorstep.atlas.places.models import AreaSource, BuildingUse


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool  # the column must be present in the file (values may still be optional)
    note: str
    width: int = 14
    text: bool = False  # formatted as text in the template (long numbers, room numbers)
    aliases: tuple[str, ...] = ()


RESIDENT_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, "必填，最多64个字。", 10),
    Column(
        "id_card",
        "身份证号",
        True,
        "18位居民身份证号，最后一位可以是X；请保持文本格式（Excel 会把长数字改坏）。"
        "同一身份证号只能登记一次：已在同一户登记的行会跳过，登记在其他住址的行报错。"
        "可留空，留空时同一户同名的居民视为已登记。",
        21,
        text=True,
        aliases=("身份证号码", "公民身份号码", "证件号码"),
    ),
    Column(
        "phone",
        "联系电话",
        False,
        "手机号11位（以1开头）；座机请写区号，如 010-12345678。可留空。",
        15,
        text=True,
        aliases=("电话", "手机号", "手机号码", "联系方式"),
    ),
    Column(
        "residence_type",
        "人口类型",
        True,
        "必填，填写其一：" + "、".join(str(label) for _, label in ResidenceType.choices) + "。",
        10,
    ),
    Column(
        "relation",
        "与户主关系",
        False,
        "填写其一：" + "、".join(str(label) for _, label in Relation.choices) + "；留空为其他。",
        10,
    ),
    Column(
        "building",
        "楼栋",
        True,
        "必填，填写您负责范围内已登记的楼栋名称（见“楼栋清单”表）。",
        16,
        aliases=("楼栋名称", "楼号"),
    ),
    Column("unit", "单元", True, "必填，如 1单元；没有的会自动新建。", 8, text=True),
    Column(
        "room",
        "室号",
        True,
        "必填，如 101；该户不存在时自动新建。",
        8,
        text=True,
        aliases=("门牌号", "房号", "门牌/室号"),
    ),
    Column(
        "tags",
        "重点人群",
        False,
        "可留空；可填多个，用顿号、逗号或空格分开："
        + "、".join(label for _, label in VULNERABLE_TAGS)
        + "。",
        16,
        aliases=("重点人群标签",),
    ),
    Column("note", "备注", False, "可留空，最多200个字。", 20),
    # The housing register (房屋登记) of the row's household, for owners' votes (register.py).
    Column(
        "area",
        "专有部分面积（㎡）",
        False,
        "可留空；该户房屋的专有部分建筑面积，单位平方米，最多两位小数，如 89.52。"
        "同一户各行填写的面积须一致，只填其中一行也可以；导入后取代原登记的面积。",
        12,
        aliases=("专有部分面积", "专有部分面积(㎡)", "建筑面积", "建筑面积（㎡）", "房屋面积"),
    ),
    Column(
        "area_source",
        "面积依据",
        False,
        "填写其一："
        + "、".join(str(label) for _, label in AreaSource.choices)
        + "；填了面积而此列留空时为不动产登记。",
        10,
    ),
    Column(
        "holding",
        "产权身份",
        False,
        "可留空；该居民是这户房屋的业主（产权人，共有的每位产权人各填“业主”）"
        "或业主书面委托的委托代理人（每户最多一位，可代业主表决）；租户和其他居民留空。",
        10,
        aliases=("是否产权人", "业主/代理人"),
    ),
)

BUILDING_COLUMNS: tuple[Column, ...] = (
    Column(
        "name", "楼栋名称", True, "必填，最多100个字；同一网格内不能重名。", 16, aliases=("楼栋",)
    ),
    Column(
        "grid",
        "所属网格",
        True,
        "必填，填写您负责范围内的网格名称（见“网格清单”表）。",
        18,
        aliases=("网格",),
    ),
    Column("compound", "小区", False, "可留空；填写的小区在所属社区中不存在时自动新建。", 14),
    Column("address", "地址", False, "可留空，最多200个字。", 28),
    Column("floors", "层数", False, "可留空；1到200之间的整数。", 6),
    Column(
        "use",
        "用途",
        False,
        "填写其一：" + "、".join(str(label) for _, label in BuildingUse.choices) + "；留空为住宅。",
        8,
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.RESIDENTS: RESIDENT_COLUMNS,
    ImportKind.BUILDINGS: BUILDING_COLUMNS,
}
SHEET_TITLES: dict[str, str] = {ImportKind.RESIDENTS: "居民台账", ImportKind.BUILDINGS: "楼栋清单"}

_HEADER_NOISE = re.compile(r"[\s\u3000*＊]|[（(]必填[)）]")


def normalise_header(value: object) -> str:
    """'身份证号*', ' 身份证号（必填）' -> '身份证号'."""
    return _HEADER_NOISE.sub("", str(value or ""))


def lookup_of(columns: Sequence[Column]) -> dict[str, str]:
    """Header text (and its aliases) -> column key."""
    out: dict[str, str] = {}
    for col in columns:
        for name in (col.header, *col.aliases):
            out[normalise_header(name)] = col.key
    return out


def _choice_map(choices: Sequence[tuple[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, label in choices:
        out[str(label)] = code
        out[code.lower()] = code
    return out


RESIDENCE_TYPES = _choice_map(ResidenceType.choices)
RELATIONS = _choice_map(Relation.choices)
BUILDING_USES = _choice_map(BuildingUse.choices)
TAGS = _choice_map(VULNERABLE_TAGS)
TAG_LABELS_TEXT = "、".join(label for _, label in VULNERABLE_TAGS)
TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def parse_choice(value: str, choices: dict[str, str]) -> str | None:
    """A label (户籍) or a code (registered) -> the code; None when unknown."""
    return choices.get(value) or choices.get(value.lower())


def labels(choices: Sequence[tuple[str, Any]]) -> str:
    return "、".join(str(label) for _, label in choices)
