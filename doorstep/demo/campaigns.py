"""敲门行动 on the 学院路 demo: the community of the `community` login knocks on the doors
of its 独居老人, split among the grid staff of the community (the `grid` login among
them); over the past fortnight most doors were reached — met or phoned, a few not at home
yet — and some needs found went on the needs list; the rest are still to visit. Written
through `doorstep.deliberation.campaigns`; times are the services' "now" moved into the
past (`at_moment`)."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Organisation
from doorstep.deliberation import campaigns
from doorstep.deliberation.models import Campaign

from .cases.clock import at_moment
from .common import Log

FOUND = (
    ("met", "老人身体尚可，子女每周来看望"),
    ("met", "腿脚不便，希望有人帮忙买菜"),
    ("phone", "电话联系，老人在女儿家小住"),
    ("met", "家中燃气灶老旧，已提醒注意安全"),
    ("absent", "家中无人，改日再访"),
)
NEEDS = (
    {"title": "独居老人代买代送", "field": "elderly", "wants": "service"},
    {"title": "老旧燃气灶更换", "field": "elderly", "wants": "service"},
)


def seed_campaigns(street: Organisation, log: Log) -> None:
    if Campaign.objects.filter(path__startswith=street.path).exists():
        return
    staff = get_user_model().objects.filter(username="community").first()
    held = Membership.objects.filter(user=staff, role__code="community_staff").first()
    if staff is None or held is None:
        return
    community = held.organisation
    visitors = list(
        get_user_model()
        .objects.filter(
            memberships__organisation__path__startswith=community.path,
            memberships__role__code__in=["grid_worker", "grid_leader"],
        )
        .distinct()
        .order_by("username")
    )
    if not visitors:
        return
    now, today = timezone.now(), timezone.localdate()
    with at_moment(now - dt.timedelta(days=15)):
        campaign = campaigns.launch(
            actor=staff, node=community, title="敲门行动·走访问需", tag="elderly_alone",
            purpose="入户了解独居老人的身体、生活和安全情况，收集急难愁盼",
            starts_on=today - dt.timedelta(days=15), ends_on=today + dt.timedelta(days=15),
        )  # fmt: skip
        campaigns.split(actor=staff, campaign=campaign, visitors=visitors)
    rng = random.Random(8)
    targets = list(campaign.targets.select_related("assignee").order_by("pk"))
    needs = 0
    for n, target in enumerate(targets[: len(targets) * 3 // 4]):
        if target.assignee is None:
            continue
        outcome, found = FOUND[n % len(FOUND)]
        need = NEEDS[needs] if outcome == "met" and n % 7 == 1 and needs < len(NEEDS) else None
        with at_moment(now - dt.timedelta(days=rng.randint(1, 13), hours=rng.randint(0, 6))):
            campaigns.knock(actor=target.assignee, target=target, outcome=outcome, found=found,
                            need=need)  # fmt: skip
        needs += need is not None
    reached = campaign.targets.filter(reached_by__isnull=False).count()
    log(f"  敲门行动：走访独居老人 {len(targets)} 户，已走访到 {reached} 户，发现需求 {needs} 条")
