"""The governance map pages: organisation tree with live counts, drill-down, search, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import PartyMember
from doorstep.atlas.people.queries import subtree_counts
from doorstep.atlas.places.models import Building, Household
from doorstep.core.models import AuditEntry

from . import audit_labels
from . import search as search_queries
from .forms import AuditFilter


def _scope_roots(request: HttpRequest) -> list[Organisation]:
    """The outermost organisations the user may see: where their tree starts."""
    if not request.user.has_perm("organisations.view_organisation"):
        return []
    visible = Organisation.objects.visible_to(request.user)
    scope = scope_of(request.user)
    if scope.everything:
        return list(visible.filter(parent__isnull=True))
    # In path order a node comes right after its ancestors: it is outermost unless it lies
    # under the last outermost one (ids and paths only: a street sees a thousand nodes).
    outermost: list[int] = []
    last = None
    for path, pk in sorted(visible.values_list("path", "id")):
        if last is None or not path.startswith(last):
            outermost.append(pk)
            last = path
    return list(visible.filter(id__in=outermost))


def _with_counts(
    root: Organisation, nodes: list[Organisation]
) -> list[tuple[Organisation, object]]:
    counts = subtree_counts(root, nodes, from_counters=True)
    return [(n, counts[n.pk]) for n in nodes]


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """组织树: the user's part of the tree, each node with its subtree figures."""
    roots = _scope_roots(request)
    rows = []
    for root in roots:
        rows.extend(_with_counts(root, [root]))
    return render(request, "atlas/tree.html", {"rows": rows})


