"""The audit log page: objects named as the site shows them (a person masked, never
enough to rebuild the name or number), and filters by action, account, object type,
object and day."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from doorstep.atlas.people import services as people
from doorstep.atlas.people.models import Resident
from doorstep.core import audit
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD

pytestmark = pytest.mark.django_db

URL = reverse("atlas:audit")


@pytest.fixture
def entries(world):
    officer = world.personas["community_officer"]
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)):
        audit.record(actor=officer, action=AuditAction.UNMASK, target=world.planted)
        audit.record(actor=world.personas["street_officer"], action=AuditAction.EXPORT,
                     target=world.community_1)  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)):
        audit.record(actor=officer, action=AuditAction.UPDATE, target=world.resident_b)
    return world


def _rows(client, **params) -> list[str]:
    page = client.get(URL, params)
    assert page.status_code == 200
    body = page.content.decode()
    return [row for row in body.split("<tr>")[2:] if "</td>" in row and "没有符合条件" not in row]


def test_objects_are_readable_and_masked(entries, client):
    client.force_login(entries.personas["audit_admin"])
    body = client.get(URL).content.decode()
    assert "居民 王* 110…000X" in body
    assert "组织 清华东路社区" in body
    assert "王芳" not in body and PLANTED_ID_CARD not in body
    assert ">people.resident" not in body and "resident 8" not in body  # names, not codes


def test_filters_by_action_user_type_object_and_day(entries, client):
    client.force_login(entries.personas["audit_admin"])
    everything = _rows(client)
    assert len(everything) == AuditEntry.objects.count() > 3
    unmasks = _rows(client, action="unmask")
    assert len(unmasks) == 1 and "王* 110…000X" in unmasks[0]
    by_street = _rows(client, user=entries.personas["street_officer"].username)
    assert len(by_street) == 1 and "组织 清华东路社区" in by_street[0]
    residents = _rows(client, type="people.resident")
    assert residents and all(">居民 " in r for r in residents)
    assert len(residents) == AuditEntry.objects.filter(target_type="people.resident").count()
    one = _rows(client, type="people.resident", target=str(entries.resident_b.pk))
    assert one and all("張* 110…0038" in r for r in one)
    assert "修改" in one[0]  # newest first: the update made above
    days = _rows(client, since="2026-11-01", until="2026-11-02")
    assert len(days) == 2 and not any("修改" in r for r in days)
    late = _rows(client, since="2026-11-03", until="2026-11-30")
    assert len(late) == 1 and "修改" in late[0]
    # the type filter offers the types recorded, by their Chinese names
    page = client.get(URL).content.decode()
    assert '<option value="people.resident">居民</option>' in page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"since": "2026-13-01"}, "日期格式应为 年-月-日"),
        ({"since": "2026-11-20", "until": "2026-11-01"}, "不能早于起始日期（2026-11-20）"),
        ({"action": "drop_table"}, "动作"),
        ({"user": "x" * 151}, "账号"),
    ],
)
def test_a_bad_filter_is_explained_and_nothing_is_filtered(entries, client, params, message):
    client.force_login(entries.personas["audit_admin"])
    page = client.get(URL, params)
    body = page.content.decode()
    assert page.status_code == 200
    assert "筛选条件有误" in body and message in body
    assert f"共 {AuditEntry.objects.count()} 条" in body


def test_a_deleted_object_is_named_by_type_and_number(entries, client):
    pk = entries.resident_b.pk
    people.delete_resident(
        resident=Resident.objects.get(pk=pk), actor=entries.personas["community_officer"]
    )
    client.force_login(entries.personas["audit_admin"])
    body = client.get(URL, {"type": "people.resident"}).content.decode()
    assert f"居民 #{pk}（已删除）" in body
    assert "居民 王* 110…000X" in body  # the others are still named
