"""Activities of the 学院路 demo: a month held (sign-ups, check-ins: 场次 and 人次) and a
month ahead (open sign-ups, one full with a waiting line, rooms booked with them).

Everything goes through `activities.services`; activities already held are published,
joined and checked in at their own past moments (the seed's clock). Residents who sign
up get plain accounts without a password (they log in once they set one)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import Resident
from doorstep.nearby.activities import services
from doorstep.nearby.activities.models import Activity
from doorstep.nearby.sites.models import Room

from .cases.clock import TZ, at_moment
from .common import Log

ATTENDEES = 36


@dataclass(frozen=True)
class Plan:
    title: str
    kind: str
    day: int  # days from today (negative: already held)
    start: tuple[int, int]
    hours: float
    capacity: int
    room: str = ""  # a room name (first match in the street), else the address below
    address: str = ""
    audience: str = "everyone"
    unit: str = ""  # a co-building unit organising it (when the demo has it)
    partners: tuple[str, ...] = ()  # co-organisers, by name (those the demo has)
    signups: int = 0
    checked_in: float = 0.0  # share of confirmed who came (held ones)


PLANS = (
    Plan("邻里节·百家宴", "festival", -24, (10, 0), 3, 80, address="静淑苑小区中心广场",
         partners=("中国农业大学东校区",), signups=30, checked_in=0.9),
    Plan("防范电信诈骗讲座", "training", -17, (14, 30), 1.5, 40, room="多功能厅",
         audience="elderly", signups=22, checked_in=0.8),
    Plan("便民集市：磨剪子、修家电、理发", "market", -10, (9, 0), 3, 100,
         address="学院路街道党群服务中心门前", signups=18, checked_in=1.0),
    Plan("志愿服务：楼道清理", "volunteer", -5, (9, 30), 2, 20, address="各楼栋楼道",
         signups=14, checked_in=0.75),
    Plan("新就业群体专场招聘会", "job_fair", 3, (14, 0), 2.5, 150, room="报告厅",
         audience="workers", unit="中国农业大学东校区", partners=("城管执法队",), signups=12),
    Plan("青少年研学：走进农大农业博物馆", "study", 5, (9, 30), 2.5, 10,
         address="中国农业大学东校区", audience="children", unit="中国农业大学东校区",
         signups=14),
    Plan("书法培训（第一期）", "training", 8, (14, 30), 2, 15, room="书画室", signups=9),
    Plan("骑手议事会：停车与充电", "other", 10, (15, 0), 1.5, 10, room="骑手议事室",
         audience="workers", signups=4),
    Plan("冬季敬老·健康义诊", "volunteer", 16, (9, 0), 3, 60, address="社区卫生服务站门前",
         audience="elderly", partners=("中国石化石油化工科学研究院",), signups=6),
)  # fmt: skip


def _local(day: int, hm: tuple[int, int]) -> dt.datetime:
    date = timezone.localdate() + dt.timedelta(days=day)
    return dt.datetime.combine(date, dt.time(*hm), TZ)


def _attendees(community: Organisation, rng: random.Random) -> list[Any]:
    """Plain accounts for some residents of the community (no password yet)."""
    user_model = get_user_model()
    residents = list(
        Resident.objects.filter(
            household__grid__path__startswith=community.path, user__isnull=True
        ).order_by("id")[: ATTENDEES * 3]
    )
    chosen = rng.sample(residents, min(ATTENDEES, len(residents)))
    users = []
    for n, resident in enumerate(chosen, 1):
        user = user_model(username=f"hd{n:03d}", display_name=f"居民{resident.name}")
        user.set_unusable_password()
        users.append(user)
    # A demo seeded again after --reset finds its accounts still there (users are kept).
    kept = set(
        user_model.objects.filter(username__in=[u.username for u in users]).values_list(
            "username", flat=True
        )
    )
    user_model.objects.bulk_create([u for u in users if u.username not in kept])
    users = list(user_model.objects.filter(username__in=[u.username for u in users]))
    by_name = {u.username: u for u in users}
    for n, resident in enumerate(chosen, 1):
        Resident.objects.filter(pk=resident.pk).update(user=by_name[f"hd{n:03d}"])
    return [by_name[f"hd{n:03d}"] for n in range(1, len(chosen) + 1)]


def seed_activities(street: Organisation, log: Log) -> int:
    """Publish the demo's activities (once); returns how many were published."""
    if Activity.objects.filter(territory_path__startswith=street.path).exists():
        return 0
    user_model = get_user_model()
    staff = user_model.objects.filter(username="community").first()
    liaison = {
        name: user_model.objects.filter(username=username).first()
        for name, username in (("中国农业大学东校区", "liaison_cau"),)
    }
    community = street.children.filter(kind=Kind.COMMUNITY).order_by("id").first()
    if staff is None or community is None:
        return 0
    orgs = {o.name: o for o in Organisation.objects.filter(path__startswith=street.path)}
    rng = random.Random(20261122)
    people = _attendees(community, rng)
    rooms = Room.objects.filter(site__territory_path__startswith=street.path, active=True)
    count = 0
    for plan in PLANS:
        start = _local(plan.day, plan.start)
        end = start + dt.timedelta(hours=plan.hours)
        unit = orgs.get(plan.unit)
        actor = liaison.get(plan.unit) if unit is not None else None
        actor = actor or staff
        organiser = unit if actor is not staff and unit is not None else community
        room = rooms.filter(name=plan.room).order_by("id").first() if plan.room else None
        # Published a week ahead (activities still to come: yesterday), joined that day.
        published_at = min(start - dt.timedelta(days=7), timezone.now() - dt.timedelta(days=1))
        fields: dict[str, Any] = {
            "actor": actor,
            "title": plan.title,
            "kind": plan.kind,
            "organiser": organiser,
            "territory": community,
            "address": plan.address,
            "starts_at": start,
            "ends_at": end,
            "capacity": plan.capacity,
            "audience": plan.audience,
            "description": f"{plan.title}，欢迎居民报名参加。",
            "co_organisers": [orgs[n] for n in plan.partners if n in orgs],
        }
        with at_moment(published_at):
            try:
                activity = services.publish(**fields, room=room)
            except services.ActivityError:
                # The room is closed or taken then: hold it at the site's address instead.
                fields["address"] = plan.address or (room.site.address if room else "社区")
                activity = services.publish(**fields)
        joined = []
        for n, person in enumerate(people[: plan.signups]):
            with at_moment(published_at + dt.timedelta(hours=2 + n / 2)):
                joined.append(services.sign_up(activity, person))
        if plan.day < 0:
            came = [s for s in joined if s.status == "confirmed"]
            came = came[: round(len(came) * plan.checked_in)]
            with at_moment(start + dt.timedelta(minutes=10)):
                for s in came:
                    services.check_in(activity, s.user, by=staff)
            if plan.kind == "volunteer":  # volunteers check out: their hours are verified
                with at_moment(end):
                    for s in came:
                        services.check_out(activity, s.user, by=staff)
        count += 1
    log(
        f"  活动 {count} 场（含已举办 {sum(p.day < 0 for p in PLANS)} 场）、报名居民 {len(people)} 人"
    )
    return count
