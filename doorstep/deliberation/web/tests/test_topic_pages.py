"""The topic and resolution pages as residents and staff use them: a resident raises a
topic, a neighbour seconds it, the community accepts it and publishes a resolution, a
resident objects, staff answer, and after the notice the resolution starts a 协商式 project.
Bad input is a 400 with the message and nothing written; an outsider gets nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from doorstep.cogov.models import Project
from doorstep.deliberation.models import Objection, Resolution, Topic

pytestmark = pytest.mark.django_db


def _id(response) -> int:
    return int(response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_from_topic_to_project_through_the_pages(client, world, estate):
    officer = world.personas["community_officer"]
    client.force_login(estate.people["owner_chen"])
    page = client.get(reverse("deliberation:topics")).content.decode()
    assert "提出议题" in page and "静淑苑" in page  # the compounds of her community
    r = client.post(reverse("deliberation:topic_new"), {"title": "", "detail": "x"})
    assert r.status_code == 400 and "请填写议题" in r.content.decode()
    assert not Topic.objects.exists()
    r = client.post(
        reverse("deliberation:topic_new"),
        {"title": "5号楼加装电梯", "detail": "老人上下楼难", "compound": estate.compound.pk},
    )
    topic = Topic.objects.get(pk=_id(r))
    assert topic.compound == estate.compound

    client.force_login(estate.people["owner_lin"])
    page = client.get(reverse("deliberation:topic", args=[topic.pk])).content.decode()
    assert "附议" in page and "5号楼加装电梯" in page
    client.post(reverse("deliberation:topic_act", args=[topic.pk, "second"]))
    r = client.post(reverse("deliberation:topic_act", args=[topic.pk, "second"]))
    assert r.status_code == 409 and "已经附议" in r.content.decode()
    assert "您已附议" in r.content.decode()
    topic.refresh_from_db()
    assert topic.seconds == 1
    # a neighbour may not screen: the button is not there and the post is refused
    assert "受理议题" not in r.content.decode()
    r = client.post(reverse("deliberation:topic_act", args=[topic.pk, "accept"]))
    assert r.status_code == 403
    topic.refresh_from_db()
    assert topic.status == "open"

    client.force_login(officer)
    client.post(reverse("deliberation:topic_act", args=[topic.pk, "accept"]), {"answer": ""})
    page = client.get(reverse("deliberation:topic", args=[topic.pk])).content.decode()
    assert "已受理，将提交议事会协商" in page and "形成决议" in page
    r = client.post(
        reverse("deliberation:topic_act", args=[topic.pk, "resolve"]),
        {"text": "同意加装电梯", "notice_days": "99"},
    )
    assert r.status_code == 400 and "公示期为1至30天" in r.content.decode()
    assert not Resolution.objects.exists()
    r = client.post(
        reverse("deliberation:topic_act", args=[topic.pk, "resolve"]),
        {"text": "经议事会协商，同意5号楼加装电梯。", "notice_days": "7"},
    )
    resolution = Resolution.objects.get(pk=_id(r))

    client.force_login(estate.people["tenant"])
    page = client.get(reverse("deliberation:resolution", args=[resolution.pk])).content.decode()
    assert "公示中" in page and "提出异议" in page
    client.post(
        reverse("deliberation:resolution_act", args=[resolution.pk, "object"]),
        {"text": "施工期间噪声怎么办？"},
    )
    objection = Objection.objects.get(resolution=resolution)
    client.force_login(estate.people["owner_zhou"])  # another resident: objector not named
    page = client.get(reverse("deliberation:resolution", args=[resolution.pk])).content.decode()
    assert "施工期间噪声怎么办" in page and "张租户" not in page

    client.force_login(officer)
    page = client.get(reverse("deliberation:resolution", args=[resolution.pk])).content.decode()
    assert "张租户" in page and "公示期内" in page  # staff see who; not yet carried out
    client.post(
        reverse("deliberation:resolution_act", args=[resolution.pk, "answer"]),
        {"objection": objection.pk, "answer": "施工限定在工作日白天。"},
    )
    with time_machine.travel(resolution.notice_ends + dt.timedelta(minutes=1)):
        client.force_login(officer)
        r = client.post(
            reverse("deliberation:resolution_act", args=[resolution.pk, "project"]),
            {"starts_on": "2027-03-01", "ends_on": "2027-02-01"},
        )
        assert r.status_code == 400 and "不能早于开始日期" in r.content.decode()
        assert not Project.objects.exists()
        client.post(
            reverse("deliberation:resolution_act", args=[resolution.pk, "project"]),
            {"starts_on": "2027-03-01", "ends_on": "2027-08-31"},
        )
        page = client.get(reverse("deliberation:resolution", args=[resolution.pk])).content
    project = Project.objects.get()
    assert project.kind == "consultative" and project.title == "5号楼加装电梯"
    assert "立为协商式治理项目" in page.decode() and "落实中" in page.decode()
    listing = client.get(reverse("deliberation:resolutions") + "?state=落实中").content.decode()
    assert "5号楼加装电梯" in listing


def test_an_outsider_sees_no_topic_and_cannot_act(client, world, estate):
    client.force_login(estate.people["owner_chen"])
    r = client.post(reverse("deliberation:topic_new"), {"title": "加装电梯"})
    topic = Topic.objects.get(pk=_id(r))
    client.force_login(world.personas["outsider"])
    assert client.get(reverse("deliberation:topic", args=[topic.pk])).status_code == 404
    r = client.post(reverse("deliberation:topic_act", args=[topic.pk, "second"]))
    assert r.status_code == 404
    assert "加装电梯" not in client.get(reverse("deliberation:topics")).content.decode()
    topic.refresh_from_db()
    assert topic.seconds == 0


def test_staff_turn_a_case_into_a_topic_by_its_number(client, world, estate, cw):
    from doorstep.cogov.services import file_case

    officer = world.personas["community_officer"]
    case = file_case(actor=officer, category=cw.repair, node=world.grid_a,
                     title="小区停车位分配争议", description="业主对车位分配有分歧")  # fmt: skip
    client.force_login(officer)
    r = client.post(reverse("deliberation:topic_new"), {"case_number": "NOPE-1"})
    assert r.status_code == 400 and "找不到该工单" in r.content.decode()
    r = client.post(reverse("deliberation:topic_new"), {"case_number": case.number})
    topic = Topic.objects.get(pk=_id(r))
    assert (topic.source, topic.case) == ("case", case)


def test_staff_turn_an_open_need_into_a_topic_once(client, world):
    from doorstep.cogov.services import record_need

    officer = world.personas["community_officer"]
    need = record_need(actor=officer, node=world.grid_a, title="小区停车难，需统一规划",
                       field="property", wants="venue", detail="晚间车位紧张")  # fmt: skip
    client.force_login(world.personas["resident"])
    assert "topic-from-need" not in client.get(reverse("deliberation:topics")).content.decode()
    r = client.post(reverse("deliberation:topic_new"), {"need": need.pk})
    assert r.status_code == 400 and not Topic.objects.exists()
    client.force_login(officer)
    page = client.get(reverse("deliberation:topics")).content.decode()
    assert f'<option value="{need.pk}">小区停车难，需统一规划（清华东路第一网格）</option>' in page
    r = client.post(reverse("deliberation:topic_new"), {"need": need.pk})
    topic = Topic.objects.get(pk=_id(r))
    assert (topic.source, topic.need, topic.node) == ("need", need, world.community_1)
    assert topic.detail == "晚间车位紧张"
    assert "topic-from-need" not in client.get(reverse("deliberation:topics")).content.decode()
    r = client.post(reverse("deliberation:topic_new"), {"need": need.pk})
    assert r.status_code == 400 and "已转为议题" in r.content.decode()
    assert Topic.objects.count() == 1
