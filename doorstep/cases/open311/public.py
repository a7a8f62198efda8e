"""What the public sees of our categories and cases, in GeoReport v2 terms.

Only public data: never the reporter, the contact name or phone, photos or internal notes.
Phone and ID-card numbers a resident typed into the text are masked. An anonymous case
shows where it is only down to its grid (no address, building or coordinates), and so do
hotline orders and grid workers' reports: their callers and subjects never chose to be
published, and the address is often someone's home.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from doorstep.cases.models import Case, CaseKind, Category
from doorstep.cases.workflow import DONE, STATUS_LABELS, S
from doorstep.core.masking import mask_id_card, mask_phone

# Cases nobody filed publicly: shown down to their grid only, like anonymous ones.
PLACE_HIDDEN_KINDS = frozenset({CaseKind.HOTLINE, CaseKind.PATROL})

# Our detailed statuses that GeoReport calls "closed"; every other one is "open".
CLOSED_STATUSES = frozenset({S.CLOSED, S.ARCHIVED, S.CANCELLED})
# Category kinds the public may file (grid patrol and hotline types are internal).
PUBLIC_KINDS = (CaseKind.REQUEST, CaseKind.MICRO_WISH)
DESCRIPTION_MAX = 4000  # request.json: description maxLength

_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ID_CARD = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def scrub(text: str) -> str:
    """Mask personal numbers a resident may have typed into a public text."""
    text = _ID_CARD.sub(lambda m: mask_id_card(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def iso(value: dt.datetime | None) -> str | None:
    """A moment in the site's time zone. (No request activates another zone, so the
    default zone is read directly: `timezone.localtime` looks the active zone up in a
    context-local on every call, three times per case in a list of up to 1,000.)"""
    if value is None:
        return None
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def public_categories() -> Any:
    """Active leaf categories the public may file under, in code order."""
    return (
        Category.objects.filter(active=True, kind__in=PUBLIC_KINDS, children__isnull=True)
        .select_related("parent__parent")
        .order_by("code")
    )


def _service(
    code: str, name: str, description: str, full_name: str, names: list[str]
) -> dict[str, Any]:
    """A GeoReport service; `names` the category's chain of names, its top level first
    (categories are at most three levels deep)."""
    return {
        "service_code": code,
        "service_name": name,
        "description": description or full_name or name,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(names),
        "group": names[0],
    }


_SERVICE_FIELDS = (
    "code",
    "name",
    "description",
    "full_name",
    "parent__parent__name",
    "parent__name",
)


def services_list() -> list[dict[str, Any]]:
    """Every public category as a service, read as plain rows (546 on the real catalogue:
    model instances with their parents were most of services.json's time)."""
    return [_from_row(row) for row in public_categories().values_list(*_SERVICE_FIELDS)]


def _from_row(row: tuple[Any, ...]) -> dict[str, Any]:
    code, name, description, full_name, grandparent, parent = row
    names = [n for n in (grandparent, parent) if n is not None] + [name]
    return _service(code, name, description, full_name, names)


def service_definition(category: Category) -> dict[str, Any]:
    """No extra attributes: the description, the location and optional contact suffice."""
    return {"service_code": category.code, "attributes": []}


def status_of(case: Case) -> str:
    return "closed" if case.status in CLOSED_STATUSES else "open"


def status_notes(case: Case) -> str:
    label = STATUS_LABELS.get(case.status, case.status)
    if case.merged_into_id and case.merged_into is not None:
        return f"{label}：已并入工单 {case.merged_into.number}"
    if case.status in DONE and case.resolution:
        return scrub(f"{label}：{case.resolution}")[:1000]
    return label


def request_dict(case: Case) -> dict[str, Any]:
    closed = case.status in CLOSED_STATUSES
    updated = (case.closed_at or case.archived_at or case.updated_at) if closed else case.updated_at
    if case.anonymous or case.kind in PLACE_HIDDEN_KINDS:
        address, address_id, lat, lon = case.territory.name, None, None, None
    else:
        address = case.address or (case.building.name if case.building else case.territory.name)
        address_id = str(case.building_id) if case.building_id else None
        lat, lon = case.lat, case.lon
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": status_notes(case),
        "detailed_status": case.status,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": scrub(case.description)[:DESCRIPTION_MAX],
        "agency_responsible": case.owner.name,
        "service_notice": None,
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(case.due_at),
        "address": address,
        "address_id": address_id,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


def public_cases() -> Any:
    """Every case the public may look up: everything but drafts (not yet filed)."""
    public = Case.objects.outside_door("Open311's public list, without personal data")
    return (
        public.exclude(status=S.DRAFT)
        .select_related("category", "owner", "territory", "building", "merged_into")
        # only what an answer shows (`request_dict`): a list is up to 1,000 rows, and
        # every other column (counters, search text, outlines, moments) costs decoding
        .only(*SHOWN)
    )


SHOWN = (
    *("number", "status", "kind", "anonymous", "description", "resolution", "address"),
    *("lat", "lon", "created_at", "updated_at", "closed_at", "archived_at", "due_at"),
    *("category__name", "category__code", "owner__name", "territory__name", "building__name"),
    "merged_into__number",
)


# What a list reads per case: the shown columns as plain rows (a list is up to 1,000
# cases; a model instance and its four related ones each was most of its time).
LISTED = (*SHOWN, "building_id", "merged_into_id")


def request_dicts(cases: Any) -> list[dict[str, Any]]:
    """`request_dict` of each case of the queryset, read as plain rows."""
    out = []
    for row in cases.values_list(*LISTED):
        d = dict(zip(LISTED, row, strict=True))
        case = SimpleNamespace(
            **{k: v for k, v in d.items() if "__" not in k},
            category=SimpleNamespace(name=d["category__name"], code=d["category__code"]),
            owner=SimpleNamespace(name=d["owner__name"]),
            territory=SimpleNamespace(name=d["territory__name"]),
            building=SimpleNamespace(name=d["building__name"]) if d["building_id"] else None,
            merged_into=(
                SimpleNamespace(number=d["merged_into__number"]) if d["merged_into_id"] else None
            ),
        )
        out.append(request_dict(case))  # type: ignore[arg-type]
    return out
