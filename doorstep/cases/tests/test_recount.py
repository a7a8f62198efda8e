"""The rollups kept with each event equal a recount from the events; the command tells."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from doorstep.cases import category_rollups, rollups, services
from doorstep.cases.calendar import TZ
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, Rollup
from doorstep.cases.sweep import sweep

pytestmark = pytest.mark.django_db


def file(cw, text: str, category=None) -> Case:
    return services.create_case(
        actor=cw.personas["resident"],
        category=category or cw.repair,
        description=text,
        location=locate(building=cw.world.building_a),
    )


def mixed_history(cw) -> None:
    """Moves of many kinds, spread over several local days (so over several rollup rows)."""
    p, w = cw.personas, cw.world
    officer, member = p["community_officer"], p["party_member"]
    with time_machine.travel(dt.datetime(2026, 9, 28, 23, 30, tzinfo=TZ)) as clock:
        # pool → claim → resolve → verify → rate 满意
        a = services.perform(file(cw, "甲"), "accept", actor=officer)
        a = services.perform(a, "publish", actor=officer)
        a = services.perform(a, "claim", actor=member)
        clock.shift(dt.timedelta(hours=1))  # past local midnight: a new day's rows
        a = services.perform(a, "start", actor=member)
        a = services.perform(a, "resolve", actor=member, note="已修")
        a = services.perform(a, "verify", actor=officer)
        services.perform(a, "rate", actor=p["resident"], rating="satisfied", solved=True)
        # dispatch → return → dispatch again → sign → resolve → 不满意 重办 → resolve
        b = services.perform(file(cw, "乙"), "accept", actor=officer)
        b = services.perform(b, "dispatch", actor=officer, lead=w.grid_a)
        b = services.perform(b, "return", actor=p["grid_worker_a"], note="不属本网格")
        b = services.perform(b, "dispatch", actor=officer, lead=member)
        b = services.perform(b, "sign", actor=member)
        b = services.perform(b, "start", actor=member)
        b = services.perform(b, "resolve", actor=member, note="处理完毕")
        b = services.perform(b, "verify", actor=officer)
        b = services.perform(b, "reopen", actor=p["resident"], solved=False, comment="没修好")
        clock.shift(dt.timedelta(days=2))
        b = services.perform(b, "resolve", actor=member, note="重新处理")
        b = services.perform(b, "verify", actor=officer)
        # patrol → escalate → whistle → report in → close
        c = services.create_case(
            actor=p["grid_worker_a"],
            category=cw.hazard,
            description="井盖缺失",
            location=locate(building=w.building_a),
            kind="patrol",
            source="patrol",
            draft=True,
        )
        c = services.perform(c, "submit", actor=p["grid_worker_a"])
        c = services.perform(c, "accept", actor=officer)
        c = services.perform(c, "escalate", actor=officer, note="需部门")
        c = services.perform(
            c, "whistle", actor=p["street_officer"], departments=[cw.dept_city, cw.dept_housing]
        )
        c = services.perform(c, "report_in", actor=p["liaison_city"])
        clock.shift(dt.timedelta(hours=2))  # the housing office reports late
        c = services.perform(c, "report_in", actor=p["liaison_housing"])
        c = services.perform(c, "resolve", actor=p["liaison_city"], note="已补装")
        services.perform(c, "verify_close", actor=p["street_officer"])
        # a request still waiting, and a cancelled one
        file(cw, "丙")
        d = services.perform(file(cw, "丁"), "cancel", actor=officer, note="重复")
        assert d.status == "cancelled"
        # the sweep closes b when its rating window ends, and archives later
        clock.shift(dt.timedelta(days=8))
        assert sweep().ratings_expired == 1
        clock.shift(dt.timedelta(days=31))
        assert sweep().archived >= 1


def test_rollups_equal_a_recount_after_mixed_moves(cw):
    mixed_history(cw)
    stored, counted = rollups.stored(), rollups.recount_from_events()
    assert stored == counted
    days = {day for _org, day in stored}
    assert len(days) >= 3
    totals = {
        f: sum(r.get(f, 0) for (o, _d), r in stored.items() if o == cw.world.street.pk)
        for f in ("received", "closed", "reopened", "returned", "whistles", "summoned", "rated")
    }
    assert totals == {
        "received": 3,
        "closed": 3,
        "reopened": 1,
        "returned": 1,
        "whistles": 1,
        "summoned": 2,
        "rated": 2,
    }
    out = StringIO()
    call_command("recount_case_rollups", stdout=out)
    assert "一致" in out.getvalue()
    by_category = category_rollups.stored()
    assert by_category == category_rollups.recount_from_events()
    street_rows = [r for (o, _m, _c), r in by_category.items() if o == cw.world.street.pk]
    assert sum(r.get("received", 0) for r in street_rows) == totals["received"]
    assert sum(r.get("closed", 0) for r in street_rows) == totals["closed"]


def test_a_tampered_category_rollup_is_found_and_fixed(cw):
    from doorstep.cases.models import CategoryRollup

    mixed_history(cw)
    row = CategoryRollup.objects.filter(organisation=cw.world.street, closed__gt=0).first()
    assert row is not None
    CategoryRollup.objects.filter(pk=row.pk).update(closed=F("closed") + 2)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("recount_case_rollups", stdout=out)
    assert f"分类 {row.category_id} closed: 统计表 {row.closed + 2}" in out.getvalue()
    call_command("recount_case_rollups", "--fix", stdout=StringIO())
    assert category_rollups.stored() == category_rollups.recount_from_events()


def test_a_tampered_rollup_is_found_and_fixed(cw):
    mixed_history(cw)
    street = cw.world.street
    row = Rollup.objects.filter(organisation=street, closed__gt=0).first()
    assert row is not None
    Rollup.objects.filter(pk=row.pk).update(closed=F("closed") + 1)  # tampered
    Rollup.objects.filter(organisation=cw.world.grid_a).first().delete()  # lost
    Rollup.objects.create(organisation=cw.dept_city, day=row.day, received=5)  # invented

    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("recount_case_rollups", stdout=out)
    assert failed.value.returncode != 0
    report = out.getvalue()
    assert f"组织 {street.pk} {row.day} closed: 统计表 {row.closed + 1}" in report
    assert f"组织 {cw.dept_city.pk} {row.day} received: 统计表 5，按事件重算 0" in report
    assert rollups.stored() != rollups.recount_from_events()

    out = StringIO()
    call_command("recount_case_rollups", "--fix", stdout=out)
    assert "已按事件重写" in out.getvalue()
    assert rollups.stored() == rollups.recount_from_events()
    out = StringIO()
    call_command("recount_case_rollups", stdout=out)
    assert "一致" in out.getvalue()
