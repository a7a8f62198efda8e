"""Project pages: from a confirmed match to a rated project, through the pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doorstep.cogov import matching, services
from doorstep.cogov.models import Project

pytestmark = pytest.mark.django_db


def _confirmed(co):
    need = services.record_need(
        actor=co.p["community_officer"], node=co.world.grid_a, title="外卖骑手歇脚",
        field="new_workers", wants="service",
    )  # fmt: skip
    resource = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="夜间义诊", kind="service",
        fields=["new_workers"], capacity="20", unit="hours",
    )  # fmt: skip
    m = matching.accept(actor=co.p["community_officer"], need=need, resource=resource, amount="8")
    return matching.confirm(actor=co.p["liaison_904"], match=m)


def _act(client, project, act, **data):
    return client.post(reverse("cogov:project_act", args=[project.pk, act]), data, follow=True)


def _move(client, project, code, **data):
    project.refresh_from_db()
    r = _act(client, project, "move", move=code, version=project.version, **data)
    assert r.status_code == 200
    return r.content.decode()


def test_from_a_match_to_a_rated_project_on_the_pages(co, client):
    match = _confirmed(co)
    client.force_login(co.p["community_officer"])
    body = client.get(reverse("cogov:need", args=[match.need_id])).content.decode()
    assert f"/cogov/projects/new/?match={match.pk}" in body
    r = client.post(
        reverse("cogov:project_new") + f"?match={match.pk}",
        {"match": match.pk, "title": "骑手爱心驿站", "kind": "service",
         "starts_on": "2026-03-01", "ends_on": "2026-06-30"},
    )  # fmt: skip
    project = Project.objects.get()
    assert r["Location"] == reverse("cogov:project", args=[project.pk])
    body = _act(client, project, "milestone", title="动员", due_on="2026-02-01").content.decode()
    assert "节点日期不能早于项目开始日期" in body and not project.milestones.exists()
    _act(client, project, "milestone", title="选址", due_on="2026-03-15")
    _act(client, project, "budget", item="桌椅饮水机", source="fund", amount="3000")
    assert "3000 元" in _move(client, project, "submit")
    client.force_login(co.p["street_officer"])
    _move(client, project, "approve")
    client.force_login(co.p["community_officer"])
    _move(client, project, "start")
    body = _move(client, project, "finish")
    assert "还有未完成的节点" in body
    _act(client, project, "milestone_done", milestone=project.milestones.get().pk, note="选在东门")
    _act(client, project, "served", volunteers="12", served="126")
    _move(client, project, "finish")
    client.force_login(co.p["street_officer"])
    _move(client, project, "pass")
    # A resident of the grid finds it on the published lists and rates it.
    client.force_login(co.p["resident"])
    lists = client.get(reverse("cogov:public", args=[co.world.community_1.pk])).content.decode()
    assert "骑手爱心驿站" in lists and "公示中" in lists
    body = client.get(reverse("cogov:project", args=[project.pk])).content.decode()
    assert "评价这个项目" in body
    body = _act(client, project, "rate", stars="5", comment="很方便").content.decode()
    assert "感谢您的评价" in body and "5.0 星（1 人评价）" in body
    client.force_login(co.p["community_officer"])
    body = _move(client, project, "close")
    project.refresh_from_db()
    assert project.status == "rated" and project.served == 126
    steps = re.findall(
        r"：(申报|提交审核|批准立项|开始实施|完工，申请验收|验收通过，公示|结束公示与评价)", body
    )
    assert steps == [
        "申报",
        "提交审核",
        "批准立项",
        "开始实施",
        "完工，申请验收",
        "验收通过，公示",
        "结束公示与评价",
    ]


def test_others_cannot_move_or_see_a_project_in_progress(co, client):
    match = _confirmed(co)
    client.force_login(co.p["community_officer"])
    client.post(
        reverse("cogov:project_new"),
        {"match": match.pk, "title": "骑手驿站", "kind": "service",
         "starts_on": "2026-03-01", "ends_on": "2026-06-30"},
    )  # fmt: skip
    project = Project.objects.get()
    for persona in ("resident", "grid_worker_b", "liaison_theatre"):
        client.force_login(co.p[persona])
        assert client.get(reverse("cogov:project", args=[project.pk])).status_code == 404
        r = client.post(
            reverse("cogov:project_act", args=[project.pk, "move"]),
            {"move": "withdraw", "note": "x"},
        )
        assert r.status_code == 404
    client.force_login(co.p["liaison_904"])  # the partner unit follows it, cannot move it
    assert client.get(reverse("cogov:project", args=[project.pk])).status_code == 200
    _act(client, project, "move", move="withdraw", note="不做了")
    assert Project.objects.get().status == "proposed"
