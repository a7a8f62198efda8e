"""Queues: the staff list with tabs and filters, and the claimable pool (接单池)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from doorstep.accounts.scopes import path_q, scope_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.cases.calendar import TZ
from doorstep.cases.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    Case,
    CaseEvent,
    Category,
    Flag,
    Summons,
    matching,
)
from doorstep.cases.rates import RATE_LABELS, rates_for
from doorstep.cases.scoping import handler_org_ids
from doorstep.cases.services import moves_for
from doorstep.cases.tally import CLOSED_STATUSES as CLOSED_NOW
from doorstep.cases.workflow import DONE, HANDLING, OPEN, UNFINISHED, S
from doorstep.core.access import held
from doorstep.core.ids import parse_id
from doorstep.core.options import select_options

from .forms import QueueFilter
from .views_common import is_case_staff, require_any, visible_cases

TABS: list[tuple[str, str, frozenset[str] | None]] = [
    ("todo", "我的待办", None),
    ("submitted", "待受理", frozenset({S.SUBMITTED, S.NEEDS_INFO})),
    ("accepted", "待派单", frozenset({S.ACCEPTED})),
    ("handling", "办理中", frozenset({S.DISPATCHED, S.POOL}) | HANDLING),
    ("resolved", "待审核", frozenset({S.RESOLVED})),
    ("done", "已办结", DONE),
    ("open", "在办", OPEN),
    ("all", "全部", None),
]
RATE_KEYS = ("received", "closing_rate", "on_time_rate", "satisfaction_rate", "response_rate")


def my_todo(user: Any, qs: QuerySet[Case]) -> QuerySet[Case]:
    """Cases that likely wait on me: assigned to me or my units, summoned, or owned by my
    part of the tree in a status where the owner acts (an approximation of moves_for)."""
    orgs = handler_org_ids(user)
    assigned = Assignment.objects.filter(state__in=ACTIVE_ASSIGNMENT).filter(
        Q(user=user) | Q(organisation_id__in=orgs, user__isnull=True)
    )
    q = Q(pk__in=assigned.values("case_id"), status__in=HANDLING | {S.DISPATCHED})
    q |= Q(
        pk__in=Summons.objects.filter(department_id__in=orgs, reported_at__isnull=True).values(
            "whistle__case_id"
        ),
        status__in=OPEN,
    )
    q |= Q(reporter=user, status__in={S.DRAFT, S.NEEDS_INFO, S.PENDING_RATING})
    if user.has_perm("cases.receive_case") or user.has_perm("cases.dispatch_case"):
        owner_q = path_q("owner_path", scope_of(user))
        q |= owner_q & Q(status__in={S.SUBMITTED, S.ACCEPTED, S.RESOLVED})
    # Every branch is unfinished; saying so lets the database read the few unfinished cases
    # (the partial index case_unfinished_newest) instead of a year of them.
    return qs.filter(q, status__in=UNFINISHED)


def _rates_panel(user: Any) -> list[dict[str, Any]]:
    """办结率/满意率… of the communities and streets where the user dispatches."""
    if not user.has_perm("cases.dispatch_case"):
        return []
    facts = held(user)
    ids = [
        org
        for _scope, org, _path, _role in facts.rows
        if facts.org_kinds.get(org) in (Kind.STREET, Kind.COMMUNITY, Kind.DISTRICT)
    ]
    found = Organisation.objects.outside_door("the desk's own areas, from what the user holds")
    named = found.filter(pk__in=ids).only("id", "name", "path", "kind").in_bulk()
    orgs = [named[pk] for pk in dict.fromkeys(ids) if pk in named]
    out = []
    for org in orgs[:3]:
        r = rates_for(org)
        out.append(
            {
                "org": org,
                "items": [(k, RATE_LABELS[k], r.get(k)) for k in RATE_KEYS],
            }
        )
    return out


@dataclass(frozen=True)
class Queue:
    """What the list shows for one set of query parameters: the tab, the filter form (bound;
    invalid values are ignored by the page and refused by the export) and the cases."""

    tab: str
    form: QueueFilter
    cases: QuerySet[Case]
    node: Organisation | None = None  # the `org` filter's node, when it is in scope


# The period filters by local day: 受理于 is the cockpit's cohort (the cases received in
# the period, cancelled ones left out: cases/tally.py); 办结于 finds closings by day.
PERIODS: dict[str, tuple[str, Q]] = {
    "received": ("受理于", Q(data__received=True)),
    "closed": ("办结于", Q(to_status=S.CLOSED, data__closing=True)),
}


def period_events(which: str, start: dt.date | None, end: dt.date | None) -> QuerySet[CaseEvent]:
    """The receiving or closing events on the local days start..end (either may be open)."""
    events = CaseEvent.objects.filter(PERIODS[which][1])
    if start is not None:
        events = events.filter(at__gte=dt.datetime.combine(start, dt.time(), TZ))
    if end is not None:
        events = events.filter(
            at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), TZ)
        )
    return events


def queue(user: Any, params: QueryDict) -> Queue:
    """The cases of the staff list for these query parameters, in scope, newest first.
    The page and its Excel export both read the list through here."""
    tab = params.get("tab") or "todo"
    tabs = {t[0]: t for t in TABS}
    if tab not in tabs:
        tab = "todo"
    qs = visible_cases(user).select_related("category", "territory")
    node = None
    if tab == "todo":
        qs = my_todo(user, qs)
    else:
        statuses = tabs[tab][2]
        if statuses is not None:
            qs = qs.filter(status__in=statuses)
    form = QueueFilter(params)
    category = form.cleaned_data.get("category") if form.is_valid() else None
    if category is not None and parse_id(category) is None:  # beyond what an id column holds
        form.add_error("category", "分类编号不正确")
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(matching(d["q"]))
        if d["status"]:
            qs = qs.filter(status=d["status"])
        if d["flag"]:
            qs = qs.filter(flag=d["flag"])
            if d["flag"] != Flag.NORMAL:  # only an open case is flagged (deadlines.flag_for):
                qs = qs.filter(status__in=OPEN)  # saying so reads the unfinished ones only
        if d["kind"]:
            qs = qs.filter(kind=d["kind"])
        if d["category"]:
            qs = qs.filter(Q(category_id=d["category"]) | Q(category__parent_id=d["category"]))
        if d["org"]:
            node = Organisation.objects.visible_to(user).filter(pk=d["org"]).first()
            qs = qs.filter(territory_path__startswith=node.path) if node else qs.none()
        for which in PERIODS:
            start, end = d[f"{which}_from"], d[f"{which}_to"]
            if start or end:
                qs = qs.filter(pk__in=period_events(which, start, end).values("case_id"))
                if which == "received":
                    qs = qs.exclude(status=S.CANCELLED)
        if d["owner"]:
            qs = qs.filter(owner_id=d["owner"])
        if d["whistle"] == "waiting":
            waiting = Summons.objects.filter(reported_at__isnull=True)
            qs = qs.filter(pk__in=waiting.values("whistle__case_id"), status__in=OPEN)
        if d["outcome"]:
            qs = qs.filter(status__in=CLOSED_NOW)
            if d["outcome"] == "late":
                qs = qs.exclude(resolved_on_time=True)
    by_due = form.is_valid() and form.cleaned_data["sort"] == "due"
    order = (F("due_at").asc(nulls_last=True), "id") if by_due else ("-created_at", "-id")
    return Queue(
        tab=tab,
        form=form,
        cases=qs.order_by(*order),
        node=node if form.is_valid() else None,
    )


def period_chips(shown: Queue, params: QueryDict) -> list[dict[str, Any]]:
    """The active period filters as chips ("受理于 2026-11-01 至 2026-11-30"), each with the
    list's address without it. For 办结 the chip also says how many closings the cases had
    in the period, when that differs from the number of cases: the cockpit's 办结 counts a
    case closed, reopened and closed again once for each closing."""
    if not shown.form.is_valid():
        return []
    d = shown.form.cleaned_data
    chips = []
    for which, (verb, _q) in PERIODS.items():
        start, end = d[f"{which}_from"], d[f"{which}_to"]
        if not (start or end):
            continue
        if start and end:
            text = f"{verb} {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
        elif start:
            text = f"{verb} {start:%Y-%m-%d} 及以后"
        else:
            text = f"{verb} {end:%Y-%m-%d} 及以前"
        rest = params.copy()
        for key in (f"{which}_from", f"{which}_to", "page"):
            rest.pop(key, None)
        chip: dict[str, Any] = {"which": which, "text": text, "remove": "?" + rest.urlencode()}
        if which == "closed":
            closings = period_events(which, start, end).filter(case__in=shown.cases).count()
            chip["events"] = closings
        chips.append(chip)
    return chips


def may_use_list(user: Any) -> None:
    """The list (and its export) is for case staff and those who receive cases."""
    if not is_case_staff(user):
        require_any(user, "cases.receive_case")


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """工单 queue for staff and handlers: tabs, filters, newest first."""
    user = request.user
    may_use_list(user)
    shown = queue(user, request.GET)
    page = Paginator(shown.cases, 20).get_page(request.GET.get("page"))
    # The categories some case has (one index probe each, not a join over every case).
    used = Case.objects.outside_door("whether any case has the category").filter(
        category_id=OuterRef("pk")
    )
    categories = select_options(
        (
            (pk, full_name or name)
            for pk, full_name, name in Category.objects.filter(Exists(used))
            .order_by("code")
            .values_list("pk", "full_name", "name")[:300]
        ),
        str(shown.form["category"].value() or ""),
    )
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["tab"] = shown.tab
    # A filter that cannot be read is named on the page; the tab is listed without filters.
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "form": shown.form,
            "tab": shown.tab,
            "tabs": [(t[0], t[1]) for t in TABS],
            "categories": categories,
            # the filter selects as options built in Python (core/options.py): Django's
            # widgets render each option through a template of its own
            "choices": {
                name: select_options(
                    shown.form.fields[name].choices,  # type: ignore[attr-defined]
                    str(shown.form[name].value() or ""),
                )
                for name in ("status", "flag", "kind")
            },
            "rates": _rates_panel(user),
            "export_url": reverse("desk:export") + "?" + export_query.urlencode(),
            "node": shown.node,
            "chips": period_chips(shown, request.GET),
            "kept": kept_filters(shown),
            "labels": filter_labels(shown, user),
        },
        status=400 if shown.form.errors else 200,
    )


def filter_labels(shown: Queue, user: Any) -> list[tuple[str, str]]:
    """The filters the form has no field for, in words ("派单单位：学院路街道")."""
    if not shown.form.is_valid():
        return []
    d, out = shown.form.cleaned_data, []
    if d["owner"]:
        named = Organisation.objects.visible_to(user).filter(pk=d["owner"])
        owner = named.values_list("name", flat=True).first()
        out.append(("owner", f"派单单位：{owner or '—'}"))
    for name in ("whistle", "outcome", "sort"):
        if d[name]:
            out.append((name, dict(shown.form.fields[name].choices)[d[name]]))  # type: ignore[attr-defined]
    return out


def kept_filters(shown: Queue) -> list[tuple[str, str]]:
    """The drill-down filters the filter form has no field for, kept when it is submitted."""
    if not shown.form.is_valid():
        return []
    d = shown.form.cleaned_data
    names = ["org", "owner", "whistle", "sort", "outcome"]
    names += [f"{w}_{end}" for w in PERIODS for end in ("from", "to")]
    return [
        (n, d[n].isoformat() if hasattr(d[n], "isoformat") else str(d[n])) for n in names if d[n]
    ]


@login_required
def pool(request: HttpRequest) -> HttpResponse:
    """接单池: orders open to party members and volunteers of the community."""
    require_any(request.user, "cases.claim_case", "cases.dispatch_case")
    return render_pool(request)


def pool_cases(user: Any) -> QuerySet[Case]:
    """The orders in the pools the user sees (接单池), newest first."""
    return (
        visible_cases(user)
        .filter(status=S.POOL)
        .select_related("category", "territory", "building")
        .order_by("-created_at", "-id")
    )


def render_pool(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    qs = pool_cases(request.user)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    can_claim = request.user.has_perm("cases.claim_case")
    for case in page.object_list:
        case.claimable = any(m.code == "claim" for m in moves_for(case, request.user))  # type: ignore[attr-defined]
    return render(
        request,
        "cases/pool.html",
        {"page": page, "can_claim": can_claim, "error": error},
        status=status,
    )
