"""The cockpit's kept figures (core/figure_cache.py) equal freshly computed ones after each
kind of write a district makes — cases played through the services, a new resident, a
published activity once it has begun (a change by the clock alone) — and a repeat asks
the database nothing. The writes commit (transaction=True), as in production."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from doorstep.atlas.people import services as people
from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cockpit.gridmap import grid_map
from doorstep.cockpit.panels import Period, cockpit, compared_kept
from doorstep.nearby.activities import services as activities

pytestmark = pytest.mark.django_db(transaction=True)


def _figures(org, period, today) -> dict:
    return {
        **cockpit(org, period, today),
        "map": grid_map(org, period),
        "compared": compared_kept(org, period),  # the briefing's, in three entries
    }


def _fresh(settings, org, period, today):
    settings.FIGURE_CACHE = False
    try:
        return _figures(org, period, today)
    finally:
        settings.FIGURE_CACHE = True


def test_kept_cockpit_figures_follow_every_write(cw, settings, django_assert_num_queries):
    w, p = cw.world, cw.personas
    today = timezone.localdate()
    period = Period(
        today - dt.timedelta(days=20), today + dt.timedelta(days=2)
    )  # holds the activity below
    nodes = (w.street, w.community_1, w.grid_a)

    def check() -> list[dict]:
        shown = []
        for org in nodes:
            kept = _figures(org, period, today)
            assert kept == _fresh(settings, org, period, today), org.name
            shown.append(kept)
        return shown

    before = check()
    check()
    with django_assert_num_queries(0):
        assert [_figures(org, period, today) for org in nodes] == before

    case = cases.create_case(
        actor=p["resident"], category=cw.repair, description="楼道灯不亮",
        location=locate(building=w.building_a),
    )  # fmt: skip
    cases.perform(case, "accept", actor=p["community_officer"])
    after_case = check()
    assert after_case[0]["cases"]["rates"]["received"] == (
        before[0]["cases"]["rates"]["received"] + 1
    )
    assert after_case[0]["compared"]["received"] == before[0]["compared"]["received"] + 1
    grid_a = [row for row in after_case[0]["map"]["grids"] if row["id"] == w.grid_a.pk]
    assert grid_a[0]["received"] == 1 + sum(
        row["received"] for row in before[0]["map"]["grids"] if row["id"] == w.grid_a.pk
    )

    people.create_resident(
        household=w.household_a, name="新住户", residence_type="registered",
        actor=p["community_officer"],
    )  # fmt: skip
    after_resident = check()
    assert after_resident[0]["population"]["residents"] == (
        after_case[0]["population"]["residents"] + 1
    )

    starts = timezone.now() + dt.timedelta(hours=2)
    activities.publish(
        actor=p["community_officer"], title="楼道议事会", kind="meeting",
        organiser=w.community_1, territory=w.grid_a, address="静淑苑活动室",
        starts_at=starts, ends_at=starts + dt.timedelta(hours=1), capacity=20,
    )  # fmt: skip
    not_yet = check()
    assert not_yet[0]["services"]["activities"] == after_resident[0]["services"]["activities"]
    with time_machine.travel(starts + dt.timedelta(minutes=5)):
        begun = check()  # no write since: the clock alone
    assert begun[0]["services"]["activities"] == not_yet[0]["services"]["activities"] + 1