@login_required
@permission_required("organisations.view_organisation", raise_exception=True)
def tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: the children of one node, with counts."""
    visible = Organisation.objects.visible_to(request.user)
    node = get_object_or_404(visible, pk=pk)
    children = list(visible.filter(parent=node).order_by("kind", "name"))
    return render(request, "atlas/_tree_children.html", {"rows": _with_counts(node, children)})


@login_required
@permission_required("organisations.view_organisation", raise_exception=True)
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Organisation.objects.visible_to(request.user)
    node = get_object_or_404(visible, pk=pk)
    children = list(visible.filter(parent=node).order_by("kind", "name"))
    counts = subtree_counts(node, [node, *children], from_counters=True)
    above = [int(x) for x in node.path.strip("/").split("/") if x and int(x) != node.pk]
    crumbs = list(visible.filter(pk__in=above).order_by("depth"))
    buildings = None
    if node.kind == Kind.GRID:
        buildings = (
            Building.objects.visible_to(request.user)
            .filter(grid=node)
            .annotate(n_households=Count("units__households", distinct=True))
            .select_related("compound")
        )
    user = request.user
    linked = None
    if node.kind == Kind.CENTRAL_HOUSEHOLD and user.has_perm("places.view_household"):
        linked = (
            Household.objects.visible_to(user)
            .filter(link__central__organisation=node)
            .select_related("unit__building")
        )
    members = None
    if node.is_party and user.has_perm("people.view_partymember"):
        members = (
            PartyMember.objects.visible_to(user)
            .filter(organisation=node)
            .select_related("resident")
            .order_by("resident__name")[:200]
        )
    # Name the party superior only when it is inside the user's own part of the tree.
    party_parent = visible.filter(pk=node.party_parent_id).first() if node.party_parent_id else None
    # Down the party chain: the organisations whose party superior this is (a 社区党委's
    # branches sit under grids in the tree, so they are not its tree children).
    party_children = None
    keeper = None
    # 中心户 are named after their member: the chain is shown to those who see members.
    if node.is_party and user.has_perm("people.view_partymember"):
        below = list(
            visible.filter(party_parent=node).select_related("parent").order_by("kind", "name")
        )  # the page names each one's place in the tree (`ch.parent.name`)
        below_counts = subtree_counts(node, below, from_counters=True) if below else {}
        party_children = [(c, below_counts[c.pk]) for c in below]
        central = (
            getattr(node, "central_household", None)
            if node.kind == Kind.CENTRAL_HOUSEHOLD
            else None
        )
        if central is not None and user.has_perm("people.view_partymember"):
            keeper = (
                PartyMember.objects.visible_to(user)
                .filter(pk=central.keeper_id)
                .select_related("resident")
                .first()
            )
    return render(
        request,
        "atlas/organisation.html",
        {
            "node": node,
            "crumbs": crumbs,
            "counts": counts[node.pk],
            "children": [(c, counts[c.pk]) for c in children],
            "buildings": buildings,
            "members": members,
            "linked": linked,
            "party_parent": party_parent,
            "party_children": party_children,
            "keeper": keeper,
        },
    )


@login_required
@permission_required("places.view_building", raise_exception=True)
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_object_or_404(
        Building.objects.visible_to(request.user).select_related("grid", "compound"), pk=pk
    )
    households = (
        Household.objects.visible_to(request.user)
        .filter(unit__building=building)
        .select_related("unit")
        .annotate(n_residents=Count("residents"))
        .order_by("unit__number", "room")
    )
    units: dict[str, list[Household]] = {}
    for h in households:
        units.setdefault(h.unit.number, []).append(h)
    return render(request, "atlas/building.html", {"building": building, "units": units})


@login_required
@permission_required("places.view_household", raise_exception=True)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related(
            "unit__building__grid", "unit__building__compound"
        ),
        pk=pk,
    )
    from doorstep.atlas.people.models import Resident

    residents = Resident.objects.visible_to(request.user).filter(household=household)
    return render(
        request,
        "atlas/household.html",
        {
            "household": household,
            "residents": residents,
            "central": _central_of(request, household),
        },
    )


def _central_of(request: HttpRequest, household: Household) -> dict[str, Any] | None:
    """The 党员中心户 that keeps in touch with this household, and its member, as far as the
    viewer may see them (the organisation by the tree's scope, the member by theirs)."""
    from doorstep.atlas.people.models import HouseholdLink, PartyMember

    link = (
        HouseholdLink.objects.filter(household=household)
        .select_related("central__organisation", "central__keeper__resident")
        .first()
    )
    if link is None:
        return None
    org = (
        Organisation.objects.visible_to(request.user)
        .filter(pk=link.central.organisation_id)
        .first()
    )
    keeper = (
        PartyMember.objects.visible_to(request.user)
        .filter(pk=link.central.keeper_id)
        .select_related("resident")
        .first()
    )
    return {
        "name": link.central.organisation.name,
        "org": org,
        "keeper": keeper,
        "since": link.since,
    }


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """搜索: people, buildings, compounds and organisations, within the user's scope."""
    # The form posts, so a full ID or phone number never sits in the URL (a GET with one
    # is refused by NumbersOutOfUrlsMiddleware); a GET still serves links to a name.
    # NUL cannot be stored or matched by PostgreSQL; very long patterns overwhelm SQLite.
    source = request.POST if request.method == "POST" else request.GET
    q = source.get("q", "").replace("\x00", "").strip()[:100]
    kind = source.get("kind", "")
    if q and kind in search_queries.KINDS:
        # Every match of one kind, page by page: the count is the rows paged through.
        page = Paginator(search_queries.matches(request.user, q, kind), 50).get_page(
            source.get("page")
        )
        return render(
            request,
            "atlas/search_kind.html",
            {"q": q, "kind": kind, "label": search_queries.KIND_LABELS[kind], "page": page},
        )
    results = search_queries.search_all(request.user, q) if q else None
    return render(
        request,
        "atlas/search.html",
        {"q": q, "results": results, "labels": search_queries.KIND_LABELS},
    )


@login_required
@permission_required("core.view_auditentry", raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    """审计日志: read-only, for audit admins; filters by action, account, object type and
    (Beijing) day; each object named as the site shows it (personal data masked)."""
    recorded = (
        AuditEntry.objects.exclude(target_type="")
        .order_by()
        .values_list("target_type", flat=True)
        .distinct()
    )
    types = sorted(((t, audit_labels.type_label(t)) for t in recorded), key=lambda p: p[1])
    form = AuditFilter(request.GET or None, types=types)
    entries = AuditEntry.objects.select_related("actor").order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["user"]:
            entries = entries.filter(actor_name__icontains=data["user"].strip())
        if data["type"]:
            entries = entries.filter(target_type=data["type"])
            if data["target"]:
                entries = entries.filter(target_id=data["target"])
        if data["since"]:
            entries = entries.filter(at__gte=_day_start(data["since"]))
        if data["until"]:
            entries = entries.filter(at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "atlas/audit.html",
        {"page": page, "form": form, "objects": audit_labels.describe(page.object_list)},
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
