"""Changing a verified record takes two staff; link coverage per grid and building."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.service import records, visits
from doorstep.service.models import PointAccount, RecordEdit, ServiceRecord
from doorstep.service.tests.helpers import hours_ago, photo, second_staff

pytestmark = pytest.mark.django_db


def test_a_verified_record_is_changed_by_two_staff_through_the_pages(
    world, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    member = world.personas["party_member"]
    officer, other = world.personas["community_officer"], second_staff(world)
    start, end = hours_ago(5, 3)
    record = records.self_report(
        user=member, organisation=world.community_1, started_at=start, ended_at=end,
        description="陪同就医", evidence=photo(),
    )  # fmt: skip
    records.approve(record, actor=officer)
    client.force_login(officer)
    url = reverse("serve:edit_propose", args=[record.pk])
    r = client.post(url, {"hours": "abc", "reason": "x"})
    assert r.status_code == 400 and not RecordEdit.objects.exists()
    r = client.post(url, {"hours": "1.5", "reason": ""})
    assert r.status_code == 400 and not RecordEdit.objects.exists()
    assert client.post(url, {"hours": "1.5", "reason": "实际1.5小时"}).status_code == 302
    edit = RecordEdit.objects.get()
    page = client.get(reverse("serve:edits")).content.decode()
    assert "等待另一名工作人员复核" in page
    r = client.post(reverse("serve:edit_decide", args=[edit.pk]), {"agree": "1"})
    assert r.status_code == 403 and ServiceRecord.objects.get().hours == Decimal("2.00")
    client.force_login(other)
    client.post(reverse("serve:edit_decide", args=[edit.pk]), {"agree": "1"})
    assert ServiceRecord.objects.get().hours == Decimal("1.50")
    assert RecordEdit.objects.get().old_hours == Decimal("2.00")
    assert PointAccount.objects.get(user=member).balance == 3
    client.force_login(member)
    assert client.get(reverse("serve:edits")).status_code == 403


def test_link_coverage_per_grid_and_building(world, login):
    today = timezone.localdate()
    visits.log_visit(
        actor=world.personas["party_member"], household=world.household_a, visited_on=today,
        found="正常",
    )  # fmt: skip
    client = login("community_officer", world)
    page = client.get(reverse("serve:link_coverage")).content.decode()
    assert "联系户 <b>1</b> 户，期间走访 <b>1</b> 户，覆盖率 <b>100.0%</b>" in page
    assert "静淑苑1号楼" in page
    r = client.get(reverse("serve:link_coverage"), {"since": "2026-13-01"})
    assert r.status_code == 400 and "日期格式" in r.content.decode()
    r = client.get(reverse("serve:link_coverage"), {"org": world.community_2.pk})
    assert r.status_code == 404
    assert login("resident", world).get(reverse("serve:link_coverage")).status_code == 403
