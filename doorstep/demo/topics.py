"""议题 and 决议 on the 学院路 demo, in the compound of the owners' votes.

Twelve more owners there get logins (owner01…owner12, 业主) so topics carry real seconds.
Over the past months: the property-company topic, seconded past the threshold, accepted,
decided by the second vote and published as a resolution (an objection answered), then
carried out as a case; a parking topic decided by the community, carried out as a
协商式治理项目 now running; a topic merged, one declined with its reason, one from a
case, the charging-shed topic accepted and on the open vote, and one with enough seconds
awaiting its answer. Written through `doorstep.deliberation` like any topic; times are
the services' "now" moved into the past (`at_moment`)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import HoldingRole, Resident
from doorstep.cases.models import Case, Category
from doorstep.deliberation import meetings, resolutions, topics
from doorstep.deliberation.models import Ballot, Council, Resolution, Topic

from .cases.clock import at_moment
from .common import Log
from .councils import hold
from .logins import Login, ensure_logins

NEIGHBOURS = 12


def _neighbours(compound: Any, community: Organisation) -> list[Any]:
    owners = list(
        Resident.objects.filter(
            household__unit__building__compound=compound,
            holdings__role=HoldingRole.OWNER,
        )
        .filter(Q(user__isnull=True) | Q(user__username__regex=r"^owner\d\d$"))
        .order_by("pk")
        .distinct()[:NEIGHBOURS]
    )
    ensure_logins(
        [
            Login(f"owner{n:02d}", f"业主{r.name}", "resident", community, r)
            for n, r in enumerate(owners, start=1)
        ]
    )
    names = [f"owner{n:02d}" for n in range(1, len(owners) + 1)]
    return list(get_user_model().objects.filter(username__in=names).order_by("username"))


def seed_topics(street: Organisation, log: Log) -> None:
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    staff, owner, leader = users.get("community"), users.get("owner"), users.get("street")
    second_vote = (
        Ballot.objects.filter(path__startswith=street.path, passed=True)
        .select_related("compound__community")
        .order_by("closes_at")
        .first()
    )
    if staff is None or owner is None or leader is None or second_vote is None:
        return
    if Topic.objects.filter(path__startswith=street.path).exists():
        return
    compound = second_vote.compound
    community = compound.community
    neighbours = _neighbours(compound, community)
    now = timezone.now()

    def raise_(who: Any, title: str, detail: str, days_ago: float, seconds: int) -> Topic:
        with at_moment(now - dt.timedelta(days=days_ago)):
            topic = topics.raise_topic(actor=who, title=title, detail=detail, compound=compound)
        seconders = [u for u in neighbours if u.pk != who.pk][:seconds]
        for n, user in enumerate(seconders):
            with at_moment(now - dt.timedelta(days=days_ago - 0.5 - n * 0.2)):
                topics.second(actor=user, topic=topic)
        topic.refresh_from_db()
        return topic

    def at(days_ago: float) -> Any:
        return at_moment(now - dt.timedelta(days=days_ago))

    # 1. the property company: seconded past the threshold, accepted, decided by the vote
    company = raise_(owner, "更换物业服务企业", "现物业服务企业保洁、维修响应慢，业主多次投诉，建议依法选聘新的物业服务企业。", 80, NEIGHBOURS)  # fmt: skip
    with at(76):
        topics.accept(
            actor=staff, topic=company, answer="已受理，提交小区议事会协商，并组织业主表决。"
        )
    voted = second_vote.closes_at
    with at_moment(voted + dt.timedelta(days=1)):
        decided = resolutions.publish(
            actor=staff, title="选聘新的物业服务企业", topic=company, ballot=second_vote,
            text_=f"{compound.name}业主共同决定：选聘新的物业服务企业，由业主委员会与中选企业签订物业服务合同，原物业按约定做好交接。",
        )  # fmt: skip
    with at_moment(voted + dt.timedelta(days=3)):
        objection = resolutions.object_to(
            actor=neighbours[-1], resolution=decided, text_="交接期间的保洁和门岗谁负责？"
        )
    with at_moment(voted + dt.timedelta(days=4)):
        resolutions.answer(
            actor=staff, objection=objection,
            text_="交接期由原物业继续服务至新物业进场，社区全程监督，交接清单在公示栏张贴。",
        )  # fmt: skip
    category = (
        Category.objects.filter(active=True, children__isnull=True, name__contains="物业")
        .order_by("code")
        .first()
        or Category.objects.filter(active=True, children__isnull=True).order_by("code").first()
    )
    with at_moment(decided.notice_ends + dt.timedelta(days=1)):
        resolutions.open_case(actor=staff, resolution=decided, category=category)

    # 2. parking: decided by the community after talks, now a 协商式治理项目 under way
    parking = raise_(neighbours[0], "规范小区停车、施划停车位", "小区车多位少，消防通道常被占用，建议统一规划施划车位。", 70, 8)  # fmt: skip
    with at(66):
        parking = topics.accept(actor=staff, topic=parking)
    council = Council.objects.filter(compound=compound).first()
    if council is not None:
        items = hold(council, [parking], now - dt.timedelta(days=50), ["adopted"],
                     random.Random(5), title="停车问题专题议事圆桌会")  # fmt: skip
        with at(45):
            planned = resolutions.publish(
                actor=staff, title="小区停车位规划与施划", item=items[0],
                text_="经小区议事会协商：沿主路单侧施划停车位，消防通道设禁停标线，车位优先本小区业主，收费标准另行公示。",
            )  # fmt: skip
    else:
        with at(45):
            planned = resolutions.publish(
                actor=staff, title="小区停车位规划与施划", topic=parking,
                text_="经小区议事会协商：沿主路单侧施划停车位，消防通道设禁停标线，车位优先本小区业主，收费标准另行公示。",
            )  # fmt: skip
    with at(36):
        resolutions.start_project(
            actor=staff, resolution=planned, starts_on=(now - dt.timedelta(days=30)).date(),
            ends_on=(now + dt.timedelta(days=60)).date(),
        )  # fmt: skip
    planned.refresh_from_db()
    _run(planned.project, staff, leader, now)

    # 3. the same idea twice, merged; 4. declined with its reason; 5. from a case
    same = raise_(neighbours[1], "消防通道总被占", "晚上车停满消防通道。", 68, 2)
    with at(66):
        topics.merge(actor=staff, topic=same, into=parking)
    noise = raise_(neighbours[2], "禁止在小区广场跳广场舞", "晚上太吵。", 50, 1)
    with at(48):
        topics.decline(
            actor=staff, topic=noise,
            reason="广场舞属于居民正常文体活动，社区已与舞蹈队约定音量和时间（19:00–20:30），不作为议题表决。",
        )  # fmt: skip
    case = (
        Case.objects.filter(territory_path__startswith=community.path, title__contains="停车")
        .order_by("pk")
        .first()
        or Case.objects.filter(territory_path__startswith=community.path).order_by("pk").first()
    )
    if case is not None:
        with at(20):
            topics.from_case(actor=staff, case=case)

    # 6. the charging shed: accepted, on the owners' vote now open
    shed = raise_(owner, "建设电动自行车充电棚", "楼道里充电有火灾隐患，建议在小区内建集中充电棚。", 30, 9)  # fmt: skip
    with at(25):
        shed = topics.accept(
            actor=staff, topic=shed, answer="已受理，事项涉及利用共有部分，将组织业主表决。"
        )
    if council is not None:  # talked over online while the owners vote
        with at(2):
            consultation = meetings.convene(
                actor=staff, council=council, title="充电棚选址线上协商", format="online",
                starts_at=now - dt.timedelta(days=2), ends_at=now + dt.timedelta(days=5),
                topics=[shed],
            )  # fmt: skip
        item = consultation.agenda.get()
        for member, said in zip(
            council.members.filter(user__isnull=False).order_by("pk")[:2],
            (
                "建议选在北侧绿地边缘，远离住宅楼窗户。",
                "同意，棚内需配烟感和灭火器，物业每日巡查。",
            ),
            strict=False,
        ):
            with at(1.5):
                if member.user is not None:
                    meetings.give_opinion(actor=member.user, item=item, text_=said)
    # 7. enough seconds, awaiting the community's answer
    raise_(neighbours[3], "夜间小区路灯不亮", "北门到5号楼一段路灯坏了很久，老人晚上出门不安全。", 6, topics.SECONDS_TO_ANSWER)  # fmt: skip
    count = Topic.objects.filter(path=community.path).count()
    resolved = Resolution.objects.filter(path=community.path).count()
    log(
        f"  议题（{compound.name}）{count} 个、决议 {resolved} 项（1 项立为协商式治理项目），业主账号 owner01–owner{len(neighbours):02d}"
    )


def _run(project: Any, staff: Any, leader: Any, now: dt.datetime) -> None:
    """The parking project through review to running, as the street and community do."""
    from doorstep.cogov import projects

    with at_moment(now - dt.timedelta(days=35)):
        projects.add_budget_line(
            actor=staff, project=project, item="标线与标识", amount="18000", source="fund"
        )
        projects.add_milestone(
            actor=staff, project=project, title="方案公示",
            due_on=(now - dt.timedelta(days=20)).date(),
        )  # fmt: skip
        projects.add_milestone(
            actor=staff, project=project, title="施划完成",
            due_on=(now + dt.timedelta(days=50)).date(),
        )  # fmt: skip
        projects.perform(project, "submit", actor=staff)
    with at_moment(now - dt.timedelta(days=32)):
        projects.perform(project, "approve", actor=leader)
    with at_moment(now - dt.timedelta(days=30)):
        projects.perform(project, "start", actor=staff)
    first = project.milestones.order_by("due_on").first()
    with at_moment(now - dt.timedelta(days=21)):
        projects.complete_milestone(
            actor=staff, milestone=first, done_on=(now - dt.timedelta(days=21)).date()
        )
