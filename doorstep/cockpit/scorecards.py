"""Whose scorecards apply where, and the writes on them.

A scorecard without an owner is a platform default. A street (or district) may own cards of
its own (本街道考核方案): the assessment page of a node uses, for each level below it, the
active cards of the nearest ancestor-or-self that has any for that level, else the defaults.

Officers holding `cockpit.change_indicator` edit a card only when its owner lies in their
scope (a default card needs a whole-platform scope); a street officer starts from the card
in force by copying it for the street (`customise_scorecard`), then edits the copy
(`edit_scorecard`: weights, targets, directions, indicators added or removed). Every write
is atomic and audited; a refused one writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q

from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core import audit
from doorstep.core.errors import DomainError
from doorstep.core.models import AuditAction

from .indicators import REGISTRY
from .models import Direction, Indicator, Level, Scorecard

PERMISSION = "cockpit.change_indicator"
OWNER_KINDS = frozenset({Kind.STREET, Kind.DISTRICT})
DEPTH: dict[str, int] = {Kind.DISTRICT: 0, Kind.STREET: 1, Kind.COMMUNITY: 2, Kind.GRID: 3}


class ScorecardError(DomainError, ValueError):
    """A write refused for its input (shown to the user as it is; nothing was written)."""


# ---------------------------------------------------------------- reads


def ancestor_ids(org: Organisation) -> list[int]:
    """The node's ancestors and itself, nearest first (from its materialised path)."""
    return [int(part) for part in reversed(org.path.strip("/").split("/")) if part]


def levels_below(org: Organisation) -> list[str]:
    mine = DEPTH.get(org.kind, 99)
    return [level for level in Level.values if DEPTH[level] > mine]


def cards_for(org: Organisation) -> list[Scorecard]:
    """The active cards in force at the node: per level below it, those of the nearest
    ancestor-or-self owning any, else the platform defaults."""
    below = levels_below(org)
    if not below:
        return []
    nearest = ancestor_ids(org)
    found = list(
        Scorecard.objects.filter(active=True, level__in=below)
        .filter(Q(organisation__isnull=True) | Q(organisation_id__in=nearest))
        .select_related("organisation")
        .order_by("level", "pk")
    )
    rank = {pk: i for i, pk in enumerate(nearest)}
    out: list[Scorecard] = []
    for level in below:
        mine = [c for c in found if c.level == level]
        owners = sorted(
            {c.organisation_id for c in mine if c.organisation_id}, key=rank.__getitem__
        )
        owner = owners[0] if owners else None
        out.extend(c for c in mine if c.organisation_id == owner)
    return out


def owner_for(org: Organisation) -> Organisation | None:
    """The street (or district) whose own cards a node's customisation belongs to."""
    if org.kind in OWNER_KINDS:
        return org
    return (
        Organisation.objects.filter(pk__in=ancestor_ids(org), kind__in=OWNER_KINDS)
        .order_by("-path")
        .first()
    )


def may_edit(user: Any, card: Scorecard) -> bool:
    """Whether the user may change the card: the permission, and its owner in their scope."""
    if not user.has_perm(PERMISSION):
        return False
    scope = scope_of(user)
    owner = card.organisation
    if owner is None:
        return scope.everything
    return scope.covers(owner.path)


def customise_target(user: Any, org: Organisation, card: Scorecard) -> Organisation | None:
    """The street (or district) the user may copy the card for from this node, if any."""
    owner = owner_for(org)
    if owner is None or card.organisation_id == owner.pk or not user.has_perm(PERMISSION):
        return None
    return owner if scope_of(user).covers(owner.path) else None


def owner_word(owner: Organisation) -> str:
    return "本区" if owner.kind == Kind.DISTRICT else "本街道"


# ---------------------------------------------------------------- writes


