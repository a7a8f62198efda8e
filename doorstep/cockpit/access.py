"""Who may open which node's cockpit: through the access door, with the action "cockpit"
(`Organisation.objects.visible_to(user, "cockpit")`), which needs no model permission —
the figures carry no personal data — so the scope alone decides: staff open the
administrative nodes of their subtrees, the three admins (ALL scope) the whole tree;
residents, party members and volunteers (SELF) and co-building units (NODE, not an
administrative node) open none."""

from __future__ import annotations

from django.http import Http404

from doorstep.accounts.typing import Viewer
from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation, OrganisationQuerySet
from doorstep.core.access import NODE, SELF, SUBTREE, held, signed_in


def _openable(user: Viewer) -> OrganisationQuerySet:
    # no outline: a street's or a district's weighs more to decode than the rest of a page
    # (the map reads the grids' own, gridmap._shapes)
    return (
        Organisation.objects.visible_to(user, "cockpit")
        .filter(kind__in=ADMIN_KINDS)
        .defer("outline")
    )


def may_open(user: Viewer) -> bool:
    """Whether the user may open any cockpit (the navigation asks on every page): decided
    from what they hold where that settles it — a subtree or node role at an administrative
    node opens that node; SELF roles open none — and by a query otherwise."""
    if signed_in(user) and not user.is_superuser:
        facts = held(user)
        if any(
            scope in (SUBTREE, NODE) and facts.org_kinds[org] in ADMIN_KINDS
            for scope, org, _path, _role in facts.rows
        ):
            return True
        if all(scope == SELF for scope, *_ in facts.rows):
            return False
    return _openable(user).exists()


def roots(user: Viewer) -> list[Organisation]:
    """The nodes a user's cockpit starts at: the outermost administrative nodes they may
    open (those whose parent they may not)."""
    openable = _openable(user)
    return list(openable.exclude(parent__in=openable.values("pk")).order_by("path"))


def node(user: Viewer, pk: int) -> Organisation:
    """The node if the user may open it, else 404 (never its figures)."""
    org = _openable(user).filter(pk=pk).first() if pk < 2**31 else None
    if org is None:
        raise Http404("组织不存在或无权查看")
    return org
