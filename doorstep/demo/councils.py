"""议事会 "1+6" on the 学院路 demo: a council for every compound — the 小区党支部 (its
secretary has a login, secretary…, and chairs), the 业委会/物管会, the property company,
the grid's leader and worker (their logins where the grid has them), a 楼栋长 and a
resident representative — and a year of 议事圆桌会 with agendas of the topics staff
recorded, sign-ins, decisions with council votes and minutes the chair signed off.
Written through `doorstep.deliberation` like any council; times are the services' "now"
moved into the past (`at_moment`)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Compound
from doorstep.deliberation import councils, meetings, topics
from doorstep.deliberation.models import AgendaItem, Council, Meeting, Topic

from .cases.clock import at_moment
from .common import Log
from .logins import Login, ensure_logins

# What a compound's council talks about over a year (staff record each as a topic).
AGENDA = (
    ("楼道堆物清理与消防通道畅通", "adopted"), ("小区垃圾分类桶站调整", "adopted"),
    ("老旧单元门禁更换", "adopted"), ("绿地改建儿童活动场地", "deferred"),
    ("物业费收缴与公示", "adopted"), ("非机动车停放秩序", "adopted"),
    ("雨季排水与地下室防汛", "adopted"), ("电梯维保与应急演练", "adopted"),
)  # fmt: skip
MEETINGS_A_YEAR = 4


def _users() -> dict[str, Any]:
    return {u.username: u for u in get_user_model().objects.filter(is_active=True)}


def _staff(community: Organisation) -> Any:
    held = (
        Membership.objects.filter(organisation=community, role__code="community_staff")
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return held.user if held is not None else None


def _grid_logins(compound: Compound) -> dict[str, Any]:
    grids = Organisation.objects.filter(buildings__compound=compound).distinct()
    found: dict[str, Any] = {}
    for m in Membership.objects.filter(
        organisation__in=grids, role__code__in=["grid_leader", "grid_worker"]
    ).select_related("user", "role"):
        found.setdefault(m.role.code, m.user)
    return found


def seed_councils(street: Organisation, log: Log) -> None:
    if Council.objects.filter(path__startswith=street.path).exists():
        return
    compounds = list(
        Compound.objects.filter(community__path__startswith=street.path).order_by(
            "community_id", "pk"
        )
    )
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    end = start + dt.timedelta(days=3 * 365)
    made = 0
    for n, compound in enumerate(compounds, start=1):
        community = compound.community
        staff = _staff(community)
        residents = list(
            Resident.objects.filter(
                household__unit__building__compound=compound, user__isnull=True
            ).order_by("pk")[:6]
        )
        if staff is None or len(residents) < 6:
            continue
        username = "secretary" if n == 1 else f"secretary{n}"
        chair_resident = residents[0]
        ensure_logins(
            [
                Login(
                    username,
                    f"党支部书记{chair_resident.name}",
                    "resident",
                    community,
                    chair_resident,
                )
            ]
        )
        chair = get_user_model().objects.get(username=username)
        council = councils.set_up(
            actor=staff, community=community, compound=compound, name=f"{compound.name}小区议事会",
            seats={"branch": 1, "owners": 1, "property": 1, "grid_leader": 1, "grid_worker": 1,
                   "building": 1, "resident": 1},
        )  # fmt: skip
        grid = _grid_logins(compound)
        people = [
            ("branch", chair_resident.name, chair, True),
            ("owners", residents[1].name, None, False),
            ("property", f"物业项目经理{residents[2].name[0]}经理", None, False),
            ("grid_leader", grid["grid_leader"].display_name if "grid_leader" in grid else residents[3].name,
             grid.get("grid_leader"), False),
            ("grid_worker", grid["grid_worker"].display_name if "grid_worker" in grid else residents[4].name,
             grid.get("grid_worker"), False),
            ("building", residents[4].name if "grid_worker" in grid else residents[3].name, None, False),
            ("resident", residents[5].name, None, False),
        ]  # fmt: skip
        for kind, name, user, is_chair in people:
            councils.add_member(
                actor=staff, council=council, kind=kind, name=name, user=user, is_chair=is_chair,
                starts_on=start, ends_on=end,
            )  # fmt: skip
        made += 1
    log(f"  议事会 {made} 个（每个小区“1+6”，召集人账号 secretary…）")


def hold(
    council: Council,
    agenda: list[Topic],
    when: dt.datetime,
    outcomes: list[str],
    rng: random.Random,
    *,
    title: str,
    minutes: str = "",
) -> list[AgendaItem]:
    """A 议事圆桌会 at `when` on accepted topics: members sign in (most of them), each topic
    decided (by a council vote when adopted or rejected), minutes signed off by the chair."""
    staff = _staff(council.node)
    with at_moment(when - dt.timedelta(days=7)):
        meeting = meetings.convene(
            actor=staff, council=council, title=title, topics=agenda,
            starts_at=when, ends_at=when + dt.timedelta(hours=2),
            place=f"{council.compound.name if council.compound else council.node.name}党群服务站",
        )  # fmt: skip
    invited = list(
        council.members.filter(pk__in=meeting.invitations.values("member_id")).order_by("pk")
    )
    absent = rng.sample(invited[1:], k=rng.choice([0, 1, 1, 2]))
    for n, member in enumerate(m for m in invited if m not in absent):
        with at_moment(when - dt.timedelta(minutes=10) + dt.timedelta(minutes=n)):
            if member.user is not None:
                meetings.sign_in(actor=member.user, meeting=meeting, token=meeting.token)
            else:
                meetings.sign_in_for(actor=staff, meeting=meeting, member=member)
    present = len(invited) - len(absent)
    items = list(meeting.agenda.select_related("topic").order_by("order"))
    lines = []
    with at_moment(when + dt.timedelta(hours=1)):
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome == "deferred":
                meetings.decide(actor=staff, item=item, outcome="deferred",
                                decision="意见分歧较大，会后征求更多居民意见，下次会议再议")  # fmt: skip
                lines.append(f"{item.order}. {item.topic.title}：暂缓，继续协商。")
                continue
            yes = present - rng.choice([0, 0, 1]) if outcome == "adopted" else 2
            no = present - yes
            meetings.decide(actor=staff, item=item, decision=f"{item.topic.title}：按讨论形成的方案实施",
                            yes=yes, no=no, abstain=0)  # fmt: skip
            lines.append(
                f"{item.order}. {item.topic.title}：同意{yes}票，反对{no}票，{'通过' if outcome == 'adopted' else '未通过'}。"
            )
        meetings.write_minutes(
            actor=staff, meeting=meeting,
            minutes=minutes or f"应到{len(invited)}人，实到{present}人。\n" + "\n".join(lines),
        )  # fmt: skip
    chair = next(m.user for m in invited if m.is_chair and m.user is not None)
    with at_moment(when + dt.timedelta(hours=3)):
        meetings.sign_off(actor=chair, meeting=meeting)
    return items


def seed_meetings(street: Organisation, log: Log) -> None:
    """A year of meetings for every council (one every quarter), on topics staff record."""
    if Meeting.objects.filter(path__startswith=street.path, title__contains="季度").exists():
        return
    rng = random.Random(20)
    now = timezone.now()
    held = 0
    for n, council in enumerate(
        Council.objects.filter(path__startswith=street.path)
        .select_related("node", "compound")
        .order_by("pk")
    ):
        staff = _staff(council.node)
        for q in range(MEETINGS_A_YEAR):
            when = timezone.localtime(now - dt.timedelta(days=350 - 90 * q - n)).replace(
                hour=19, minute=0, second=0, microsecond=0
            )  # an evening, local time
            picked = [AGENDA[(2 * q + n) % len(AGENDA)], AGENDA[(2 * q + n + 1) % len(AGENDA)]]
            agenda = []
            for title, _outcome in picked:
                with at_moment(when - dt.timedelta(days=14)):
                    topic = topics.raise_topic(
                        actor=staff, title=title, node=council.node, compound=council.compound
                    )
                with at_moment(when - dt.timedelta(days=12)):
                    agenda.append(topics.accept(actor=staff, topic=topic))
            hold(council, agenda, when, [o for _t, o in picked], rng,
                 title=f"第{q + 1}季度议事圆桌会")  # fmt: skip
            held += 1
    log(f"  议事圆桌会 {held} 次（纪要均由召集人签发）")
