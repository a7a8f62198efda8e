"""Who may open which node's cockpit: staff whose scope holds the node (the three admins
see aggregate figures of the whole tree, which carry no personal data)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation


def may_open(user: Any) -> bool:
    scope = scope_of(user)
    return scope.everything or (
        bool(scope.paths) and user.has_perm("organisations.view_organisation")
    )


def roots(user: Any) -> list[Organisation]:
    """The nodes a user's cockpit starts at (their scope's outermost administrative nodes)."""
    scope = scope_of(user)
    qs = Organisation.objects.filter(kind__in=ADMIN_KINDS)
    if scope.everything:
        return list(qs.filter(parent__isnull=True).order_by("path"))
    return list(qs.filter(path__in=scope.paths).order_by("path"))


def node(user: Any, pk: int) -> Organisation:
    """The node if the user may see it, else 404 (never its figures)."""
    if not may_open(user):
        raise Http404("无权查看")
    org = (
        Organisation.objects.visible_to(user).filter(pk=pk, kind__in=ADMIN_KINDS).first()
        if pk < 2**31
        else None
    )
    if org is None:
        raise Http404("组织不存在或无权查看")
    return org
