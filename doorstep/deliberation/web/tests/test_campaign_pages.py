"""The door-knocking pages: the community launches a campaign and splits it, a grid worker
logs knocks on a phone page (a need found lands in the needs list), the campaign's page
shows coverage per grid equal to a direct count and the doors not yet reached; a resident
and an outsider see nothing of it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.cogov.models import Need
from doorstep.deliberation.models import Campaign, CampaignTarget
from doorstep.service.models import Visit

pytestmark = pytest.mark.django_db


def test_launch_split_knock_and_coverage_through_the_pages(client, world, estate):
    officer, worker = world.personas["community_officer"], world.personas["grid_worker_a"]
    today = timezone.localdate()
    client.force_login(officer)
    form = {"title": "敲门行动·走访问需", "node": world.community_1.pk, "purpose": "了解急难愁盼",
            "starts_on": str(today), "ends_on": str(today + dt.timedelta(days=20))}  # fmt: skip
    r = client.post(
        reverse("deliberation:campaign_new"), {**form, "ends_on": str(today - dt.timedelta(days=1))}
    )
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()
    assert not Campaign.objects.exists()
    client.post(reverse("deliberation:campaign_new"), form)
    campaign = Campaign.objects.get()
    client.post(
        reverse("deliberation:campaign_split", args=[campaign.pk]), {"visitors": [worker.pk]}
    )
    assert campaign.targets.filter(assignee=worker).count() == campaign.targets.count()

    from doorstep.workbench.web.desks import sections

    card = next(c for _n, cards in sections(worker) for c in cards if c.key == "doors")
    assert card.count == campaign.targets.count()
    client.force_login(worker)
    assert client.get(card.url).context["pending_count"] == card.count
    doors = client.get(reverse("deliberation:campaign_doors", args=[campaign.pk])).content.decode()
    assert "入户见面" in doors and "发现需求" in doors
    first, second = list(CampaignTarget.objects.filter(campaign=campaign).order_by("pk")[:2])
    knock = lambda t: reverse("deliberation:campaign_knock", args=[campaign.pk, t.pk])  # noqa: E731
    client.post(knock(first), {"outcome": "met", "found": "独居老人，想要助餐",
                               "need_title": "独居老人助餐", "need_field": "elderly",
                               "need_wants": "service"})  # fmt: skip
    client.post(knock(second), {"outcome": "absent", "found": "家中无人"})
    r = client.post(knock(second), {"outcome": "maybe"})
    assert r.status_code == 400 and "请选择走访结果" in r.content.decode()
    assert Visit.objects.filter(kind="knock").count() == 2
    assert Need.objects.filter(title="独居老人助餐", visit__isnull=False).count() == 1

    client.force_login(officer)
    page = client.get(reverse("deliberation:campaign", args=[campaign.pk])).content.decode()
    for key in set(campaign.targets.values_list("grid_path", flat=True)):
        row = re.search(
            rf'<tr data-key="{key}"><td>[^<]*</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>', page
        )
        targets = CampaignTarget.objects.filter(campaign=campaign, grid_path=key)
        assert row and (int(row.group(1)), int(row.group(2))) == (
            targets.count(), targets.filter(reached_by__isnull=False).count(),
        )  # fmt: skip
    assert "尚未走访到的住户" in page and "已去 1 次" in page
    for persona in ("resident", "outsider"):
        client.force_login(world.personas[persona])
        assert client.get(reverse("deliberation:campaign", args=[campaign.pk])).status_code == 404
        r = client.post(knock(first), {"outcome": "met"})
        assert r.status_code == 404
    assert Visit.objects.filter(kind="knock").count() == 2


def test_a_problem_found_at_a_door_becomes_a_case_once_and_a_bad_one_writes_nothing(
    client, world, estate, cw
):
    from doorstep.cases.models import Case
    from doorstep.deliberation import campaigns

    officer, worker = world.personas["community_officer"], world.personas["grid_worker_a"]
    today = timezone.localdate()
    campaign = campaigns.launch(actor=officer, node=world.grid_a, title="敲门行动", purpose="走访",
                                starts_on=today, ends_on=today + dt.timedelta(days=5))  # fmt: skip
    campaigns.split(actor=officer, campaign=campaign, visitors=[worker])
    door = CampaignTarget.objects.filter(campaign=campaign).order_by("pk").first()
    client.force_login(worker)
    doors = reverse("deliberation:campaign_doors", args=[campaign.pk])
    assert "发现问题，需派单处理" in client.get(doors).content.decode()
    knock = reverse("deliberation:campaign_knock", args=[campaign.pk, door.pk])
    r = client.post(knock, {"outcome": "met", "found": "楼道灯坏了", "case_category": "999999",
                            "case_description": "三楼楼道灯不亮"})  # fmt: skip
    assert r.status_code == 400 and "请选择工单分类" in r.content.decode()
    assert not Visit.objects.exists() and not Case.objects.exists()
    r = client.post(knock, {"outcome": "met", "found": "楼道灯坏了", "case_category": cw.repair.pk,
                            "case_description": "三楼楼道灯不亮，老人夜里出行不便"})  # fmt: skip
    assert r.status_code == 302
    visit = Visit.objects.get(kind="knock")
    case = Case.objects.get()
    assert visit.follow_up_case == case and case.category == cw.repair
    assert case.building_id == door.building_id
    assert f"已派单 {case.number}" in client.get(doors).content.decode()


def test_a_campaign_for_some_grids_or_buildings_from_the_page(client, world, estate):
    from doorstep.atlas.places.models import Household

    officer = world.personas["community_officer"]
    today = timezone.localdate()
    client.force_login(officer)
    page = client.get(reverse("deliberation:campaigns")).content.decode()
    assert f'<option value="{world.grid_b.pk}">清华东路第二网格</option>' in page
    form = {"title": "敲门行动", "node": world.community_1.pk, "starts_on": str(today),
            "ends_on": str(today + dt.timedelta(days=9))}  # fmt: skip
    r = client.post(
        reverse("deliberation:campaign_new"), {**form, "buildings": "静淑苑1号楼、无此楼"}
    )
    assert r.status_code == 400 and "行动范围内找不到楼栋：无此楼" in r.content.decode()
    assert not Campaign.objects.exists()
    client.post(reverse("deliberation:campaign_new"), {**form, "grids": [world.grid_b.pk]})
    by_grid = Campaign.objects.get()
    assert by_grid.chosen == "清华东路第二网格"
    assert by_grid.targets.count() == Household.objects.filter(grid=world.grid_b).count()
    client.post(
        reverse("deliberation:campaign_new"), {**form, "buildings": "静淑苑1号楼\n学知园2号楼"}
    )
    by_building = Campaign.objects.exclude(pk=by_grid.pk).get()
    assert set(by_building.targets.values_list("building_id", flat=True)) == {
        world.building_a.pk, world.building_b.pk,
    }  # fmt: skip
