"""Who sees which sites and bookings, and who may manage them (数据权限).

Staff see the sites (and their bookings) in their subtree, by the site's territory path;
an organisation with a node scope (a co-building unit) sees the sites it runs. Everyone
signed in sees the active sites of their own street: those are public. Bookings are seen by
their booker, by the members of the organisation they were made for, and by staff whose
scope covers the site.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from doorstep.accounts.models import Membership
from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import Kind, Organisation


def member_org_ids(user: Any) -> frozenset[int]:
    cached = getattr(user, "_doorstep_site_member_orgs", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False):
            return frozenset()
        cached = frozenset(
            Membership.objects.active().filter(user=user).values_list("organisation_id", flat=True)
        )
        user._doorstep_site_member_orgs = cached
    return cached


def home_street_paths(user: Any) -> tuple[str, ...]:
    """The streets the user belongs to: through their roles, or the household they live in."""
    cached = getattr(user, "_doorstep_home_streets", None)
    if cached is not None:
        return cached
    from doorstep.atlas.people.models import Resident

    paths = list(
        Organisation.objects.filter(pk__in=member_org_ids(user)).values_list("path", flat=True)
    )
    if getattr(user, "is_authenticated", False):
        paths += list(
            Resident.objects.filter(user=user).values_list("household__grid__path", flat=True)
        )
    ancestor_ids = {int(x) for p in paths if p for x in p.strip("/").split("/") if x}
    streets = Organisation.objects.filter(pk__in=ancestor_ids, kind=Kind.STREET)
    result = tuple(sorted(streets.values_list("path", flat=True)))
    user._doorstep_home_streets = result
    return result


def home_street_q(user: Any, path_field: str) -> Q:
    """Rows whose materialised path (`path_field`) lies in one of the user's home streets
    (what residents see of their street: its public sites, posts, rewards …)."""
    q = Q(pk__in=[])
    for p in home_street_paths(user):
        q |= Q(**{f"{path_field}__startswith": p})
    return q


def public_site_q(user: Any) -> Q:
    """The sites anyone signed in sees whatever their roles: those their organisations run
    and the active sites of their own street (public). The staff half of the rule (a
    subtree by territory, a node-scoped organisation's sites) is declared on the queryset."""
    q = Q(pk__in=[])
    orgs = member_org_ids(user)
    if orgs:
        q |= Q(organisation_id__in=orgs)
    return q | (Q(active=True) & home_street_q(user, "territory_path"))


def own_booking_q(user: Any) -> Q:
    """The bookings anyone sees whatever their roles: their own, and those made for an
    organisation they belong to."""
    q = Q(booker=user)
    orgs = member_org_ids(user)
    if orgs:
        q |= Q(organisation_id__in=orgs)
    return q


def covers_site(user: Any, site: Any) -> bool:
    """Whether the user's staff scope covers the site (its territory, or the unit running it)."""
    scope = scope_of(user)
    if scope.everything:
        return True
    if any(site.territory_path.startswith(p) for p in scope.paths):
        return True
    return site.organisation_id in scope.node_ids


def may_decide(user: Any, site: Any) -> bool:
    return bool(user.has_perm("sites.approve_booking")) and covers_site(user, site)


def may_manage(user: Any, site: Any) -> bool:
    return bool(user.has_perm("sites.manage_site")) and covers_site(user, site)


def approver_ids(site: Any) -> list[int]:
    """Users who may approve bookings at this site: a role with `approve_booking` held at the
    site's territory or above (subtree/all scopes), or at the organisation running it."""
    ancestor_ids = [int(x) for x in site.territory_path.strip("/").split("/") if x]
    rows = (
        Membership.objects.active()
        .filter(
            role__permissions__codename="approve_booking",
            role__permissions__content_type__app_label="sites",
        )
        .filter(
            Q(organisation_id__in=ancestor_ids, role__scope__in=["subtree", "all"])
            | Q(organisation_id=site.organisation_id, role__scope__in=["subtree", "node", "all"])
        )
        .values_list("user_id", flat=True)
    )
    return sorted(set(rows))
