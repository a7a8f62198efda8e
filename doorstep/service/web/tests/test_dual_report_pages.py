"""双报到 on pages (acceptance): a member asks on a page, the community confirms, the party
roll shows it, the member may then take the community's posts as a dual report."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doorstep.atlas.people.models import PartyMember
from doorstep.core.testing import make_user
from doorstep.inbox.models import Notification
from doorstep.service import teams
from doorstep.service.models import DualReport, DualStatus

pytestmark = pytest.mark.django_db


def ask(client, world, **extra):
    data = {"community": world.community_1.pk, "work_unit": "海淀区某局", "skills": "法律咨询"}
    data.update(extra)
    return client.post(reverse("serve:dual_report"), data)


def test_a_member_reports_the_community_confirms_and_the_roll_shows_it(
    world, client, django_capture_on_commit_callbacks
):
    member_user = world.personas["party_member"]
    client.force_login(member_user)
    page = client.get(reverse("serve:dual_report")).content.decode()
    assert "您还没有到社区报到" in page and world.community_1.name in page
    with django_capture_on_commit_callbacks(execute=True):
        assert ask(client, world).status_code == 302
    report = DualReport.objects.get()
    assert report.status == DualStatus.PENDING and report.work_unit == "海淀区某局"
    assert "正在等待社区确认" in client.get(reverse("serve:dual_report")).content.decode()
    # asking twice is refused, nothing new written
    r = ask(client, world)
    assert r.status_code == 409 and DualReport.objects.count() == 1

    officer = world.personas["community_officer"]
    assert Notification.objects.filter(user=officer, kind="dual_report").exists()
    client.force_login(officer)
    listed = client.get(reverse("serve:dual_reports"))
    assert listed.context["page"].paginator.count == 1
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("serve:dual_decide", args=[report.pk]), {"decision": "confirm"})
    assert r.status_code == 302
    member = PartyMember.objects.get(pk=world.member.pk)
    assert member.in_service and member.reported_community == world.community_1
    assert member.work_unit == "海淀区某局" and member.reported_on is not None
    roll = client.get(reverse("atlas:party_members"), {"in_service": "1"}).content.decode()
    assert f"已报到{world.community_1.name}" in roll
    assert Notification.objects.filter(user=member_user, kind="dual_report").exists()
    # the member may now take a community post as a dual report
    post = teams.create_post(actor=officer, organisation=world.grid_a, title="楼道长")
    holding = teams.apply(post, member_user, dual_report=True)
    assert holding.dual_report


def test_declining_needs_a_reason_and_strangers_change_nothing(world, client):
    client.force_login(world.personas["party_member"])
    ask(client, world)
    report = DualReport.objects.get()
    client.force_login(world.personas["community_officer"])
    client.post(reverse("serve:dual_decide", args=[report.pk]), {"decision": "decline"})
    assert DualReport.objects.get().status == DualStatus.PENDING  # no reason: refused
    other = make_user("c2", "二里庄干部", ("community_staff", world.community_2))
    client.force_login(other)
    r = client.post(reverse("serve:dual_decide", args=[report.pk]), {"decision": "confirm"})
    assert r.status_code == 404
    client.force_login(world.personas["resident"])
    assert client.get(reverse("serve:dual_reports")).status_code == 403
    r = client.post(reverse("serve:dual_decide", args=[report.pk]), {"decision": "confirm"})
    assert r.status_code == 403
    assert client.get(reverse("serve:dual_report")).status_code == 403  # not a party member
    assert DualReport.objects.get().status == DualStatus.PENDING
    assert PartyMember.objects.get(pk=world.member.pk).reported_community is None
    client.force_login(world.personas["community_officer"])
    client.post(
        reverse("serve:dual_decide", args=[report.pk]),
        {"decision": "decline", "reason": "请先到单位开具报到介绍信"},
    )
    assert DualReport.objects.get().status == DualStatus.DECLINED
    client.force_login(world.personas["party_member"])
    page = client.get(reverse("serve:dual_report")).content.decode()
    assert "请先到单位开具报到介绍信" in page


def test_bad_input_gets_a_message(world, client):
    client.force_login(world.personas["party_member"])
    r = ask(client, world, work_unit="")
    assert r.status_code == 400 and "请填写工作单位" in r.content.decode()
    r = ask(client, world, work_unit="单位\x07名")
    assert r.status_code == 400
    r = ask(client, world, community="999999")
    assert r.status_code == 400 and "请选择要报到的社区" in r.content.decode()
    assert not DualReport.objects.exists()
