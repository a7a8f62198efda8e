"""A page's queries do not grow with the rows it shows (no N+1): each page kind is asked
with one row of what it lists and then with six, as the persona who uses it, and must run
the same number of queries both times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doorstep.atlas.people.services import create_resident
from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.inbox.services import Message, deliver


@dataclass(frozen=True)
class PageKind:
    persona: str
    url: Callable[[Any, dict[str, Any]], str]
    grow: Callable[[Any, dict[str, Any], int], None]  # add n rows the page shows
    shows: str = ""  # text of the last row grown, when the page lists rows one by one


def _cases(cw: Any, state: dict[str, Any], n: int) -> None:
    for _ in range(n):
        case = cases.create_case(
            actor=cw.personas["resident"],
            category=cw.repair,
            description=f"楼道灯坏了第{len(state.setdefault('cases', [])) + 1}盏，晚上看不见路",
            location=locate(building=cw.world.building_a),
        )
        state["cases"].append(case)


def _history(cw: Any, state: dict[str, Any], n: int) -> None:
    if "case" not in state:
        state["case"] = cases.create_case(
            actor=cw.personas["resident"],
            category=cw.repair,
            description="单元门禁坏了，门一直关不上",
            location=locate(building=cw.world.building_a),
        )
    for i in range(n):
        cases.perform(
            state["case"].pk, "urge", actor=cw.personas["community_officer"], note=f"催办{i}"
        )


def _messages(cw: Any, state: dict[str, Any], n: int) -> None:
    user = cw.personas["resident"].pk
    deliver([Message(user, "case", f"工单进展{i}", "已派单", "/cases/mine/") for i in range(n)])


def _residents(cw: Any, state: dict[str, Any], n: int) -> None:
    start = state.setdefault("residents", 0)
    for i in range(start, start + n):
        create_resident(
            household=cw.world.household_a,
            name=f"测试居民{i}",
            residence_type="registered",
            relation="other",
            phone=f"1390000{i:04d}",
            tags=["elderly_alone"],
            actor=None,
        )
    state["residents"] = start + n


def _needs(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.cogov import services as cogov

    for i in range(n):
        cogov.record_need(
            actor=cw.personas["community_officer"],
            node=cw.world.grid_a,
            title=f"骑手歇脚点{i}",
            field="new_workers",
            wants="service",
        )


def _topics(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.deliberation import topics

    for i in range(n):
        topics.raise_topic(  # recorded by staff: a resident may have 5 pending at most
            actor=cw.personas["community_officer"],
            title=f"小区加装电梯第{i}号议题",
            detail="居民在敲门走访时提出",
            node=cw.world.community_1,
        )


def _activities(cw: Any, state: dict[str, Any], n: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from doorstep.nearby.activities import services as activities

    day = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    day += dt.timedelta(days=1)
    state["month"] = f"{day:%Y-%m}"  # the calendar is asked for the activities' month
    for i in range(n):
        start = day + dt.timedelta(minutes=20 * (state.get("activities", 0) + i))
        activities.publish(
            actor=cw.personas["community_officer"],
            title=f"书法培训第{i}期",
            kind="training",
            organiser=cw.world.community_1,
            territory=cw.world.community_1,
            address="社区活动室",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            capacity=30,
        )
    state["activities"] = state.get("activities", 0) + n


def _party_members(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.atlas.people import households
    from doorstep.atlas.people.models import PartyMember

    start = state.setdefault("members", 0)
    for i in range(start, start + n):
        resident = create_resident(
            household=cw.world.household_a2,
            name=f"党员{i}",
            residence_type="registered",
            actor=None,
        )
        households.save_party_member(
            member=PartyMember(resident=resident, organisation=cw.world.branch_a)
        )
    state["members"] = start + n


PAGES: dict[str, PageKind] = {
    "activity calendar": PageKind(
        "resident", lambda cw, s: f"/activities/?month={s['month']}", _activities
    ),
    "activity calendar of staff": PageKind(
        "community_officer",
        lambda cw, s: f"/activities/?month={s['month']}",
        _activities,
        "书法培训第4期",
    ),
    "party members": PageKind(
        "community_officer", lambda cw, s: "/party/", _party_members, "党员5"
    ),
    "needs list": PageKind("community_officer", lambda cw, s: "/cogov/", _needs, "骑手歇脚点4"),
    "topics list": PageKind(
        "community_officer", lambda cw, s: "/topics/", _topics, "小区加装电梯第4号议题"
    ),
    "topics list of a resident": PageKind("resident", lambda cw, s: "/topics/", _topics),
    "case desk": PageKind("community_officer", lambda cw, s: "/cases/", _cases, "楼道灯坏了第6盏"),
    "my cases": PageKind("resident", lambda cw, s: "/cases/mine/", _cases, "楼道灯坏了第6盏"),
    "case page": PageKind(
        "community_officer", lambda cw, s: f"/cases/{s['case'].number}/", _history
    ),
    "inbox": PageKind("resident", lambda cw, s: "/inbox/", _messages, "工单进展4"),
    "workbench": PageKind("community_officer", lambda cw, s: "/", _cases),
    "grid workbench": PageKind("grid_worker_a", lambda cw, s: "/", _cases),
    "cockpit": PageKind("street_officer", lambda cw, s: f"/cockpit/{cw.world.street.pk}/", _cases),
    "cockpit drill list": PageKind(
        "street_officer",
        lambda cw, s: f"/cockpit/{cw.world.street.pk}/list/residents/",
        _residents,
    ),
    "household page": PageKind(
        "community_officer",
        lambda cw, s: f"/households/{cw.world.household_a.pk}/",
        _residents,
        "测试居民5",
    ),
    "search": PageKind(
        "community_officer", lambda cw, s: "/search/?q=测试居民", _residents, "测试居民5"
    ),
    "resident page of a grid": PageKind(
        "grid_worker_a", lambda cw, s: f"/households/{cw.world.household_a.pk}/", _residents
    ),
}


def _count(client: Any, url: str) -> tuple[int, list[str], str]:
    cache.clear()  # figures cached in one request must not make the next one cheaper
    client.get(url)  # warm: the session, the persona's scope
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), [q["sql"] for q in queries.captured_queries], response.content.decode()


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_a_pages_queries_do_not_grow_with_its_rows(
    cw, client, kind, django_capture_on_commit_callbacks
):
    page = PAGES[kind]
    state: dict[str, Any] = {}
    with django_capture_on_commit_callbacks(execute=True):
        page.grow(cw, state, 1)
    client.force_login(cw.personas[page.persona])
    url = page.url(cw, state)
    few, _, _ = _count(client, url)

    with django_capture_on_commit_callbacks(execute=True):
        page.grow(cw, state, 5)
    many, sql, page_text = _count(client, url)

    if page.shows:
        assert page.shows in page_text, f"{kind}: the rows grown are not on the page"

    assert many == few, f"{kind}: {few} queries with one row, {many} with six:\n" + "\n".join(sql)
