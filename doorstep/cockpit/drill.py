"""The lists behind the cockpit's figures (钻取名单): residents, households, buildings, party
members and central households of a node, as far as the viewer may see them.

A list is the node's subtree (through its grids) intersected with the model's
`visible_to(user)`, so it never holds more than the viewer may see; for a node in the
viewer's scope its total equals the tile it was opened from. Personal numbers are always
masked here. Vulnerable-group tags (重点人群) are encrypted at rest, so a tag filter
decrypts the tags of the node's residents in Python and pages over the matching ids: no
clear-text tag column exists, and none is added for this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import TAG_LABELS, Gender, PartyMember, ResidenceType, Resident
from doorstep.atlas.places.models import Building, Household, Tenure
from doorstep.core import figure_cache
from doorstep.core.errors import DomainError
from doorstep.core.masking import mask_id_card, mask_phone
from doorstep.core.paging import ByIds, SortedIds

from .panels import AGE_BANDS, _years_ago

PAGE_SIZE = 50
UNKNOWN_AGE = "unknown"

_TYPES = {k: f"{v}人口" for k, v in ResidenceType.choices}
_SEXES = {Gender.MALE.value: "男性", Gender.FEMALE.value: "女性"}
_TENURES = {
    Tenure.RENTED.value: "出租户",
    Tenure.VACANT.value: "空置户",
    Tenure.OWNER.value: "自住户",
    Tenure.OTHER.value: "其他居住性质户",
}
_GENDER_LABELS = dict(Gender.choices)
_TYPE_LABELS = dict(ResidenceType.choices)
_TENURE_LABELS = dict(Tenure.choices)


def type_label(code: str) -> str:
    """ "registered" → "户籍人口"."""
    return _TYPES.get(code, f"{code}人口")


class BadFilter(DomainError, ValueError):
    """A filter value no list knows: shown to the viewer and answered with 400."""


@dataclass(frozen=True)
class Spec:
    """What one list is: its title without a filter, the unit it counts in, the filters
    it takes, and the permissions to view and to export it."""

    title: str
    unit: str
    keys: tuple[str, ...]
    view_perm: str
    export_perms: tuple[str, ...]
    header: tuple[str, ...]


LISTS: dict[str, Spec] = {
    "residents": Spec(
        "实有人口", "人", ("type", "sex", "band", "tag"), "people.view_resident",
        ("people.view_resident", "people.export_ledger"),
        ("姓名", "性别", "年龄", "人口类型", "身份证号", "联系电话", "住址", "网格"),
    ),
    "households": Spec(
        "住户", "户", ("tenure",), "places.view_household", ("places.view_household",),
        ("住址", "网格", "居住性质", "居民数"),
    ),
    "buildings": Spec(
        "楼栋", "栋", (), "places.view_building", ("places.view_building",),
        ("楼栋", "小区", "地址", "网格", "户数"),
    ),
    "party_members": Spec(
        "党员", "人", ("reported",), "people.view_partymember",
        ("people.view_partymember", "people.export_ledger"),
        ("姓名", "政治面貌", "组织关系", "在职/双报到", "住址", "网格"),
    ),
    "central_households": Spec(
        "党员中心户", "户", (), "people.view_partymember",
        ("people.view_partymember", "people.export_ledger"),
        ("名称", "中心户党员", "所在户", "联系户数", "网格"),
    ),
}  # fmt: skip
FILTER_KEYS = frozenset(k for spec in LISTS.values() for k in spec.keys)


@dataclass(frozen=True)
class Filters:
    """The filters of one request, checked: {key: value} and their Chinese labels."""

    values: dict[str, str]
    labels: tuple[str, ...]

    @property
    def tag(self) -> str | None:
        return self.values.get("tag")


def _label(key: str, raw: str) -> str:
    """The Chinese label of one filter value; BadFilter when the value is unknown."""
    if key == "type" and raw in _TYPES:
        return _TYPES[raw]
    if key == "sex" and raw in _SEXES:
        return _SEXES[raw]
    if key == "band":
        if raw == UNKNOWN_AGE:
            return "年龄不详"
        if raw.isdigit() and int(raw) < len(AGE_BANDS):
            return AGE_BANDS[int(raw)][2]
        raise BadFilter(f"年龄段应为 0–{len(AGE_BANDS) - 1} 或 {UNKNOWN_AGE}")
    if key == "tag" and raw in TAG_LABELS:
        return TAG_LABELS[raw]
    if key == "tenure" and raw in _TENURES:
        return _TENURES[raw]
    if key == "reported" and raw == "1":
        return "在职党员报到"
    names = {"type": "人口类型", "sex": "性别", "tag": "重点人群", "tenure": "居住性质"}
    raise BadFilter(f"未知的{names.get(key, '筛选条件')}：{raw[:20]}")


def parse(what: str, params: Mapping[str, str]) -> Filters:
    """The list's filters from the query string (other keys, like `page`, are ignored)."""
    spec = LISTS[what]
    values: dict[str, str] = {}
    labels: list[str] = []
    for key in spec.keys:
        raw = str(params.get(key) or "").strip()
        if raw:
            labels.append(_label(key, raw))
            values[key] = raw
    foreign = sorted(k for k in FILTER_KEYS - set(spec.keys) if params.get(k))
    if foreign:
        raise BadFilter(f"「{spec.title}」名单不能按 {'、'.join(foreign)} 筛选")
    return Filters(values, tuple(labels))


