"""People who serve on the 学院路 demo: five-colour teams per community, posts held
(楼道长 per grid, 文明劝导, 独居老人探访, 普法宣传), a reward catalogue, visits of the central
households to their linked households, and self-reported hours (some approved, some
waiting). Hours and points from cases and activities come from their own seeding, through
the signals. Everything goes through `doorstep.service`."""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import CentralHousehold, HouseholdLink
from doorstep.service import honours, records, teams, visits
from doorstep.service.errors import Conflict
from doorstep.service.models import Post, PostHolding, Reward, ServiceRecord, Team, Theme

from .cases.clock import at_moment
from .common import Log

REWARDS = (("环保购物袋", 10, 50), ("理发券", 20, 40), ("洗衣液", 30, 30), ("大米（5斤）", 60, 20))
POSTS = (("文明劝导", 3, "劝导不文明行为，维护楼院秩序"),
         ("独居老人探访", 4, "每周探访独居老人，发现问题及时上报"),
         ("普法宣传", 2, "每月开展一次法律知识宣传"))  # fmt: skip


def _png() -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(buf, "JPEG")
    return SimpleUploadedFile("现场照片.jpg", buf.getvalue(), content_type="image/jpeg")


def seed_service(street: Organisation, log: Log) -> None:
    if Team.objects.filter(organisation_path__startswith=street.path).exists():
        return
    users = {u.username: u for u in get_user_model().objects.all()}
    staff = users.get("community")
    street_staff = users.get("street")
    if staff is None or street_staff is None:
        return
    rng = random.Random(5)
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("id"))
    themes = list(Theme.objects.all())
    members = [u for name, u in users.items() if name.startswith("member")]
    residents = [u for name, u in users.items() if name.startswith("jm")]
    extra = [users[n] for n in ("member", "volunteer") if n in users]
    n_teams = n_posts = 0
    for community in communities:
        for theme in themes:
            team = teams.create_team(
                actor=street_staff, organisation=community, name=f"{theme.name}服务队",
                theme=theme, skills=theme.description,
            )  # fmt: skip
            for user in rng.sample(members + residents, min(6, len(members + residents))):
                if not team.members.filter(user=user).exists():
                    teams.join(team, user, actor=street_staff)
            n_teams += 1
        for title, slots, duties in POSTS:
            teams.create_post(
                actor=street_staff, organisation=community, title=title, slots=slots,
                duties=duties,
            )  # fmt: skip
            n_posts += 1
        for name, cost, stock in REWARDS:
            Reward.objects.create(organisation=community, name=name, cost=cost, stock=stock)
    held = 0
    for grid in Organisation.objects.filter(path__startswith=street.path, kind=Kind.GRID):
        post = teams.create_post(
            actor=street_staff, organisation=grid, title="楼道长", slots=2,
            duties="楼道卫生、安全隐患巡查，收集居民诉求",
        )  # fmt: skip
        n_posts += 1
        keeper = CentralHousehold.objects.filter(organisation__parent=grid).first()
        keeper_user = keeper.keeper.resident.user if keeper else None
        if keeper_user is not None:
            teams.approve(teams.apply(post, keeper_user), actor=street_staff)
            held += 1
    for user in extra:
        post = rng.choice(list(Post.objects.filter(title="独居老人探访")))
        teams.approve(teams.apply(post, user), actor=street_staff)
        held += 1
    # Posts held since two months ago: last month's duty points are due.
    since = timezone.localdate().replace(day=1) - dt.timedelta(days=40)
    PostHolding.objects.filter(status="holding").update(since=since)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with at_moment(timezone.now() - dt.timedelta(days=timezone.localdate().day - 1)):
        teams.grant_post_duty(last_month)
    logged = _visits(rng)
    pending = _self_reports(users, communities, staff, rng)
    for kind in ("pioneer", "volunteer"):  # last month's honour lists, published
        honours.publish(
            street, kind=kind, period_kind="month", period_start=last_month, actor=street_staff
        )
    log(
        f"  志愿服务队 {n_teams} 支、岗位 {n_posts} 个（在岗 {held} 人）、联户走访 {logged} 次、"
        f"待审核时长申报 {pending} 条"
    )


def _visits(rng: random.Random) -> int:
    logged = 0
    today = timezone.localdate()
    for link in HouseholdLink.objects.select_related("central__keeper__resident", "household"):
        user = link.central.keeper.resident.user
        if user is None or rng.random() > 0.6:
            continue
        day = today - dt.timedelta(days=rng.randint(0, 40))
        visits.log_visit(
            actor=user, household=link.household, visited_on=day,
            found=rng.choice(["家中一切正常", "老人腿脚不便，需定期探望", "反映楼道灯不亮，已报修",
                              "咨询养老补贴政策，已解答"]),
        )  # fmt: skip
        logged += 1
    return logged


def _self_reports(
    users: dict[str, Any], communities: list[Organisation], staff: Any, rng: random.Random
) -> int:
    """Hours the demo's member and volunteer reported: two approved, one waiting each."""
    pending = 0
    for username in ("member", "volunteer"):
        user = users.get(username)
        if user is None:
            continue
        for n, (days, what) in enumerate(
            ((20, "帮助独居老人打扫卫生"), (12, "社区垃圾分类值守"), (2, "陪同老人就医"))
        ):
            end = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(
                days=days, hours=rng.randint(1, 5)
            )
            record = None
            for _shift in range(24):  # around the hours their cases already count
                try:
                    record = records.self_report(
                        user=user, organisation=communities[0],
                        started_at=end - dt.timedelta(hours=2), ended_at=end, description=what,
                        evidence=_png(), evidence_note="现场照片",
                    )  # fmt: skip
                    break
                except Conflict:
                    end -= dt.timedelta(hours=3)
            if record is None:
                continue
            if n < 2:
                with at_moment(end + dt.timedelta(days=1)):
                    records.approve(ServiceRecord.objects.get(pk=record.pk), actor=staff)
            else:
                pending += 1
    return pending
