"""敲门行动: a campaign over a community's households (all, a grid, or those with a tag),
split among visitors by whole buildings, each knock logged as the platform's one visit
(kind 敲门行动), a need found landing in the needs list, and coverage per grid and
building that equals a direct count, with the households not yet reached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Household
from doorstep.cogov.models import Need
from doorstep.deliberation import campaigns
from doorstep.deliberation.errors import DeliberationError, NotAllowed
from doorstep.deliberation.models import Campaign, CampaignTarget
from doorstep.service.models import Visit

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _launch(world, **kw):
    return campaigns.launch(
        actor=world.personas["community_officer"], node=kw.pop("node", world.community_1),
        title="敲门行动·走访问需", purpose="了解居民急难愁盼", starts_on=TODAY - dt.timedelta(days=1),
        ends_on=TODAY + dt.timedelta(days=30), **kw,
    )  # fmt: skip


def test_a_campaign_is_split_knocked_and_covered_as_a_direct_count_says(world, estate):
    campaign = _launch(world)
    homes = Household.objects.filter(grid__path__startswith=world.community_1.path)
    assert campaign.targets.count() == homes.count() >= 8
    worker, member = world.personas["grid_worker_a"], world.personas["party_member"]
    load = campaigns.split(actor=world.personas["community_officer"], campaign=campaign,
                           visitors=[worker, member])  # fmt: skip
    assert sum(load.values()) == campaign.targets.count()
    for building in {t.building_id for t in campaign.targets.all()}:  # whole buildings each
        assert (
            campaign.targets.filter(building_id=building).values("assignee").distinct().count() == 1
        )
    mine = list(campaigns.assigned_to(worker).order_by("pk"))
    assert mine and all(t.assignee == worker for t in mine)
    first, second = mine[0], mine[1] if len(mine) > 1 else mine[0]
    campaigns.knock(actor=worker, target=first, outcome="absent", found="家中无人")
    campaigns.knock(
        actor=worker, target=first, outcome="met", found="老人独居，腿脚不便，想要助餐服务",
        need={"title": "独居老人助餐", "field": "elderly", "wants": "service"},
    )  # fmt: skip
    campaigns.knock(actor=worker, target=second, outcome="phone", found="电话联系，一切安好")
    first.refresh_from_db()
    assert first.attempts == 2 and first.reached_by.outcome == "met"
    visits = Visit.objects.filter(kind="knock")
    assert visits.count() == 3 and set(visits.values_list("household_id", flat=True)) == {
        first.household_id, second.household_id,
    }  # fmt: skip
    need = Need.objects.get(title="独居老人助餐")
    assert (need.visit, need.source) == (first.reached_by, "visit")
    # coverage per grid equals a direct count
    for row in campaigns.coverage(campaign, by="grid"):
        targets = CampaignTarget.objects.filter(campaign=campaign, grid_path=row.key)
        assert row.targets == targets.count()
        assert row.reached == targets.filter(reached_by__isnull=False).count()
    assert sum(r.reached for r in campaigns.coverage(campaign, by="building")) == 2
    assert campaigns.unreached(campaign).count() == campaign.targets.count() - 2
    # someone else's door, or outside the campaign's time
    with pytest.raises(NotAllowed):
        campaigns.knock(
            actor=world.personas["grid_worker_b"], target=first, outcome="met", found="x"
        )
    assert Visit.objects.filter(kind="knock").count() == 3


def test_a_campaign_for_a_tag_or_a_grid_and_bad_launches(world, estate):
    wang = Resident.objects.get(name="王业主")
    wang.tags = ["elderly_alone"]  # encrypted with the resident
    wang.save(update_fields=["tags"])
    alone = _launch(world, tag="elderly_alone")
    expected = {
        r.household_id
        for r in Resident.objects.filter(household__grid__path__startswith=world.community_1.path)
        if "elderly_alone" in (r.tags or [])
    }
    assert wang.household_id in expected
    assert set(alone.targets.values_list("household_id", flat=True)) == expected
    assert alone.chosen == "独居老人"
    grid = _launch(world, grids=[world.grid_a])
    assert set(grid.targets.values_list("grid_path", flat=True)) == {world.grid_a.path}
    with pytest.raises(DeliberationError, match="没有要走访的住户"):
        campaigns.launch(actor=world.personas["street_officer"], node=world.community_2,
                         title="x", starts_on=TODAY, ends_on=TODAY, tag="elderly_alone")  # fmt: skip
    with pytest.raises(NotAllowed):  # not the community officer's community
        _launch(world, node=world.community_2)
    with pytest.raises(NotAllowed):
        campaigns.launch(actor=world.personas["grid_worker_a"], node=world.community_1, title="x",
                         starts_on=TODAY, ends_on=TODAY)  # fmt: skip
    with pytest.raises(DeliberationError, match="结束日期"):
        campaigns.launch(
            actor=world.personas["community_officer"], node=world.community_1, title="x",
            starts_on=TODAY, ends_on=TODAY - dt.timedelta(days=1),
        )  # fmt: skip
    assert Campaign.objects.count() == 2