def _grids(org: Organisation) -> Any:
    return Organisation.objects.filter(path__startswith=org.path, kind=Kind.GRID).values("pk")


def _age(born: dt.date | None, today: dt.date) -> str:
    if born is None:
        return "—"
    return str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


@dataclass(frozen=True)
class Listing:
    """One list, ready to page: its rows, how each row reads and where it links."""

    org: Organisation
    what: str
    filters: Filters
    rows: Any  # a QuerySet or ByIds, sliced by the Paginator
    header: tuple[str, ...]
    cells: Callable[[Any], list[Any]]
    url: Callable[[Any], str]
    hidden: int = 0  # rows behind the figure that the viewer may not see (see `_party`)

    @property
    def spec(self) -> Spec:
        return LISTS[self.what]

    @property
    def label(self) -> str:
        return " · ".join(self.filters.labels) or self.spec.title

    def heading(self, total: int) -> str:
        """ "清华东路社区 · 独居老人 · 共 12 人"."""
        return f"{self.org.name} · {self.label} · 共 {total} {self.spec.unit}"


def _residents(org: Organisation, user: Any, f: Filters, today: dt.date) -> Listing:
    qs = Resident.objects.visible_to(user).filter(grid_id__in=_grids(org))
    if "type" in f.values:
        qs = qs.filter(residence_type=f.values["type"])
    if "sex" in f.values:
        qs = qs.filter(gender=f.values["sex"])
    band = f.values.get("band")
    if band == UNKNOWN_AGE:
        qs = qs.filter(birth_date__isnull=True)
    elif band is not None:
        # As the panel counts: born after (today - high years), on or before (today - low).
        low, high, _ = AGE_BANDS[int(band)]
        qs = qs.filter(
            birth_date__gt=_years_ago(today, high), birth_date__lte=_years_ago(today, low)
        )
    qs = qs.order_by(
        "household__unit__building__name", "household__unit__number", "household__room", "pk"
    )
    full = qs.select_related("household__unit__building", "grid")
    rows: Any = SortedIds(qs, full, "drill:residents")
    tag = f.tag
    if tag is not None:
        # Decrypts the tags only (no names or numbers), then pages over the matching ids.
        rows = ByIds(_tagged(qs, tag), full)

    def cells(r: Resident) -> list[Any]:
        out: list[Any] = [
            r.name,
            str(_GENDER_LABELS.get(r.gender, "—")),
            _age(r.birth_date, today),
            str(_TYPE_LABELS.get(r.residence_type, r.residence_type)),
            mask_id_card(r.id_card),
            mask_phone(r.phone),
            r.household.address,
            r.grid.name,
        ]
        if tag is not None:
            out.append("、".join(r.tag_labels))
        return out

    header = LISTS["residents"].header + (("重点人群",) if tag is not None else ())
    return Listing(
        org, "residents", f, rows, header, cells, lambda r: reverse("atlas:resident", args=[r.pk])
    )


def _tagged(qs: QuerySet[Resident], tag: str) -> list[int]:
    """The ids, in list order, of the residents with `tag`: decrypts the tags only (no
    names or numbers). Kept by the query and the tag, like a page of `SortedIds`."""
    ids = qs.values_list("pk", "tags")

    def matching() -> list[int]:
        pairs = ids.iterator(chunk_size=2000)
        return [pk for pk, tags in pairs if tag in (tags or ())]

    key = figure_cache.query_key(ids)
    if key is None:
        return []
    return figure_cache.remembered("drill:residents:tagged", (*key, tag), matching)


