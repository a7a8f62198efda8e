"""The category catalogue (诉求分类): the government catalogue plus the community's own.

**Government catalogue.** `load_catalogue()` reads the three-level catalogue of citizens'
messages to government in `SHARED_DIR/data/catalogue/complaint-categories.csv` (columns
`level1,level2,level3`; 15 › 118 › 517 categories, e.g. 城乡建设 › 住房保障与房地产 ›
物业服务). Source: the public data of the 2020 TipDM Cup (泰迪杯) "智慧政务" text-mining
task, attachment 1 — a list of category names (see `data/NOTICE.md`).

Codes are the Open311 `service_code`s. They follow the sorted order of the names:
first level `G01`…`G15`, second `G0101`…, third `G010101`…, so the same file gives the
same codes on every run and every installation. Loading is idempotent: a node whose code
exists keeps everything an administrator set (urgency, limits, default handler, active);
only its name, parent and full name are brought back in line with the file.

**Community categories** (`source=community`, codes `S01`…) are the community's own
(物业报修, 矛盾调解, 施工管理, 环境卫生, 为老服务, 安全隐患, 微心愿). They are created
when missing and never overwritten.

**Default limits** follow common practice (12345 and grid systems): urgent (紧急) 24
hours with sign-for within 2 hours; pressing (较急) 3 working days; ordinary (一般) 7
working days; sign-for within 1 working day. Safety and accident categories are urgent and
escalate by themselves when overdue.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from doorstep.core.search import search_text_for

from .models import CaseKind, Category, CategorySource, LimitUnit, Urgency

CATALOGUE_FILE = "data/catalogue/complaint-categories.csv"
SEPARATOR = " › "
CATALOGUE_PREFIX = "G"
COMMUNITY_PREFIX = "S"

# (urgency, resolve limit, unit, sign limit, sign unit, escalate when overdue)
Defaults = tuple[str, int, str, int, str, bool]
URGENT: Defaults = (Urgency.URGENT, 24, LimitUnit.HOURS, 2, LimitUnit.HOURS, True)
URGENT_NO_ESCALATE: Defaults = (Urgency.URGENT, 24, LimitUnit.HOURS, 2, LimitUnit.HOURS, False)
PRESSING: Defaults = (Urgency.PRESSING, 3, LimitUnit.WORKDAYS, 1, LimitUnit.WORKDAYS, False)
ORDINARY: Defaults = (Urgency.ORDINARY, 7, LimitUnit.WORKDAYS, 1, LimitUnit.WORKDAYS, False)
WISH: Defaults = (Urgency.ORDINARY, 15, LimitUnit.WORKDAYS, 3, LimitUnit.WORKDAYS, False)

# Catalogue leaves (by their own name) that are not ordinary.
URGENT_LEAVES = frozenset(
    {
        "安全隐患", "事故处理", "施工安全", "消防安全", "交通事故", "突发公共卫生事件处理",
        "燃气供应", "森林防火", "防汛抗旱", "危险化学品污染", "放射性污染", "校园安全",
    }
)  # fmt: skip
URGENT_QUIET_LEAVES = frozenset({"电力供应", "自来水供应", "冬季采暖", "疫情防控"})
PRESSING_LEAVES = frozenset(
    {
        "物业服务", "环境卫生", "园林绿化环卫", "城市公共设施", "基础设施", "小区管理",
        "城管执法", "居民服务设施", "违章建筑", "噪音污染", "大气污染", "水污染",
        "固体污染", "食品安全", "工资发放", "农民工权益", "拖欠工程款", "治安案件",
        "劳动安全", "特种设备管理", "运输安全", "修缮装修", "安全生产管理", "医疗事故争议",
        "生活无着人员救助", "特困人员供养",
    }
)  # fmt: skip


def defaults_for_leaf(name: str) -> Defaults:
    """Urgency and limits a new catalogue leaf starts with (administrators may change them)."""
    if name in URGENT_LEAVES:
        return URGENT
    if name in URGENT_QUIET_LEAVES:
        return URGENT_NO_ESCALATE
    if name in PRESSING_LEAVES:
        return PRESSING
    return ORDINARY


# The community's own categories: (group, kind, [(leaf, defaults, description)]).
COMMUNITY_TREE: tuple[tuple[str, str, tuple[tuple[str, Defaults, str], ...]], ...] = (
    (
        "物业报修",
        CaseKind.REQUEST,
        (
            ("水电维修", PRESSING, "户内外水管、电路、公共照明故障"),
            ("楼道照明", ORDINARY, "楼道灯、声控灯不亮"),
            ("电梯故障", URGENT_NO_ESCALATE, "电梯停运、困人以外的故障（困人请拨119）"),
            ("管道疏通", PRESSING, "下水管道堵塞、返水"),
            ("门禁与公共设施", ORDINARY, "单元门禁、信报箱、健身器材等损坏"),
            ("其他报修", ORDINARY, ""),
        ),
    ),
    (
        "矛盾调解",
        CaseKind.REQUEST,
        (
            ("邻里纠纷", ORDINARY, "漏水、噪音、占用公共空间等邻里矛盾"),
            ("家庭矛盾", ORDINARY, "家庭、婚姻、赡养纠纷"),
            ("物业纠纷", ORDINARY, "业主与物业之间的收费、服务纠纷"),
            ("租赁纠纷", ORDINARY, "房东与租户之间的纠纷"),
        ),
    ),
    (
        "施工管理",
        CaseKind.REQUEST,
        (
            ("装修扰民", PRESSING, "超时施工、噪音扰民"),
            ("违规施工", PRESSING, "私搭乱建、破坏承重结构"),
            ("施工安全隐患", URGENT, "脚手架、围挡、吊装等安全隐患"),
            ("渣土清运", ORDINARY, "装修垃圾、渣土未及时清运"),
        ),
    ),
    (
        "环境卫生",
        CaseKind.REQUEST,
        (
            ("垃圾清运", PRESSING, "垃圾桶满溢、垃圾未分类或未及时清运"),
            ("楼道堆物", PRESSING, "楼道、消防通道堆放杂物"),
            ("绿化养护", ORDINARY, "树木修剪、绿地损毁"),
            ("乱停乱放", ORDINARY, "机动车、非机动车乱停乱放"),
            ("宠物管理", ORDINARY, "犬只扰民、粪便未清理"),
        ),
    ),
    (
        "为老服务",
        CaseKind.REQUEST,
        (
            ("助餐助浴", ORDINARY, "老年餐桌、助浴上门"),
            ("独居老人探访", PRESSING, "独居、空巢老人上门探访"),
            ("适老化改造", ORDINARY, "扶手、防滑等居家适老化改造"),
        ),
    ),
    (
        "安全隐患",
        CaseKind.REQUEST,
        (
            ("消防通道堵塞", URGENT, "消防通道被占用、堵塞"),
            ("飞线充电", URGENT, "电动自行车飞线充电、入户充电"),
            ("高空坠物隐患", URGENT, "外墙脱落、空调外机松动等"),
        ),
    ),
    (
        "微心愿",
        CaseKind.MICRO_WISH,
        (
            ("助学心愿", WISH, "学习用品、课业辅导"),
            ("助老心愿", WISH, "生活用品、陪伴就医"),
            ("助困心愿", WISH, "困难家庭的生活所需"),
            ("其他心愿", WISH, ""),
        ),
    ),
)


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[int, int] = field(default_factory=dict)  # nodes in the source, per level

    def __str__(self) -> str:
        return f"新增 {self.created} 个，更新 {self.updated} 个，未变 {self.unchanged} 个"


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    level: int
    parent_code: str | None
    full_name: str
    defaults: Defaults = ORDINARY
    kind: str = CaseKind.REQUEST
    description: str = ""


def catalogue_path() -> Path:
    return Path(settings.SHARED_DIR) / CATALOGUE_FILE


def read_catalogue(path: Path | None = None) -> list[tuple[str, str, str]]:
    """The (level1, level2, level3) rows of the catalogue file, stripped, without repeats."""
    path = path or catalogue_path()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"level1", "level2", "level3"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"分类目录缺少列：{'、'.join(sorted(missing))}")
        rows = []
        for row in reader:
            names = tuple((row.get(k) or "").strip() for k in ("level1", "level2", "level3"))
            if all(names):
                rows.append(names)
    return sorted(set(rows))  # type: ignore[arg-type]


def catalogue_nodes(rows: Iterable[tuple[str, str, str]]) -> list[Node]:
    """The tree as nodes with codes by sorted order (parents before children)."""
    tree: dict[str, dict[str, set[str]]] = {}
    for a, b, c in rows:
        tree.setdefault(a, {}).setdefault(b, set()).add(c)
    nodes: list[Node] = []
    for i, a in enumerate(sorted(tree), 1):
        code_a = f"{CATALOGUE_PREFIX}{i:02d}"
        nodes.append(Node(code_a, a, 1, None, a))
        for j, b in enumerate(sorted(tree[a]), 1):
            code_b = f"{code_a}{j:02d}"
            nodes.append(Node(code_b, b, 2, code_a, f"{a}{SEPARATOR}{b}"))
            for k, c in enumerate(sorted(tree[a][b]), 1):
                full = f"{a}{SEPARATOR}{b}{SEPARATOR}{c}"
                nodes.append(Node(f"{code_b}{k:02d}", c, 3, code_b, full, defaults_for_leaf(c)))
    return nodes


def community_nodes() -> list[Node]:
    nodes: list[Node] = []
    for i, (group, kind, leaves) in enumerate(COMMUNITY_TREE, 1):
        code = f"{COMMUNITY_PREFIX}{i:02d}"
        nodes.append(Node(code, group, 1, None, group, ORDINARY, kind))
        for j, (leaf, defaults, description) in enumerate(leaves, 1):
            nodes.append(
                Node(
                    f"{code}{j:02d}",
                    leaf,
                    2,
                    code,
                    f"{group}{SEPARATOR}{leaf}",
                    defaults,
                    kind,
                    description,
                )
            )
    return nodes


def _new(node: Node, parent: Category | None, source: str) -> Category:
    urgency, limit, unit, sign, sign_unit, escalate = node.defaults
    return Category(
        code=node.code,
        name=node.name,
        parent=parent,
        level=node.level,
        full_name=node.full_name,
        search_text=search_text_for(node.full_name),
        source=source,
        kind=node.kind,
        urgency=urgency,
        resolve_limit=limit,
        resolve_unit=unit,
        sign_limit=sign,
        sign_unit=sign_unit,
        escalate_when_overdue=escalate,
        description=node.description,
    )


def _load(nodes: list[Node], source: str, *, overwrite_names: bool) -> LoadResult:
    result = LoadResult()
    for n in nodes:
        result.by_level[n.level] = result.by_level.get(n.level, 0) + 1
    existing: dict[str, Category] = {
        c.code: c for c in Category.objects.filter(code__in=[n.code for n in nodes])
    }
    with transaction.atomic():
        for level in (1, 2, 3):
            fresh = []
            for n in (x for x in nodes if x.level == level):
                parent = existing[n.parent_code] if n.parent_code else None
                found = existing.get(n.code)
                if found is None:
                    fresh.append(_new(n, parent, source))
                    continue
                wanted: dict[str, Any] = {"level": n.level}
                if overwrite_names:
                    wanted.update(
                        name=n.name,
                        full_name=n.full_name,
                        search_text=search_text_for(n.full_name),
                        parent_id=parent.pk if parent else None,
                        source=source,
                    )
                changed = [k for k, v in wanted.items() if getattr(found, k) != v]
                if changed:
                    for k in changed:
                        setattr(found, k, wanted[k])
                    found.save(update_fields=[k.removesuffix("_id") for k in changed])
                    result.updated += 1
                else:
                    result.unchanged += 1
            if fresh:
                for c in Category.objects.bulk_create(fresh):
                    existing[c.code] = c
                result.created += len(fresh)
    return result


def load_catalogue(path: Path | None = None) -> LoadResult:
    """Load (or bring up to date) the government catalogue. Idempotent."""
    return _load(
        catalogue_nodes(read_catalogue(path)), CategorySource.CATALOGUE, overwrite_names=True
    )


def load_community_categories() -> LoadResult:
    """Create the community's own categories that are missing. Never overwrites."""
    return _load(community_nodes(), CategorySource.COMMUNITY, overwrite_names=False)


def load_categories(path: Path | None = None) -> tuple[LoadResult, LoadResult]:
    """Both: the catalogue, then the community's categories."""
    with transaction.atomic():
        return load_catalogue(path), load_community_categories()
