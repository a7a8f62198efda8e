"""The housing register's columns of the resident ledger (房屋登记): a part's floor area,
where the area comes from, and whether the row's resident is an owner or the registered
proxy of the part they live in (for owners' votes, `atlas.people.holdings`).

How a row's register cells are taken:

- The area belongs to the part (户), so every row of one household may repeat it; rows of
  one household that disagree are refused (the later row). A file's area replaces the
  one registered (a ballot already opened keeps its own snapshot).
- 业主 and 委托代理人 register the row's resident in the row's household; one part has
  at most one proxy, and the developer's unsold parts have no owner.
- A row whose register cells cannot be taken is refused whole (its resident is not
  registered either), so a corrected file imported again finishes the job.
- Each batch that changes the register writes one audit entry naming every change.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from doorstep.atlas.people import holdings
from doorstep.atlas.people.models import Holding, HoldingRole
from doorstep.atlas.places.models import AreaSource, Household
from doorstep.core import audit
from doorstep.core.models import AuditAction

from . import rows

MAX_AREA = 10_000_00  # 10,000 m² in 0.01 m²: larger is a typo (a whole building's area)
AREA_UNITS = ("平方米", "平米", "㎡", "m²", "m2", "M2")

HOLDING_WORDS: dict[str, str] = {
    "业主": HoldingRole.OWNER,
    "業主": HoldingRole.OWNER,
    "产权人": HoldingRole.OWNER,
    "產權人": HoldingRole.OWNER,
    "是": HoldingRole.OWNER,
    "owner": HoldingRole.OWNER,
    "委托代理人": HoldingRole.PROXY,
    "委託代理人": HoldingRole.PROXY,
    "代理人": HoldingRole.PROXY,
    "proxy": HoldingRole.PROXY,
    "否": "",
    "租户": "",
    "租戶": "",
}
AREA_SOURCES: dict[str, str] = {str(label): code for code, label in AreaSource.choices} | {
    code: code for code in AreaSource.values
}
_ROLE_LABEL = dict(HoldingRole.choices)


def area_text(area: int | None) -> str:
    """0.01 m² -> '89.52' (as the template asks for it); '' when not registered."""
    if area is None:
        return ""
    return f"{Decimal(area) / 100:.2f}"


def parse_area(value: Any) -> int:
    """A cell -> area in 0.01 m². Raises ValueError with the message for the row."""
    if isinstance(value, bool):
        raise ValueError("面积应为数字，如 89.52")
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    for unit in AREA_UNITS:
        text = text.removesuffix(unicodedata.normalize("NFKC", unit)).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"面积“{str(value)[:20]}”不是数字，请填写平方米数，如 89.52") from None
    if not number.is_finite() or number <= 0:
        raise ValueError("面积应大于0")
    hundredths = number * 100
    if hundredths != hundredths.to_integral_value():
        raise ValueError("面积最多保留两位小数（按不动产登记填写）")
    if hundredths > MAX_AREA:
        raise ValueError("面积超过10000平方米，请核对（应填一户的专有部分面积）")
    return int(hundredths)


@dataclass(slots=True)
class Part:
    """A row's register cells, checked."""

    area: int | None = None
    area_source: str = ""
    holding: str = ""

    @property
    def empty(self) -> bool:
        return self.area is None and not self.holding


