"""Readable objects for the audit log: "居民 王** 110…1234", "组织 学院路社区".

An entry stores the object's type ("people.resident") and id. For a page of entries we
load each type's objects in one query and name them the way the rest of the site shows
them to someone who may not unmask: a person's name and ID number masked (never enough
to rebuild either), anything else by its own name. An object deleted since is named by
its type and number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.db.models import Model

from doorstep.core.masking import mask_name
from doorstep.core.models import AuditEntry

# Types recorded by name rather than by a model.
OTHER_TYPES = {
    "crypto": "加密密钥",
    "cases.hotline": "12345 工单",
}


def short_id(number: str) -> str:
    """110108196001010016 -> 110…0016: the region and the last four, as a clerk reads
    them off a card to tell two people apart."""
    if len(number) < 8:
        return ""
    return f"{number[:3]}…{number[-4:]}"


def _person(name: str, number: str) -> str:
    return " ".join(p for p in (mask_name(name), short_id(number)) if p)


def _resident(obj: Any) -> str:
    return _person(obj.name, obj.id_card)


def _party_member(obj: Any) -> str:
    return _person(obj.resident.name, obj.resident.id_card)


def _user(obj: Any) -> str:
    return obj.get_username()


# How a type is named when its own __str__ would show personal data in full.
NAMERS: dict[str, Callable[[Any], str]] = {
    "people.resident": _resident,
    "people.partymember": _party_member,
    "accounts.user": _user,
}
RELATED: dict[str, tuple[str, ...]] = {"people.partymember": ("resident",)}


def type_label(target_type: str) -> str:
    """The Chinese name of a recorded type ("people.resident" -> "居民")."""
    if target_type in OTHER_TYPES:
        return OTHER_TYPES[target_type]
    model = _model(target_type)
    return str(model._meta.verbose_name) if model else target_type


def _model(target_type: str) -> type[Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def describe(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """{entry id: "居民 王** 110…1234"} for the entries of one page."""
    entries = list(entries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        if e.target_type and e.target_id:
            wanted[e.target_type].add(e.target_id)
    names: dict[tuple[str, str], str] = {}
    for target_type, ids in wanted.items():
        model = _model(target_type)
        if model is None:
            continue
        pks = [int(i) for i in ids if i.isdigit()]
        found = model._base_manager.select_related(*RELATED.get(target_type, ())).in_bulk(pks)
        namer = NAMERS.get(target_type, str)
        for pk, obj in found.items():
            names[(target_type, str(pk))] = namer(obj)[:60]
    out: dict[int, str] = {}
    for e in entries:
        if not e.target_type:
            out[e.pk] = ""
            continue
        label = type_label(e.target_type)
        name = names.get((e.target_type, e.target_id))
        if name:
            out[e.pk] = f"{label} {name}"
        elif e.target_id and _model(e.target_type) is not None:
            out[e.pk] = f"{label} #{e.target_id}（已删除）"
        else:
            out[e.pk] = f"{label} {e.target_id}".strip()
    return out
