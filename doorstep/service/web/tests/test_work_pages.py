"""Teams, posts, self-reported hours and points through the pages: what each persona may
do, refusals with a message and a 4xx that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.service import ledger, teams
from doorstep.service.models import PointAccount, PostHolding, Reward, ServiceRecord, Team
from doorstep.service.tests.helpers import photo

pytestmark = pytest.mark.django_db


def _local(hours_ago: float) -> str:
    return (timezone.localtime() - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def test_staff_create_a_team_and_residents_join_it(cw, client):
    w = cw.world
    client.force_login(cw.personas["community_officer"])
    r = client.post(
        reverse("serve:team_new"),
        {"organisation": w.grid_a.pk, "name": "红舍管家服务队", "skills": "楼道清理"},
    )
    assert r.status_code == 302
    team = Team.objects.get()
    r = client.post(reverse("serve:team_new"), {"organisation": w.grid_a.pk, "name": ""})
    assert r.status_code == 400 and Team.objects.count() == 1
    client.force_login(cw.personas["volunteer"])
    assert client.get(reverse("serve:team_new")).status_code == 403
    r = client.post(reverse("serve:team_join", args=[team.pk]), follow=True)
    assert "已加入红舍管家服务队" in r.content.decode()
    assert team.members.filter(user=cw.personas["volunteer"]).exists()
    page = client.get(reverse("serve:team", args=[team.pk])).content.decode()
    assert "志愿者小陈" in page


def test_a_member_applies_for_a_post_and_staff_approve_it(cw, client):
    w, p = cw.world, cw.personas
    post = teams.create_post(
        actor=p["community_officer"], organisation=w.grid_a, title="楼道长", slots=1
    )
    client.force_login(p["party_member"])
    page = client.get(reverse("serve:posts")).content.decode()
    assert "楼道长" in page and "我要认岗" in page
    r = client.post(reverse("serve:post_apply", args=[post.pk]), {"dual": "1"})
    assert r.status_code == 400 and "双报到" in r.content.decode()  # not an in-service member
    assert not PostHolding.objects.exists()
    client.post(reverse("serve:post_apply", args=[post.pk]))
    holding = PostHolding.objects.get()
    assert client.post(reverse("serve:holding_approve", args=[holding.pk])).status_code == 403
    assert PostHolding.objects.get().status == "applied"
    client.force_login(p["community_officer"])
    page = client.get(reverse("serve:posts")).content.decode()
    assert "待审批的认岗申请" in page and "党员李建国" in page
    client.post(reverse("serve:holding_approve", args=[holding.pk]))
    assert PostHolding.objects.get().status == "holding"
    client.force_login(p["party_member"])
    assert "我在岗" in client.get(reverse("serve:posts")).content.decode()


def test_self_reported_hours_through_the_pages(cw, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w, p = cw.world, cw.personas
    client.force_login(p["party_member"])
    form = {
        "organisation": w.community_1.pk,
        "started_at": _local(4),
        "ended_at": _local(2),
        "description": "为独居老人代买药品",
    }
    r = client.post(reverse("serve:record_new"), form)
    assert r.status_code == 400 and "请上传佐证材料" in r.content.decode()
    assert not ServiceRecord.objects.exists()
    r = client.post(reverse("serve:record_new"), {**form, "evidence": photo()})
    assert r.status_code == 302
    record = ServiceRecord.objects.get()
    assert record.status == "pending"
    evidence = reverse("serve:record_evidence", args=[record.pk])
    assert client.get(evidence).status_code == 200  # the owner sees it
    client.force_login(p["resident"])
    assert client.get(evidence).status_code == 404
    assert client.get(reverse("serve:review")).status_code == 403
    client.force_login(p["community_officer"])
    assert client.get(evidence).status_code == 200
    page = client.get(reverse("serve:review")).content.decode()
    assert "为独居老人代买药品" in page
    r = client.post(reverse("serve:record_reject", args=[record.pk]), {"reason": ""})
    assert r.status_code == 400 and ServiceRecord.objects.get().status == "pending"
    client.post(reverse("serve:record_approve", args=[record.pk]))
    assert ServiceRecord.objects.get().status == "verified"
    assert PointAccount.objects.get(user=p["party_member"]).balance == 4
    r = client.post(reverse("serve:record_approve", args=[record.pk]))
    assert r.status_code == 409  # already decided: nothing more
    assert PointAccount.objects.get(user=p["party_member"]).balance == 4


def test_redeeming_points_within_the_balance(cw, client):
    w, p = cw.world, cw.personas
    member = p["party_member"]
    ledger.grant(user=member, code="case_resolved", source="case:1:1", organisation=w.grid_a)
    reward = Reward.objects.create(organisation=w.community_1, name="洗衣液", cost=6, stock=3)
    client.force_login(member)
    page = client.get(reverse("serve:points")).content.decode()
    assert "洗衣液" in page and "6分" in page
    r = client.post(reverse("serve:redeem", args=[reward.pk]), {"quantity": "2"})
    assert r.status_code == 400 and "积分不足：需要12分，当前可用10分" in r.content.decode()
    assert PointAccount.objects.get(user=member).balance == 10
    r = client.post(reverse("serve:redeem", args=[reward.pk]), {"quantity": "x"})
    assert r.status_code == 400
    r = client.post(reverse("serve:redeem", args=[reward.pk]), {"quantity": "1"}, follow=True)
    assert "已兑换 洗衣液×1" in r.content.decode()
    assert PointAccount.objects.get(user=member).balance == 4
    assert Reward.objects.get(pk=reward.pk).stock == 2


def test_the_points_history_reads_in_ledger_order_with_its_running_balance(cw, client):
    """A line may be dated before an older one (credits for work done earlier, the demo's
    clock set back); sorted by date the 余额 column jumped about (issue 14). Now each line
    shows the balance that follows from the one below it, on both pages."""
    import re

    import time_machine

    w, member = cw.world, cw.personas["party_member"]
    ledger.grant(user=member, code="case_resolved", source="case:1:1", organisation=w.grid_a)
    with time_machine.travel(timezone.now() - dt.timedelta(days=3)):
        ledger.grant(user=member, code="case_resolved", source="case:2:1", organisation=w.grid_a)
    ledger.grant(user=member, code="case_resolved", source="case:3:1", organisation=w.grid_a)
    client.force_login(member)
    for url in (reverse("serve:points"), reverse("serve:me")):
        page = client.get(url).content.decode()
        balances = [int(b) for b in re.findall(r"余额(\d+)", page)]
        assert balances == [30, 20, 10], url