class Register:
    """The register half of a resident import: checks cells row by row, checks them
    against the register a batch at a time, and writes what they change."""

    def __init__(self, actor: Any, grid_paths: dict[int, str], headers: dict[str, str]) -> None:
        self.actor = actor
        self.grid_paths = grid_paths
        self.h = headers
        self.areas: dict[tuple[int, str, str], tuple[int, int]] = {}  # home -> (area, row)
        self.proxies: dict[tuple[int, str, str], int] = {}  # home -> row

    # -- one row --------------------------------------------------------------------------

    def cells(self, number: int, get: Any, text: Any) -> tuple[Part, list[dict[str, Any]]]:
        """The row's register cells (`get`/`text` read a cell by column key)."""
        part, errors = Part(), []
        raw = get("area")
        if raw not in (None, ""):
            try:
                part.area = parse_area(raw)
            except ValueError as exc:
                errors.append(rows.error(number, self.h["area"], str(exc)))
        source = text("area_source")
        if source:
            part.area_source = AREA_SOURCES.get(source, "")
            if not part.area_source:
                errors.append(
                    rows.error(
                        number,
                        self.h["area_source"],
                        f"未知的面积依据“{source}”，应为"
                        + "、".join(str(label) for _, label in AreaSource.choices)
                        + "之一",
                    )
                )
            elif raw in (None, ""):
                errors.append(rows.error(number, self.h["area"], "填写了面积依据，请同时填写面积"))
        elif part.area is not None:
            part.area_source = AreaSource.REGISTERED
        word = text("holding")
        if word:
            role = HOLDING_WORDS.get(word, HOLDING_WORDS.get(word.lower()))
            if role is None:
                errors.append(
                    rows.error(
                        number,
                        self.h["holding"],
                        f"未知的产权身份“{word}”，应为业主或委托代理人（租户和其他居民留空）",
                    )
                )
            else:
                part.holding = role
        return part, errors

    def place(
        self, number: int, home: tuple[int, str, str], grid_id: int, part: Part
    ) -> list[dict[str, Any]]:
        """Checks of a row's register cells that need its place and the rows before it."""
        errors = []
        path = self.grid_paths.get(grid_id, "")
        if part.area is not None:
            if not holdings.may(self.actor, "places.change_household", path):
                errors.append(rows.error(number, self.h["area"], "您不能登记该户的面积"))
            else:
                first = self.areas.setdefault(home, (part.area, number))
                if first[0] != part.area:
                    errors.append(
                        rows.error(
                            number,
                            self.h["area"],
                            f"与第{first[1]}行填写的该户面积（{area_text(first[0])}㎡）不一致",
                        )
                    )
        if part.holding:
            if not holdings.may(self.actor, "people.add_holding", path):
                errors.append(
                    rows.error(number, self.h["holding"], "您不能登记该户的业主和委托代理人")
                )
            elif part.holding == HoldingRole.PROXY:
                first_row = self.proxies.setdefault(home, number)
                if first_row != number:
                    errors.append(
                        rows.error(
                            number,
                            self.h["holding"],
                            f"该户在第{first_row}行已填写委托代理人，每户只能登记一位",
                        )
                    )
        return errors

    # -- a batch against the register ------------------------------------------------------

    def conflicts(
        self, items: list[tuple[int, int, int | None, Part]]
    ) -> dict[int, dict[str, Any]]:
        """(row, household, resident or None when new, part) of existing households ->
        the rows the register refuses, with why."""
        items = [i for i in items if i[3].holding]
        if not items:
            return {}
        homes = {h for _, h, _, _ in items}
        developer = set(
            Household.objects.filter(pk__in=homes, developer_held=True).values_list("pk", flat=True)
        )
        held: dict[tuple[int, int], str] = {}
        proxy_of: dict[int, int] = {}
        for home, holder, kind in Holding.objects.filter(household_id__in=homes).values_list(
            "household_id", "resident_id", "role"
        ):
            held[(home, holder)] = kind
            if kind == HoldingRole.PROXY:
                proxy_of[home] = holder
        out: dict[int, dict[str, Any]] = {}
        column = self.h["holding"]
        for row, household_id, resident_id, part in items:
            role = held.get((household_id, resident_id)) if resident_id else None
            if role and role != part.holding:
                out[row] = rows.error(
                    row, column, f"此人已登记为该户的{_ROLE_LABEL[role]}，请核对产权身份"
                )
            elif part.holding == HoldingRole.OWNER and household_id in developer:
                out[row] = rows.error(
                    row, column, "该户登记为建设单位未售或未交付，不能登记个人业主"
                )
            elif (
                part.holding == HoldingRole.PROXY
                and household_id in proxy_of
                and proxy_of[household_id] != resident_id
            ):
                out[row] = rows.error(row, column, "该户已登记另一位委托代理人，每户只能登记一位")
        return out

    def write(self, taken: list[tuple[int, int, int, Part]], job_id: int | None) -> int:
        """Write the parts of rows taken: (row, household, resident, part). Returns how
        many rows changed the register."""
        taken = [t for t in taken if not t[3].empty]
        if not taken:
            return 0
        changed_rows: set[int] = set()
        wanted = {(h, r): (row, p.holding) for row, h, r, p in taken if p.holding}
        held = set(
            Holding.objects.filter(household_id__in={h for h, _ in wanted}).values_list(
                "household_id", "resident_id"
            )
        )
        new = [
            Holding(household_id=h, resident_id=r, role=role)
            for (h, r), (_, role) in sorted(wanted.items())
            if (h, r) not in held
        ]
        Holding.objects.bulk_create(new)
        changed_rows |= {wanted[(n.household_id, n.resident_id)][0] for n in new}

        # The rows of one household agree on its area (place()); the first row's source counts.
        measured: dict[int, tuple[int, str]] = {}
        for _, h, _, p in taken:
            if p.area is not None:
                measured.setdefault(h, (p.area, p.area_source))
        changes, updated = [], []
        for home in Household.objects.filter(pk__in=measured).only("pk", "area", "area_source"):
            area, source = measured[home.pk]
            if (home.area, home.area_source) != (area, source):
                changes.append([home.pk, home.area, area, source])
                home.area, home.area_source = area, source
                updated.append(home)
        Household.objects.bulk_update(updated, ["area", "area_source"])
        remeasured = {home.pk for home in updated}
        changed_rows |= {row for row, h, _, p in taken if p.area is not None and h in remeasured}
        if new or changes:
            audit.record(
                actor=self.actor,
                action=AuditAction.UPDATE,
                target_type="places.household",
                detail={
                    "ledger": "residents",
                    "import_job": job_id,
                    "holdings": [[n.household_id, n.resident_id, n.role] for n in new],
                    "areas": changes,  # [household, old, new, source]
                },
            )
        return len(changed_rows)
