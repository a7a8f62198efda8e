"""Self-reported hours: evidence required, no overlaps, pending until a staff member of
the area approves (never the reporter); verified records change only with a second
person; the two ledgers never mix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from doorstep.service import ledger, records
from doorstep.service.errors import Conflict, Denied, ServiceError
from doorstep.service.models import PointLine, RecordEdit, ServiceRecord

from .helpers import hours_ago, photo, second_staff

pytestmark = pytest.mark.django_db


def _report(world, user=None, start=5.0, end=3.0, **extra):
    s, e = hours_ago(start, end)
    fields = {
        "user": user or world.personas["party_member"],
        "organisation": world.community_1,
        "started_at": s,
        "ended_at": e,
        "description": "陪同独居老人就医",
        "evidence": photo(),
    }
    fields.update(extra)
    return records.self_report(**fields)


def test_a_self_report_waits_in_its_own_ledger_until_approved(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    member = world.personas["party_member"]
    record = _report(world)
    assert record.status == "pending" and record.hours == Decimal("2.00")
    assert records.totals(member) == {"verified": Decimal("0"), "pending": Decimal("2.00")}
    assert not PointLine.objects.exists()
    records.approve(record, actor=world.personas["community_officer"])
    assert records.totals(member) == {"verified": Decimal("2.00"), "pending": Decimal("0")}
    line = PointLine.objects.get()
    assert line.rule == "service_hours" and line.amount == 4  # 2 points an hour
    assert ledger.recount() == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"evidence": None}, "请上传佐证材料"),
        ({"start": 3.0, "end": 5.0}, "结束时间必须晚于开始时间"),
        ({"start": 20.0, "end": 1.0}, "单次申报不超过12小时"),
        ({"start": 1.0, "end": -1.0}, "不能申报尚未结束的服务"),
        ({"description": "  "}, "请填写服务内容"),
        ({"evidence_name": "x.exe"}, "佐证材料须为照片"),
    ],
)
def test_bad_self_reports_are_refused_and_write_nothing(world, settings, tmp_path, extra, message):
    settings.MEDIA_ROOT = tmp_path
    name = extra.pop("evidence_name", None)
    if name:
        extra["evidence"] = photo(name)
    with pytest.raises(ServiceError, match=message):
        _report(world, **extra)
    assert not ServiceRecord.objects.exists()


def test_overlapping_hours_are_refused(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _report(world, start=5.0, end=3.0)
    with pytest.raises(Conflict, match="时间重叠"):
        _report(world, start=4.0, end=2.0)
    _report(world, start=3.0, end=2.0)  # back to back is fine
    assert ServiceRecord.objects.count() == 2


def test_only_staff_of_the_area_approve_and_never_their_own(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    record = _report(world)
    for persona in ("party_member", "volunteer", "resident", "grid_worker_b"):
        user = world.personas.get(persona)
        if user is None:
            continue
        with pytest.raises(Denied):
            records.approve(record, actor=user)
    officer = world.personas["community_officer"]
    own = _report(world, user=officer, start=9.0, end=8.0)
    with pytest.raises(Denied, match="本人"):
        records.approve(own, actor=officer)
    assert set(ServiceRecord.objects.values_list("status", flat=True)) == {"pending"}
    with pytest.raises(ServiceError, match="原因"):
        records.reject(record, actor=officer, reason="")
    records.reject(record, actor=officer, reason="照片与内容不符")
    record.refresh_from_db()
    assert record.status == "rejected" and record.decline_reason == "照片与内容不符"


def test_two_staff_on_one_stale_view_one_approval(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    record = _report(world)
    seen_a = ServiceRecord.objects.get(pk=record.pk)
    seen_b = ServiceRecord.objects.get(pk=record.pk)
    records.approve(seen_a, actor=world.personas["community_officer"])
    with pytest.raises(Conflict, match="已被他人审核"):
        records.approve(seen_b, actor=second_staff(world))
    assert PointLine.objects.count() == 1
    assert ServiceRecord.objects.get(pk=record.pk).decided_by == world.personas["community_officer"]


def test_a_verified_record_changes_only_when_a_second_person_agrees(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    member = world.personas["party_member"]
    officer, other = world.personas["community_officer"], second_staff(world)
    record = _report(world)
    records.approve(record, actor=officer)
    record.refresh_from_db()
    edit = records.propose_edit(
        record, actor=officer, hours=Decimal("1.5"), description="", reason="就医实际1.5小时"
    )
    with pytest.raises(Denied, match="另一名"):
        records.decide_edit(edit, actor=officer, agree=True)
    with pytest.raises(Conflict, match="待复核"):
        records.propose_edit(record, actor=other, hours=Decimal("1"), description="", reason="再改")
    assert ServiceRecord.objects.get(pk=record.pk).hours == Decimal("2.00")
    records.decide_edit(edit, actor=other, agree=True)
    record.refresh_from_db()
    assert record.hours == Decimal("1.50")
    edit = RecordEdit.objects.get()
    assert (edit.old_hours, edit.new_hours, edit.status) == (
        Decimal("2.00"),
        Decimal("1.50"),
        "applied",
    )
    # the points follow: 4 granted, 4 reversed, 3 granted again
    amounts = list(PointLine.objects.filter(user=member).order_by("id").values_list("amount"))
    assert [a for (a,) in amounts] == [4, -4, 3]
    assert ledger.recount() == []
