"""Writes to the organisation tree."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from doorstep.core.search import search_text_for

from .models import ALLOWED_CHILDREN, Kind, Organisation


def check_placement(*, kind: str, parent: Organisation | None) -> None:
    if parent is None:
        if kind not in {Kind.DISTRICT, Kind.STREET}:
            raise ValidationError("只有区或街道可以作为顶层组织")
        return
    allowed = ALLOWED_CHILDREN.get(parent.kind, frozenset())
    if kind not in allowed:
        raise ValidationError(f"{Kind(parent.kind).label}下不能直接设立{Kind(kind).label}")


@transaction.atomic
def create_organisation(
    *,
    name: str,
    kind: str,
    parent: Organisation | None,
    party_parent: Organisation | None = None,
    code: str | None = None,
    **extra: Any,
) -> Organisation:
    """Create a node under `parent`, with its materialised path (建立组织)."""
    check_placement(kind=kind, parent=parent)
    org = Organisation(
        name=name,
        kind=kind,
        parent=parent,
        party_parent=party_parent,
        code=code,
        search_text=search_text_for(name),
        **extra,
    )
    org.save()
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0
    Organisation.objects.filter(pk=org.pk).update(path=org.path, depth=org.depth)
    return org
