"""The housing register for owners' matters: who owns each exclusive part (a household's
home) and who may vote for it by proxy, and the roll of a compound counted as the SPC's
interpretation on 建筑物区分所有权 says (第八条、第九条).

- Area: `Household.area` in 0.01 m², as registered (else surveyed, else by the contract:
  `area_source`).
- Owners: one part counts as one owner however many hold it jointly; the parts one buyer
  holds (the same owner or owners) count once; the developer's unsold or undelivered parts
  (`developer_held`) count once together. A part with no owner registered counts as an
  owner of its own (it cannot vote online; its paper ballot is entered by staff).
- Tenants are never holders: only a registered owner or the registered proxy votes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from doorstep.accounts.typing import Actor
from doorstep.atlas.places.models import Household
from doorstep.core import audit
from doorstep.core.access import scope_of
from doorstep.core.errors import Conflict, DomainError, NotAllowed

from .models import Holding, HoldingRole, Resident

DEVELOPER = "developer"


def may(actor: Actor, perm: str, grid_path: str) -> bool:
    """Whether the actor holds `perm` where the grid at `grid_path` lies (the register's
    one rule: the page, the API and the ledger import ask it)."""
    return actor.has_perm(perm) and scope_of(actor, perm).covers(grid_path)


def _may(actor: Actor, perm: str, household: Household) -> bool:
    return may(actor, perm, household.grid.path)


@transaction.atomic
def register(
    *,
    actor: Actor,
    household: Household,
    resident: Resident | None,
    role: Any = HoldingRole.OWNER,
    since: dt.date | None = None,
) -> Holding:
    """Register an owner or the proxy of a part. The person must be in the resident ledger
    (an owner living elsewhere is entered there first); a part has at most one proxy."""
    if not _may(actor, "people.add_holding", household):
        raise NotAllowed("您不能登记该户的业主")
    if resident is None:
        raise DomainError("请选择业主或代理人", "resident")
    if role not in HoldingRole.values:
        raise DomainError("请选择业主或委托代理人", "role")
    if household.developer_held and role == HoldingRole.OWNER:
        raise DomainError("该户登记为建设单位未售或未交付，不能登记个人业主", "resident")
    try:
        with transaction.atomic():
            holding = Holding.objects.create(
                household=household, resident=resident, role=role, since=since
            )
    except IntegrityError:
        raise Conflict(
            "该户已登记委托代理人" if role == HoldingRole.PROXY else "此人已登记在该户"
        ) from None
    audit.record(actor=actor, action="create", target=holding)
    return holding


@transaction.atomic
def unregister(*, actor: Actor, holding: Holding) -> None:
    if not _may(actor, "people.delete_holding", holding.household):
        raise NotAllowed("您不能修改该户的业主登记")
    audit.record(actor=actor, action="delete", target=holding)
    holding.delete()


@dataclass(frozen=True)
class RollPart:
    """A part on a compound's roll: the household, its owner key (parts with the same key
    are one owner), its area in 0.01 m² (None: not registered) and who may vote it."""

    household_id: int
    owner: str
    area: int | None
    voters: frozenset[int]  # user ids of its owners and proxy who have a login


def roll_of(households: Any) -> list[RollPart]:
    """The roll over the given households (a queryset the caller scoped: a compound's)."""
    rows = list(households.values_list("pk", "area", "developer_held").order_by("pk"))
    owners: dict[int, list[int]] = defaultdict(list)
    voters: dict[int, set[int]] = defaultdict(set)
    for household_id, resident_id, role, user_id in Holding.objects.filter(
        household_id__in=[r[0] for r in rows]
    ).values_list("household_id", "resident_id", "role", "resident__user_id"):
        if role == HoldingRole.OWNER:
            owners[household_id].append(resident_id)
        if user_id is not None:
            voters[household_id].add(user_id)
    out = []
    for household_id, area, developer_held in rows:
        if developer_held:
            key = DEVELOPER
        elif owners[household_id]:
            key = "p:" + ",".join(map(str, sorted(owners[household_id])))
        else:
            key = f"part:{household_id}"
        out.append(RollPart(household_id, key, area, frozenset(voters[household_id])))
    return out