def customise_scorecard(*, card: Scorecard, org: Organisation, actor: Any) -> Scorecard:
    """Copy the card in force at the node for its street (or district): 为本街道定制考核方案."""
    owner = customise_target(actor, org, card)
    if owner is None:
        raise PermissionDenied("没有为本街道定制考核方案的权限")
    word = owner_word(owner)
    if Scorecard.objects.filter(organisation=owner, level=card.level, active=True).exists():
        raise ScorecardError(f"{word}已有启用的{card.get_level_display()}考核方案")
    base = card.name
    if card.organisation is not None:
        base = base.removeprefix(card.organisation.name) or base
    name = f"{owner.name}{base}"[:100]
    try:
        with transaction.atomic():
            copy = Scorecard.objects.create(name=name, level=card.level, organisation=owner)
            rows = list(card.indicators.order_by("order", "pk"))
            Indicator.objects.bulk_create(
                Indicator(
                    scorecard=copy,
                    code=i.code,
                    weight=i.weight,
                    target=i.target,
                    direction=i.direction,
                    order=i.order,
                )
                for i in rows
            )
            audit.record(
                actor=actor,
                action=AuditAction.CREATE,
                target=copy,
                detail={
                    "copied_from": card.pk,
                    "owner": owner.pk,
                    "level": card.level,
                    "indicators": [i.code for i in rows],
                },
            )
    except IntegrityError:
        raise ScorecardError(f"{word}已有同名考核方案“{name}”") from None
    return copy


@dataclass(frozen=True)
class Values:
    """An indicator's weight (points), target and direction as submitted."""

    weight: Decimal
    target: Decimal
    direction: str


@dataclass(frozen=True)
class Edit:
    """One submitted edit of a card: new values per indicator id, ids to remove, one to add."""

    values: dict[int, Values]
    removed: frozenset[int] = frozenset()
    added: tuple[str, Values] | None = None


def _locked(card: Scorecard) -> Scorecard:
    qs = Scorecard.objects.select_related("organisation")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=card.pk)


def _check(edit: Edit, indicators: dict[int, Indicator]) -> None:
    for values in [*edit.values.values(), *([edit.added[1]] if edit.added else [])]:
        if values.direction not in Direction.values:
            raise ScorecardError("方向应为“越高越好”或“越低越好”")
        if values.weight <= 0 or values.target < 0:
            raise ScorecardError("权重应大于 0，目标值不能小于 0")
    unknown = (set(edit.values) | edit.removed) - set(indicators)
    if unknown:
        raise ScorecardError("考核指标已被他人修改，请刷新后重试")
    kept = {i.code for pk, i in indicators.items() if pk not in edit.removed}
    if edit.added is not None:
        code = edit.added[0]
        if code not in REGISTRY:
            raise ScorecardError("没有这项指标")
        if code in kept:
            raise ScorecardError(f"“{REGISTRY[code].label}”已在方案中")
        kept.add(code)
    if not kept:
        raise ScorecardError("考核方案至少保留一项指标")


def edit_scorecard(*, card: Scorecard, edit: Edit, actor: Any) -> bool:
    """Apply one edit to the card (all of it or nothing) and audit it. False: no change."""
    if not may_edit(actor, card):
        raise PermissionDenied("没有修改该考核方案的权限")
    with transaction.atomic():
        card = _locked(card)
        indicators = {i.pk: i for i in card.indicators.all()}
        _check(edit, indicators)
        changed: dict[str, dict[str, list[str]]] = {}
        for pk, new in edit.values.items():
            ind = indicators[pk]
            if pk in edit.removed:
                continue
            diff = {
                field: [str(getattr(ind, field)), str(getattr(new, field))]
                for field in ("weight", "target", "direction")
                if getattr(ind, field) != getattr(new, field)
            }
            if diff:
                changed[ind.code] = diff
                ind.weight, ind.target, ind.direction = new.weight, new.target, new.direction
                ind.save(update_fields=["weight", "target", "direction"])
        removed = sorted(indicators[pk].code for pk in edit.removed)
        if edit.removed:
            Indicator.objects.filter(scorecard=card, pk__in=edit.removed).delete()
        added: dict[str, dict[str, str]] = {}
        if edit.added is not None:
            code, new = edit.added
            last = card.indicators.aggregate(top=Max("order"))["top"] or 0
            Indicator.objects.create(
                scorecard=card,
                code=code,
                weight=new.weight,
                target=new.target,
                direction=new.direction,
                order=last + 1,
            )
            added[code] = {"weight": str(new.weight), "target": str(new.target),
                           "direction": new.direction}  # fmt: skip
        if not (changed or removed or added):
            return False
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=card,
            detail={"changed": changed, "removed": removed, "added": added},
        )
    return True
