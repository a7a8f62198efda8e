"""Who sees which cases (数据权限 for cases).

Staff with a subtree see the cases located in it and the cases their subtree dispatches;
a department (node scope) sees the cases it is assigned or summoned to; everyone sees what
they filed, what is assigned to them, and the claimable pool of their own community.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from doorstep.accounts.models import Membership, ScopeKind
from doorstep.accounts.scopes import Scope, path_q, scope_of
from doorstep.atlas.organisations.models import ADMIN_KINDS, Kind, Organisation


def acts_for_org() -> Q:
    """Memberships that make their holder one of an organisation's handlers: a staff role
    (not SELF scope) that sees cases, or any role at a unit that is not an administrative
    area (a party branch, a department…). Residents, party members and volunteers hold
    SELF memberships at communities and grids, a linked cadre or an administrator a role
    that does not see cases; those do not make them the area's handlers."""
    from doorstep.accounts.models import Role

    sees_cases = Role.objects.filter(
        permissions__content_type__app_label="cases", permissions__codename="view_case"
    )
    return (~Q(role__scope=ScopeKind.SELF) & Q(role__in=sees_cases)) | ~Q(
        organisation__kind__in=ADMIN_KINDS
    )


def member_org_ids(user: Any) -> frozenset[int]:
    """Organisations where the user holds any active role (an assignment to one is theirs)."""
    cached = getattr(user, "_doorstep_member_orgs", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False):
            return frozenset()
        cached = frozenset(
            Membership.objects.active().filter(user=user).values_list("organisation_id", flat=True)
        )
        user._doorstep_member_orgs = cached
    return cached


def handler_org_ids(user: Any) -> frozenset[int]:
    """Organisations whose assignments and summonses are the user's (see acts_for_org)."""
    cached = getattr(user, "_doorstep_handler_orgs", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False):
            return frozenset()
        cached = frozenset(
            Membership.objects.active()
            .filter(user=user)
            .filter(acts_for_org())
            .values_list("organisation_id", flat=True)
        )
        user._doorstep_handler_orgs = cached
    return cached


def org_handler_ids(org_id: int) -> list[int]:
    """Active users who act for this organisation (its handlers, not its residents)."""
    return sorted(
        set(
            Membership.objects.active()
            .filter(organisation_id=org_id, user__is_active=True)
            .filter(acts_for_org())
            .values_list("user_id", flat=True)
        )
    )


def _claim_org_ids(user: Any) -> frozenset[int]:
    """Organisations where the user holds a role that grants taking orders (接单)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if (
        user.is_superuser
        or user.user_permissions.filter(
            codename="claim_case", content_type__app_label="cases"
        ).exists()
    ):
        return member_org_ids(user)
    return frozenset(
        Membership.objects.active()
        .filter(
            user=user,
            role__permissions__codename="claim_case",
            role__permissions__content_type__app_label="cases",
        )
        .values_list("organisation_id", flat=True)
    )


def pool_paths(user: Any) -> tuple[str, ...]:
    """The communities whose claimable pool the user may take orders from: those of the
    memberships that let them take orders (a party member of community 1 who lives in
    community 2 takes orders in community 1 only)."""
    cached = getattr(user, "_doorstep_pool_paths", None)
    if cached is not None:
        return cached
    paths: set[str] = set()
    orgs = Organisation.objects.filter(pk__in=_claim_org_ids(user)).values_list("path", flat=True)
    ancestor_ids = {int(x) for p in orgs for x in p.strip("/").split("/") if x}
    communities = dict(
        Organisation.objects.filter(pk__in=ancestor_ids, kind=Kind.COMMUNITY).values_list(
            "id", "path"
        )
    )
    for p in orgs:
        for x in p.strip("/").split("/"):
            if x and int(x) in communities:
                paths.add(communities[int(x)])
    result = tuple(sorted(paths))
    user._doorstep_pool_paths = result
    return result


def case_scope_q(user: Any, scope: Scope | None = None) -> Q | None:
    """None means every case; otherwise a filter for Case. `scope` is the user's scope
    for viewing cases (the roles that grant it); by default all of it."""
    from .models import Assignment, Summons
    from .workflow import S

    scope = scope if scope is not None else scope_of(user)
    if scope.everything:
        return None
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = path_q("territory_path", scope) | path_q("owner_path", scope)
    orgs = handler_org_ids(user)
    # EXISTS rather than IN: PostgreSQL then chooses per query between hashing every
    # assignment of the user's units (a department has a year of them) and probing each
    # candidate case by its key (a list of open cases is a few hundred)
    mine = Assignment.objects.filter(case_id=OuterRef("pk")).filter(
        Q(user=user) | Q(organisation_id__in=orgs)
    )
    q |= Q(reporter=user) | Q(Exists(mine))
    if orgs:
        summoned = Summons.objects.filter(whistle__case_id=OuterRef("pk"), department_id__in=orgs)
        q |= Q(Exists(summoned))
    if user.has_perm("cases.claim_case"):
        pool = Q(pk__in=[])
        for p in pool_paths(user):
            pool |= Q(territory_path__startswith=p)
        q |= Q(status=S.POOL) & pool
    return q
