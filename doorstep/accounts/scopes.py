"""Resolving a user's data scope (数据权限) from the roles they hold.

A scope is the union of what each active membership grants: everything (ALL), the subtree
under the organisation (SUBTREE, by materialised path), the organisation alone (NODE), or
only the user's own records (SELF). Query sets turn it into a filter in `visible_to(user)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Membership, ScopeKind


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    paths: tuple[str, ...] = ()  # subtree roots, as materialised paths
    node_ids: frozenset[int] = field(default_factory=frozenset)
    self_org_ids: frozenset[int] = field(default_factory=frozenset)
    self_only: bool = False

    def covers(self, path: str) -> bool:
        """Whether a row at this materialised path lies in the scope's subtrees."""
        return self.everything or any(path.startswith(p) for p in self.paths)

    @property
    def empty(self) -> bool:
        return not (self.everything or self.paths or self.node_ids or self.self_only)


NOBODY = Scope()


def scope_of(user: Any) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    cached = getattr(user, "_doorstep_scope", None)
    if cached is not None:
        return cached
    everything = bool(user.is_superuser)
    paths: set[str] = set()
    node_ids: set[int] = set()
    self_org_ids: set[int] = set()
    self_only = False
    rows = (
        Membership.objects.active()
        .filter(user=user)
        .values_list("role__scope", "organisation_id", "organisation__path")
    )
    for kind, org_id, path in rows:
        if kind == ScopeKind.ALL:
            everything = True
        elif kind == ScopeKind.SUBTREE:
            paths.add(path)
        elif kind == ScopeKind.NODE:
            node_ids.add(org_id)
        elif kind == ScopeKind.SELF:
            self_only = True
            self_org_ids.add(org_id)
    # A path inside another granted path adds nothing: keep the outermost only.
    roots = tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
    scope = Scope(everything, roots, frozenset(node_ids), frozenset(self_org_ids), self_only)
    user._doorstep_scope = scope
    return scope


def path_q(field_name: str, scope: Scope) -> Any:
    """A Q matching rows whose `field_name` (a materialised path) lies in the scope's subtrees."""
    from django.db.models import Q

    q = Q(pk__in=[])
    for p in scope.paths:
        q |= Q(**{f"{field_name}__startswith": p})
    return q
