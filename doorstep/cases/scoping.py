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
from doorstep.core.access import held

VIEW_CASE, CLAIM_CASE = "cases.view_case", "cases.claim_case"


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
    """Organisations where the user holds any active role (an assignment to one is theirs),
    from what the user holds (`core.access.held`)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(org for _scope, org, _path, _role in held(user).rows)


def handler_org_ids(user: Any) -> frozenset[int]:
    """Organisations whose assignments and summonses are the user's (see acts_for_org: the
    same rule, applied to what the user holds)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    facts = held(user)
    return frozenset(
        org
        for scope, org, _path, role in facts.rows
        if (scope != ScopeKind.SELF and VIEW_CASE in facts.role_perms.get(role, ()))
        or facts.org_kinds.get(org) not in ADMIN_KINDS
    )


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
    """Organisations where the user holds a role that grants taking orders (接单); all of
    theirs for a superuser or a user given the permission directly."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    facts = held(user)
    if user.is_superuser or CLAIM_CASE in facts.direct_perms:
        return member_org_ids(user)
    return frozenset(
        org
        for _scope, org, _path, role in facts.rows
        if CLAIM_CASE in facts.role_perms.get(role, ())
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
