"""楼栋清单 rows: one building per row, in a grid named by the row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building, BuildingUse, Compound

from . import columns as C
from . import rows
from .rows import Outcome, RowHandler, by_name, search_text


@dataclass(slots=True)
class BuildingRow:
    row: int
    name: str
    grid_id: int
    community_id: int | None
    compound: str
    address: str
    floors: int | None
    use: str


class BuildingRows(RowHandler):
    """楼栋清单: one building per row, in a grid named by the row."""

    header = {c.key: c.header for c in C.BUILDING_COLUMNS}

    def __init__(self, actor: Any, columns: dict[str, int], job_id: int | None = None) -> None:
        super().__init__(actor, columns, job_id)
        self.grids = by_name(
            Organisation.objects.visible_to(actor)
            .filter(kind=Kind.GRID)
            .values_list("id", "name", "parent_id")
        )
        self.seen: dict[tuple[int, str], int] = {}

    def prepare(self, number: int, values: tuple[Any, ...]) -> BuildingRow | list[dict[str, Any]]:
        h = self.header
        errors: list[dict[str, Any]] = []

        def bad(key: str, message: str) -> None:
            errors.append(rows.error(number, h[key], message))

        name = self.text(values, "name")
        if not name:
            bad("name", "请填写楼栋名称")
        elif len(name) > 100:
            bad("name", "楼栋名称不能超过100个字")

        grid_id, community_id = 0, None
        text = self.text(values, "grid")
        if not text:
            bad("grid", "请填写所属网格")
        else:
            found = self.grids.get(text, [])
            if not found:
                bad("grid", f"网格“{text}”不存在或不在您负责的范围内")
            elif len(found) > 1:
                bad(
                    "grid",
                    f"您负责的范围内有{len(found)}个名为“{text}”的网格，请联系管理员修改重名网格",
                )
            else:
                grid_id, community_id = found[0]

        compound = self.text(values, "compound")
        if len(compound) > 100:
            bad("compound", "小区名称不能超过100个字")
        address = self.text(values, "address")
        if len(address) > 200:
            bad("address", "地址不能超过200个字")

        floors: int | None = None
        text = self.text(values, "floors")
        if text:
            if text.isdigit() and 1 <= int(text) <= 200:
                floors = int(text)
            else:
                bad("floors", f"层数“{text}”不对，应为1到200之间的整数")

        use = BuildingUse.RESIDENTIAL.value
        text = self.text(values, "use")
        if text:
            use = C.parse_choice(text, C.BUILDING_USES) or ""
            if not use:
                bad("use", f"未知的用途“{text}”，应为{C.labels(BuildingUse.choices)}之一")

        if errors:
            return errors
        first = self.seen.setdefault((grid_id, name), number)
        if first != number:
            return [rows.error(number, h["name"], f"与第{first}行重复：同一网格内楼栋重名")]
        return BuildingRow(number, name, grid_id, community_id, compound, address, floors, use)

    def write(self, items: list[BuildingRow]) -> Outcome:
        outcome = Outcome()
        if not items:
            return outcome
        present = set(
            Building.objects.filter(
                grid_id__in={i.grid_id for i in items}, name__in={i.name for i in items}
            ).values_list("grid_id", "name")
        )
        fresh = [i for i in items if (i.grid_id, i.name) not in present]
        outcome.skipped = len(items) - len(fresh)
        compounds = self._compounds(fresh)
        buildings = []
        for item in fresh:
            rows.on_row(item.row)
            buildings.append(
                Building(
                    name=item.name,
                    grid_id=item.grid_id,
                    compound_id=compounds.get((item.community_id, item.compound)),
                    address=item.address,
                    floors=item.floors,
                    use=item.use,
                    search_text=search_text(item.name),
                )
            )
        Building.objects.bulk_create(buildings)
        outcome.imported = len(buildings)
        return outcome

    def _compounds(self, items: list[BuildingRow]) -> dict[tuple[int | None, str], int]:
        """The compounds the rows name, created in the grid's community when missing."""
        wanted = {(i.community_id, i.compound) for i in items if i.compound and i.community_id}
        if not wanted:
            return {}

        def lookup() -> dict[tuple[int | None, str], int]:
            found: dict[tuple[int | None, str], int] = {}
            rows = Compound.objects.filter(
                community_id__in={c for c, _ in wanted}, name__in={n for _, n in wanted}
            ).order_by("-id")
            for pk, community_id, name in rows.values_list("id", "community_id", "name"):
                found[(community_id, name)] = pk  # the oldest wins if names repeat
            return found

        found = lookup()
        missing = wanted - found.keys()
        if missing:
            Compound.objects.bulk_create(
                [
                    Compound(name=n, community_id=c, search_text=search_text(n))
                    for c, n in sorted(missing, key=lambda k: (k[0] or 0, k[1]))
                ]
            )
            found = lookup()
        return found
