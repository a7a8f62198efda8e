"""The workbench's case-list cards (工单): counts of the staff case lists with their
nearest deadlines, per role, kept in the figure cache until a case table is written
(`cards.kept`: 已超期 is the flag the sweep stores, not the clock)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import QueryDict
from django.urls import reverse

from .cards import NEAREST, ROWS, Card, Row, case_row, first_rows, home_org, kept


def case_card(
    user: Any, key: str, title: str, params: dict[str, Any], hint: str = ""
) -> Card | None:
    """A count of the staff case list under `params`, with its nearest deadlines."""
    from doorstep.cases.web.views_queue import may_use_list

    try:
        may_use_list(user)
    except PermissionDenied:
        return None
    wanted = tuple(sorted((name, str(value)) for name, value in params.items()))
    count, soonest = kept("case_card", user, wanted, lambda: _case_rows(user, params))
    return Card(
        key,
        title,
        reverse("desk:list") + "?" + urlencode(params),
        count,
        soonest,
        hint,
    )


def _case_rows(user: Any, params: dict[str, Any]) -> tuple[int, list[Row]]:
    from doorstep.cases.web.views_queue import queue

    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = str(value)
    count, soonest = first_rows(queue(user, query).cases.order_by(*NEAREST), ROWS)
    return count, [case_row(c) for c in soonest]


def to_receive(user: Any) -> Card | None:
    if not user.has_perm("cases.receive_case"):
        return None
    return case_card(user, "to_receive", "待受理", {"tab": "submitted", "sort": "due"})


def to_dispatch(user: Any) -> Card | None:
    if not user.has_perm("cases.dispatch_case"):
        return None
    return case_card(user, "to_dispatch", "待派单", {"tab": "accepted", "sort": "due"})


def to_verify(user: Any) -> Card | None:
    if not user.has_perm("cases.dispatch_case"):
        return None
    return case_card(
        user, "to_verify", "待核实", {"tab": "resolved", "sort": "due"}, "承办人已回单，待审核办结"
    )


def overdue(user: Any) -> Card | None:
    return case_card(
        user,
        "overdue",
        "已超期",
        {"tab": "all", "flag": "overdue", "sort": "due"},
        "仍在办理、已过期限",
    )


def my_todo(user: Any) -> Card | None:
    return case_card(user, "todo", "我的待办", {"tab": "todo", "sort": "due"})


def grid_open(user: Any) -> Card | None:
    grid = home_org(user, "grid")
    if grid is None:
        return None
    params = {"tab": "open", "org": grid.pk, "sort": "due"}
    return case_card(user, "grid_open", f"{grid.name}在办工单", params, "按期限先后")


def escalations(user: Any) -> Card | None:
    street = home_org(user, "street", "district")
    if street is None or not user.has_perm("cases.dispatch_case"):
        return None
    params = {"tab": "accepted", "owner": street.pk, "sort": "due"}
    return case_card(user, "escalations", "上报到街道、待派单", params, "下级上报或越级上报的工单")


def whistles_waiting(user: Any) -> Card | None:
    if not user.has_perm("cases.whistle_case"):
        return None
    params = {"tab": "all", "whistle": "waiting", "sort": "due"}
    return case_card(user, "whistles", "吹哨待报到", params, "已召集的部门尚未全部报到")


def summonses(user: Any) -> Card | None:
    if not user.has_perm("cases.report_whistle"):
        return None
    return case_card(
        user,
        "summonses",
        "召集与交办",
        {"tab": "todo", "sort": "due"},
        "街道吹哨召集和交办本部门的工单",
    )


def overdue_by_community(user: Any) -> list[Card] | None:
    """已超期 per community of the user's street, each opening its own list (the overdue
    list with `org` set to the community). Every community's count and first two rows come
    from two queries over the street's overdue list, each case tagged with its community,
    rather than a list read per community."""
    from doorstep.cases.web.views_queue import may_use_list

    try:
        may_use_list(user)
    except PermissionDenied:
        return None if home_org(user, "street", "district") is None else []
    cards: list[Card] | None = kept(
        "overdue_by_community", user, (), lambda: _overdue_by_community(user)
    )
    return cards


def _overdue_by_community(user: Any) -> list[Card] | None:
    from doorstep.atlas.organisations.models import Organisation
    from doorstep.cases.web.views_queue import queue

    street = home_org(user, "street", "district")
    if street is None:
        return None
    communities = list(
        Organisation.objects.visible_to(user)
        .filter(parent=street, kind="community")
        .order_by("name")
    )
    if not communities:
        return []
    base = {"tab": "all", "flag": "overdue", "sort": "due"}
    cases = queue(user, QueryDict(urlencode(base))).cases.select_related(None)
    community_of = models.Case(
        *[
            models.When(territory_path__startswith=c.path, then=models.Value(c.pk))
            for c in communities
        ],
        default=None,
        output_field=models.IntegerField(),
    )
    tagged = cases.annotate(community=community_of).filter(community__isnull=False)
    counts = dict(tagged.order_by().values_list("community").annotate(n=Count("pk")))
    first = (
        tagged.only("number", "title", "due_at", "flag")
        .annotate(place=Window(RowNumber(), partition_by=F("community"), order_by=NEAREST))
        .filter(place__lte=2)
        .order_by("community", "place")
    )
    rows: dict[int, list[Row]] = {}
    for case in first:
        rows.setdefault(case.community, []).append(case_row(case))
    return [
        Card(
            f"overdue_{c.pk}",
            f"{c.name} 已超期",
            reverse("desk:list") + "?" + urlencode({**base, "org": c.pk}),
            counts.get(c.pk, 0),
            rows.get(c.pk, []),
        )
        for c in communities
    ]
