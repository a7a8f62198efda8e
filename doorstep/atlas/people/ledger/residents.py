"""居民台账 rows: one resident per row, placed by building name, unit and room."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people import conflicts, tallies
from doorstep.atlas.people.models import IdentityConflict, Relation, Resident
from doorstep.atlas.places.models import Building, Household, Unit
from doorstep.core import bulk, idcard
from doorstep.core.crypto import lookup_hash

from . import columns as C
from . import rows
from .register import Part, Register
from .rows import BARE_NUMBER, Outcome, RowHandler, by_name, cell_text, search_text


@dataclass(slots=True)
class ResidentRow:
    row: int
    name: str
    id_card: str
    id_hash: str | None
    phone: str
    residence_type: str
    relation: str
    building_id: int
    grid_id: int
    unit: str
    room: str
    tags: list[str]
    note: str
    part: Part


class ResidentRows(RowHandler):
    """居民台账: one resident per row, placed by building name, unit and room."""

    header = {c.key: c.header for c in C.RESIDENT_COLUMNS}

    def __init__(self, actor: Any, columns: dict[str, int], job_id: int | None = None) -> None:
        super().__init__(actor, columns, job_id)
        self.buildings = by_name(
            Building.objects.visible_to(actor).values_list("id", "name", "grid_id")
        )
        grids = {grid_id for found in self.buildings.values() for _, grid_id in found}
        self.register = Register(
            actor,
            dict(Organisation.objects.filter(pk__in=grids).values_list("pk", "path")),
            self.header,
        )
        self.seen_ids: dict[str, int] = {}
        self.seen_unnumbered: dict[tuple[int, str, str, str], int] = {}
        self.forget()

    def forget(self) -> None:
        self.units: dict[tuple[int, str], int] = {}
        self.households: dict[tuple[int, str], tuple[int, int]] = {}
        self.loaded: set[int] = set()

    def prepare(self, number: int, values: tuple[Any, ...]) -> ResidentRow | list[dict[str, Any]]:
        h = self.header
        errors: list[dict[str, Any]] = []

        def bad(key: str, message: str) -> None:
            errors.append(rows.error(number, h[key], message))

        name = self.text(values, "name")
        if not name:
            bad("name", "请填写姓名")
        elif len(name) > 64:
            bad("name", "姓名不能超过64个字")

        number_id, id_hash = "", None
        raw_id = self.get(values, "id_card")
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
            bad(
                "id_card",
                "身份证号被存成了数字（Excel 会改掉后几位），请把该列设为文本格式后重新填写",
            )
        else:
            text = cell_text(raw_id)
            if text:
                try:
                    number_id = idcard.validate(text)
                except idcard.IdCardError as exc:
                    bad("id_card", str(exc))
                else:
                    id_hash = lookup_hash(number_id)

        phone = self.text(values, "phone")
        if phone:
            try:
                phone = idcard.validate_phone(phone)
            except ValueError as exc:
                bad("phone", str(exc))

        residence_type = ""
        text = self.text(values, "residence_type")
        if not text:
            bad("residence_type", "请填写人口类型（户籍、流动、租住之一）")
        else:
            residence_type = C.parse_choice(text, C.RESIDENCE_TYPES) or ""
            if not residence_type:
                bad("residence_type", f"未知的人口类型“{text}”，应为户籍、流动、租住之一")

        relation = Relation.OTHER.value
        text = self.text(values, "relation")
        if text:
            relation = C.parse_choice(text, C.RELATIONS) or ""
            if not relation:
                bad("relation", f"未知的与户主关系“{text}”，应为{C.labels(Relation.choices)}之一")

        building_id = grid_id = 0
        text = self.text(values, "building")
        if not text:
            bad("building", "请填写楼栋")
        else:
            found = self.buildings.get(text, [])
            if not found:
                bad("building", f"楼栋“{text}”不存在或不在您负责的范围内，请先导入楼栋清单")
            elif len(found) > 1:
                bad(
                    "building",
                    f"您负责的范围内有{len(found)}个名为“{text}”的楼栋，请先修改重名楼栋的名称",
                )
            else:
                building_id, grid_id = found[0]

        unit = self.text(values, "unit")
        if BARE_NUMBER.match(unit):
            unit = f"{unit}单元"
        if not unit:
            bad("unit", "请填写单元")
        elif len(unit) > 20:
            bad("unit", "单元不能超过20个字")
        room = self.text(values, "room")
        if not room:
            bad("room", "请填写室号")
        elif len(room) > 20:
            bad("room", "室号不能超过20个字")

        tags: list[str] = []
        text = self.text(values, "tags")
        if text:
            parts = [p for p in C.TAG_SEPARATORS.split(text) if p]
            unknown = [p for p in parts if not C.parse_choice(p, C.TAGS)]
            if unknown:
                bad("tags", f"未知的重点人群“{'、'.join(unknown)}”，可填：{C.TAG_LABELS_TEXT}")
            tags = sorted({C.parse_choice(p, C.TAGS) or "" for p in parts} - {""})

        note = self.text(values, "note")
        if len(note) > 200:
            bad("note", "备注不能超过200个字")

        part, part_errors = self.register.cells(
            number, lambda key: self.get(values, key), lambda key: self.text(values, key)
        )
        errors += part_errors
        if errors:
            return errors
        # Duplicates inside the file: the first occurrence counts, later ones are errors.
        if id_hash:
            first = self.seen_ids.setdefault(id_hash, number)
            if first != number:
                return [rows.error(number, h["id_card"], f"与第{first}行的身份证号重复")]
        else:
            key = (building_id, unit, room, name)
            first = self.seen_unnumbered.setdefault(key, number)
            if first != number:
                return [
                    rows.error(number, h["name"], f"与第{first}行重复：同一户同名且都未填身份证号")
                ]
        if not part.empty:
            placed = self.register.place(number, (building_id, unit, room), grid_id, part)
            if placed:
                return placed
        return ResidentRow(
            number, name, number_id, id_hash, phone, residence_type, relation,
            building_id, grid_id, unit, room, tags, note, part,
        )  # fmt: skip

    def _load(self, building_ids: set[int]) -> None:
        new = building_ids - self.loaded
        if not new:
            return
        for pk, building_id, number in Unit.objects.filter(building_id__in=new).values_list(
            "id", "building_id", "number"
        ):
            self.units[(building_id, number)] = pk
        for pk, unit_id, room, grid_id in Household.objects.filter(
            unit__building_id__in=new
        ).values_list("id", "unit_id", "room", "grid_id"):
            self.households[(unit_id, room)] = (pk, grid_id)
        self.loaded |= new

    def _household_of(self, item: ResidentRow) -> tuple[int, int] | None:
        unit_id = self.units.get((item.building_id, item.unit))
        return self.households.get((unit_id, item.room)) if unit_id else None

    def write(self, items: list[ResidentRow]) -> Outcome:
        outcome = Outcome()
        if not items:
            return outcome
        self._load({i.building_id for i in items})
        hashes = [i.id_hash for i in items if i.id_hash]
        registered = {
            h: (pk, home)
            for pk, h, home in Resident.objects.filter(id_card_hash__in=hashes).values_list(
                "id", "id_card_hash", "household_id"
            )
        }
        homes = {i.row: self._household_of(i) for i in items}
        unnumbered = {
            (household_id, name): pk
            for pk, household_id, name in Resident.objects.filter(
                household_id__in={h[0] for h in homes.values() if h}, id_card_hash__isnull=True
            ).values_list("id", "household_id", "name")
        }
        refused = self.register.conflicts(
            [
                (i.row, home[0], self._present(i, home[0], registered, unnumbered), i.part)
                for i in items
                if (home := homes[i.row])
            ]
        )
        # Numbers held by residents the importer can see may be named; others may not
        # (conflicts.py), and a day's budget of those bounds what a file of guesses learns.
        seen = set(
            Resident.objects.visible_to(self.actor)
            .filter(pk__in=[pk for pk, _ in registered.values()])
            .values_list("id_card_hash", flat=True)
        )
        budget = conflicts.remaining(self.actor) if hashes else 0
        fresh: list[ResidentRow] = []
        present: list[tuple[int, int, int, Part]] = []  # rows already registered there
        for item in items:
            home = homes[item.row]
            held = registered.get(item.id_hash) if item.id_hash else None
            if item.row in refused:
                outcome.errors.append(refused[item.row])
            elif held and home and held[1] == home[0]:
                outcome.skipped += 1
                present.append((item.row, home[0], held[0], item.part))
            elif item.id_hash and budget <= 0:
                outcome.errors.append(rows.error(item.row, self.header["id_card"], conflicts.SPENT))
            elif held and item.id_hash in seen:
                outcome.errors.append(
                    rows.error(item.row, self.header["id_card"], conflicts.IN_SCOPE)
                )
            elif held:
                conflicts.forward(
                    actor=self.actor,
                    holder=Resident(pk=held[0]),
                    source=IdentityConflict.Source.IMPORT,
                    household=home[0] if home else None,
                    name=item.name,
                )
                budget -= 1
                outcome.errors.append(
                    rows.error(item.row, self.header["id_card"], conflicts.FORWARDED)
                )
            elif not item.id_hash and home and (home[0], item.name) in unnumbered:
                outcome.skipped += 1
                present.append((item.row, home[0], unnumbered[(home[0], item.name)], item.part))
            else:
                fresh.append(item)
        if fresh:
            present += self._create(fresh)
            outcome.imported = len(fresh)
        outcome.registered = self.register.write(present, self.job_id)
        return outcome

    @staticmethod
    def _present(
        item: ResidentRow,
        household_id: int,
        registered: dict[str | None, tuple[int, int]],
        unnumbered: dict[tuple[int, str], int],
    ) -> int | None:
        """The resident a row names if they are already registered in that household."""
        if item.id_hash:
            held = registered.get(item.id_hash)
            return held[0] if held and held[1] == household_id else None
        return unnumbered.get((household_id, item.name))

    def _create(self, fresh: list[ResidentRow]) -> list[tuple[int, int, int, Part]]:
        """Register new residents (and the units and households they need); returns each
        row's (row, household, resident, register cells)."""
        self._create_homes(fresh)
        residents = []
        for item in fresh:
            rows.on_row(item.row)
            household_id, grid_id = self._household_of(item)  # type: ignore[misc]
            n = item.id_card
            residents.append(
                Resident(
                    household_id=household_id,
                    grid_id=grid_id,
                    name=item.name,
                    gender=idcard.gender(n) if n else "",
                    birth_date=idcard.birth_date(n) if n else None,
                    id_card=n,
                    id_card_hash=item.id_hash,
                    id_last4=n[-4:],
                    phone=item.phone,
                    phone_hash=lookup_hash(item.phone) if item.phone else "",
                    phone_last4=item.phone[-4:],
                    residence_type=item.residence_type,
                    relation=item.relation,
                    tags=item.tags,
                    note=item.note,
                    search_text=search_text(item.name),
                )
            )
        bulk.insert(Resident, residents)  # COPY on PostgreSQL
        tallies.added(tallies.facts_of(r) for r in residents)
        return [
            (item.row, r.household_id, r.pk, item.part)
            for item, r in zip(fresh, residents, strict=True)
        ]

    def _create_homes(self, items: list[ResidentRow]) -> None:
        """Create the units and households the batch needs (a household takes its building's grid)."""
        grid_of = {i.building_id: i.grid_id for i in items}
        missing_units = {(i.building_id, i.unit) for i in items} - self.units.keys()
        if missing_units:
            Unit.objects.bulk_create(
                [Unit(building_id=b, number=n) for b, n in sorted(missing_units)],
                ignore_conflicts=True,  # another run may have made it meanwhile
            )
            units = Unit.objects.filter(
                building_id__in={b for b, _ in missing_units},
                number__in={n for _, n in missing_units},
            )
            for unit_pk, building_id, number in units.values_list("id", "building_id", "number"):
                self.units[(building_id, number)] = unit_pk
        wanted = {
            (self.units[(i.building_id, i.unit)], i.room): grid_of[i.building_id] for i in items
        }
        missing = {k: g for k, g in wanted.items() if k not in self.households}
        if missing:
            self._insert_households(missing)
            homes = Household.objects.filter(
                unit_id__in={u for u, _ in missing}, room__in={r for _, r in missing}
            )
            for home_pk, unit_id, room, grid_id in homes.values_list(
                "id", "unit_id", "room", "grid_id"
            ):
                self.households[(unit_id, room)] = (home_pk, grid_id)

    @staticmethod
    def _insert_households(missing: dict[tuple[int, str], int]) -> None:
        """INSERT … ON CONFLICT DO NOTHING RETURNING: another run may have made some of them
        meanwhile, and only the rows this one made are counted (tallies)."""
        qn = connection.ops.quote_name
        table = qn(Household._meta.db_table)
        tenure = Household._meta.get_field("tenure").get_default()
        rows = sorted(missing.items())
        made: list[tuple[int, str]] = []
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 500):
                chunk = rows[start : start + 500]
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                params: list[Any] = []
                for (unit_id, room), grid_id in chunk:
                    params += [unit_id, room, grid_id, tenure, ""]
                cursor.execute(
                    f"INSERT INTO {table} (unit_id, room, grid_id, tenure, search_text) "
                    f"VALUES {values} ON CONFLICT (unit_id, room) DO NOTHING "
                    "RETURNING grid_id, tenure",
                    params,
                )
                made += [(g, t) for g, t in cursor.fetchall()]
        tallies.households(made)
