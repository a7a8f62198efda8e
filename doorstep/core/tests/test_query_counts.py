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

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
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


def _sites(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.nearby.sites.services import create_site

    start = state.setdefault("sites", 0)
    for i in range(start, start + n):
        create_site(
            actor=None,  # registered as seeding does: the back office uses its form
            name=f"邻里之家第{i}站",
            kind="neighbourhood",
            organisation=cw.world.community_1,
            territory=cw.world.community_1,
            address=f"静淑苑{i}号楼底商",
            lat=40.0,
            lon=116.35 + 0.001 * i,
            services=["water"],
        )
    state["sites"] = start + n


def _teams(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.service import teams
    from doorstep.service.models import Theme

    red = Theme.objects.get(code="red")
    start = state.setdefault("teams", 0)
    for i in range(start, start + n):
        teams.create_team(
            actor=cw.personas["community_officer"],
            organisation=cw.world.grid_a,
            name=f"红舍管家服务队{i}",
            theme=red,
            leader=cw.personas["volunteer"],
            skills="理发、修家电",
        )
    state["teams"] = start + n


def _projects(cw: Any, state: dict[str, Any], n: int) -> None:
    import datetime as dt

    from doorstep.cogov import projects

    today = dt.date.today()
    start = state.setdefault("projects", 0)
    for i in range(start, start + n):
        projects.propose(
            actor=cw.personas["community_officer"],
            node=cw.world.grid_a,
            title=f"骑手爱心驿站{i}",
            starts_on=today,
            ends_on=today + dt.timedelta(days=90),
        )
    state["projects"] = start + n


def _resources(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.cogov import services as cogov

    start = state.setdefault("resources", 0)
    for i in range(start, start + n):
        cogov.offer_resource(
            actor=cw.personas["community_officer"],
            provider=cw.world.community_1,
            title=f"社区活动室{i}",
            kind="venue",
            fields=["culture", "new_workers"],
            capacity="10",
            unit="sessions",
        )
    state["resources"] = start + n


def _surveys(cw: Any, state: dict[str, Any], n: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from doorstep.deliberation import surveys

    officer = cw.personas["community_officer"]
    now = timezone.now()
    start = state.setdefault("surveys", 0)
    for i in range(start, start + n):
        survey = surveys.draw_up(
            actor=officer,
            node=cw.world.community_1,
            title=f"加装电梯意愿调查{i}",
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=14),
        )
        surveys.add_question(
            actor=officer,
            survey=survey,
            kind="single",
            text_="您是否同意加装电梯？",
            options=["同意", "不同意"],
        )
        surveys.open_survey(actor=officer, survey=survey)  # a resident sees the open ones
    state["surveys"] = start + n


def _campaigns(cw: Any, state: dict[str, Any], n: int) -> None:
    import datetime as dt

    from doorstep.deliberation import campaigns

    today = dt.date.today()
    start = state.setdefault("campaigns", 0)
    for i in range(start, start + n):
        campaigns.launch(
            actor=cw.personas["community_officer"],
            node=cw.world.grid_a,
            title=f"敲门行动第{i}轮",
            purpose="走访问需",
            starts_on=today,
            ends_on=today + dt.timedelta(days=30),
        )
    state["campaigns"] = start + n


def _ballots(cw: Any, state: dict[str, Any], n: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from doorstep.atlas.people import holdings, households
    from doorstep.atlas.places.models import Building, Compound, Household, Unit
    from doorstep.deliberation import ballots

    officer = cw.personas["community_officer"]
    if "compound" not in state:  # compounds and buildings come from the ledger import
        compound = Compound.objects.create(name="静淑苑", community=cw.world.community_1)
        building = Building.objects.create(
            name="静淑苑5号楼", grid=cw.world.grid_a, compound=compound, address="静淑苑5号楼"
        )
        part = households.save_household(
            household=Household(
                unit=Unit.objects.create(building=building, number="1单元"),
                room="501",
                area=9_000,
                area_source="registered",
            )
        )
        # 王芳 (the resident persona) owns the compound's one part: she is on every roll
        holdings.register(actor=officer, household=part, resident=cw.world.planted)
        state["compound"] = compound
    now = timezone.now()
    start = state.setdefault("ballots", 0)
    for i in range(start, start + n):
        ballot = ballots.draw_up(
            actor=officer,
            compound=state["compound"],
            title=f"选聘物业第{i}次表决",
            question="是否同意选聘××物业为静淑苑物业服务企业？",
            matter="ordinary",
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=7),
        )
        ballots.open_ballot(actor=officer, ballot=ballot)  # an owner is asked the open ones
    state["ballots"] = start + n


def _child_organisations(cw: Any, state: dict[str, Any], n: int) -> None:
    start = state.setdefault("children", 0)
    for i in range(start, start + n):
        create_organisation(name=f"清华东路新网格{i}", kind=Kind.GRID, parent=cw.world.community_1)
    state["children"] = start + n


def _party_children(cw: Any, state: dict[str, Any], n: int) -> None:
    from doorstep.atlas.organisations.models import Organisation

    if "committee" not in state:  # 清华东路社区党委: its branches sit under the grids
        state["committee"] = Organisation.objects.get(
            kind=Kind.PARTY_COMMITTEE, parent=cw.world.community_1
        )
    start = state.setdefault("branches", 0)
    for i in range(start, start + n):
        grid = create_organisation(  # a grid has one branch at most
            name=f"清华东路新网格{i}", kind=Kind.GRID, parent=cw.world.community_1
        )
        create_organisation(
            name=f"清华东路新支部{i}",
            kind=Kind.GRID_BRANCH,
            parent=grid,
            party_parent=state["committee"],
        )
    state["branches"] = start + n


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
    "open311 requests": PageKind(
        "resident", lambda cw, s: "/open311/v2/requests.json", _cases, "楼道灯坏了第6盏"
    ),
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
    "service sites": PageKind("resident", lambda cw, s: "/sites/", _sites, "邻里之家第5站"),
    "volunteer teams": PageKind(
        "community_officer", lambda cw, s: "/service/teams/", _teams, "红舍管家服务队5"
    ),
    "volunteer teams of a volunteer": PageKind(
        "volunteer", lambda cw, s: "/service/teams/", _teams, "红舍管家服务队5"
    ),
    "projects list": PageKind(
        "community_officer", lambda cw, s: "/cogov/projects/", _projects, "骑手爱心驿站5"
    ),
    "resources list": PageKind(
        "community_officer", lambda cw, s: "/cogov/resources/", _resources, "社区活动室5"
    ),
    "surveys list": PageKind(
        "community_officer", lambda cw, s: "/surveys/", _surveys, "加装电梯意愿调查5"
    ),
    "surveys list of a resident": PageKind(
        "resident", lambda cw, s: "/surveys/", _surveys, "加装电梯意愿调查5"
    ),
    "campaigns list": PageKind(
        "community_officer", lambda cw, s: "/campaigns/", _campaigns, "敲门行动第5轮"
    ),
    "ballots list": PageKind(
        "community_officer", lambda cw, s: "/votes/", _ballots, "选聘物业第5次表决"
    ),
    "ballots pending for an owner": PageKind(
        "resident", lambda cw, s: "/votes/?mine=1", _ballots, "选聘物业第5次表决"
    ),
    "organisation children": PageKind(
        "community_officer",
        lambda cw, s: f"/org/{cw.world.community_1.pk}/",
        _child_organisations,
        "清华东路新网格5",
    ),
    "party organisation children": PageKind(
        "community_officer",
        lambda cw, s: f"/org/{s['committee'].pk}/",
        _party_children,
        "清华东路新支部5",
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