def _households(org: Organisation, user: Any, f: Filters, today: dt.date) -> Listing:
    qs: Any = Household.objects.visible_to(user).filter(grid_id__in=_grids(org))
    if "tenure" in f.values:
        qs = qs.filter(tenure=f.values["tenure"])
    qs = (
        qs.select_related("unit__building", "grid")
        .annotate(residents_n=Count("residents"))
        .order_by("unit__building__name", "unit__number", "room", "pk")
    )

    def cells(h: Any) -> list[Any]:
        tenure = str(_TENURE_LABELS.get(h.tenure, h.tenure))
        return [h.address, h.grid.name, tenure, h.residents_n]

    return Listing(
        org, "households", f, qs, LISTS["households"].header, cells,
        lambda h: reverse("atlas:household", args=[h.pk]),
    )  # fmt: skip


def _buildings(org: Organisation, user: Any, f: Filters, today: dt.date) -> Listing:
    qs = (
        Building.objects.visible_to(user)
        .filter(grid_id__in=_grids(org))
        .select_related("grid", "compound")
        .annotate(households_n=Count("units__households"))
        .order_by("grid__path", "name", "pk")
    )

    def cells(b: Any) -> list[Any]:
        compound = b.compound.name if b.compound else "—"
        return [b.name, compound, b.address or "—", b.grid.name, b.households_n]

    return Listing(
        org, "buildings", f, qs, LISTS["buildings"].header, cells,
        lambda b: reverse("atlas:building", args=[b.pk]),
    )  # fmt: skip


def _party(org: Organisation, user: Any, f: Filters, today: dt.date) -> Listing:
    hidden = 0
    if "reported" in f.values:
        # In-service members reported to a community under the node (双报到), wherever they
        # live; those living outside the viewer's scope are counted, not listed.
        reported = PartyMember.objects.outside_door("counted, never listed").filter(
            reported_community__path__startswith=org.path
        )
        qs = PartyMember.objects.visible_to(user).filter(pk__in=reported.values("pk"))
        hidden = reported.count() - qs.count()
    else:
        qs = PartyMember.objects.visible_to(user).filter(resident__grid_id__in=_grids(org))
    qs = qs.select_related(
        "resident__household__unit__building", "resident__grid", "organisation",
        "reported_community",
    ).order_by("resident__name", "pk")  # fmt: skip

    def cells(m: PartyMember) -> list[Any]:
        relation = m.organisation.name if m.organisation else m.external_organisation
        if not m.in_service:
            service = "—"
        elif m.reported_community:
            service = f"在职 · 已报到{m.reported_community.name}"
        else:
            service = "在职 · 未报到"
        r = m.resident
        return [r.name, m.get_status_display(), relation, service, r.household.address, r.grid.name]

    return Listing(
        org, "party_members", f, qs, LISTS["party_members"].header, cells,
        lambda m: reverse("atlas:resident", args=[m.resident_id]), hidden,
    )  # fmt: skip


def _central(org: Organisation, user: Any, f: Filters, today: dt.date) -> Listing:
    # The figure counts central-household nodes of the tree; a node's household and keeper
    # come from its CentralHousehold row (one-to-one, possibly not filled in yet).
    qs = (
        Organisation.objects.visible_to(user)
        .filter(path__startswith=org.path, kind=Kind.CENTRAL_HOUSEHOLD)
        .select_related(
            "parent",
            "central_household__household__unit__building",
            "central_household__keeper__resident",
        )
        .annotate(links_n=Count("central_household__links"))
        .order_by("name", "pk")
    )

    def ch(o: Organisation) -> Any:
        return getattr(o, "central_household", None)

    def cells(o: Organisation) -> list[Any]:
        c = ch(o)
        keeper = c.keeper.resident.name if c else "—"
        home = c.household.address if c else "—"
        return [o.name, keeper, home, o.links_n, o.parent.name if o.parent else "—"]  # type: ignore[attr-defined]

    def url(o: Organisation) -> str:
        c = ch(o)
        if c is not None:
            return reverse("atlas:household", args=[c.household_id])
        return reverse("atlas:organisation", args=[o.pk])

    return Listing(org, "central_households", f, qs, LISTS["central_households"].header, cells, url)


_BUILDERS: dict[str, Callable[[Organisation, Any, Filters, dt.date], Listing]] = {
    "residents": _residents,
    "households": _households,
    "buildings": _buildings,
    "party_members": _party,
    "central_households": _central,
}


def listing(org: Organisation, user: Any, what: str, filters: Filters, today: dt.date) -> Listing:
    """The list `what` of `org` as `user` may see it, filtered."""
    return _BUILDERS[what](org, user, filters, today)


def table(item: Listing) -> tuple[Sequence[str], Iterator[list[Any]]]:
    """Header and every row of a list (for the Excel export), in list order."""
    rows = (
        item.rows.iterator(chunk_size=2000) if isinstance(item.rows, QuerySet) else iter(item.rows)
    )
    return item.header, (item.cells(obj) for obj in rows)
