"""The grid map's measures equal direct counts; outlines come from the grids' buildings."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.utils import timezone

from doorstep.atlas.places.models import Building, Household
from doorstep.cases.models import Case, Rollup
from doorstep.cockpit.gridmap import grid_map
from doorstep.cockpit.panels import Period

from .test_cockpit_figures import _play

pytestmark = pytest.mark.django_db


def test_grid_measures_equal_direct_counts(cw):
    _play(cw, 10, 11)
    w = cw.world
    for lat, lon, building in ((40.0, 116.35, w.building_a), (40.001, 116.351, w.building_b)):
        Building.objects.filter(pk=building.pk).update(lat=lat, lon=lon)
    first = Case.objects.open().filter(territory=w.grid_a).order_by("id").first()
    assert first is not None
    Case.objects.filter(pk=first.pk).update(flag="overdue")
    today = timezone.localdate()
    period = Period(today.replace(day=1), today)
    rows = {r["name"]: r for r in grid_map(w.street, period)["grids"]}
    assert set(rows) == {w.grid_a.name, w.grid_b.name, w.grid_c.name}
    for grid in (w.grid_a, w.grid_b, w.grid_c):
        row = rows[grid.name]
        homes = Household.objects.filter(grid=grid).count()
        received = (
            Rollup.objects.filter(
                organisation=grid, day__gte=period.start, day__lte=period.end
            ).aggregate(n=Sum("received"))["n"]
            or 0
        )
        assert row["households"] == homes and row["received"] == received
        assert row["density"] == (round(received * 100 / homes, 1) if homes else None)
        assert row["overdue"] == Case.objects.open().filter(territory=grid, flag="overdue").count()
    # no stored boundary yet: the hull of the buildings
    assert rows[w.grid_a.name]["shapes"] == [[[[40.0, 116.35]]]]  # one building: a point
    assert rows[w.grid_c.name]["shapes"] == []  # no located building
    assert rows[w.grid_a.name]["url"] == f"/cockpit/{w.grid_a.pk}/"
    # a community's map holds only its own grids
    assert {r["name"] for r in grid_map(w.community_1, period)["grids"]} == {
        w.grid_a.name,
        w.grid_b.name,
    }


def test_the_trend_groups_by_day_week_or_month_and_sums_the_same(cw):
    import datetime as dt

    from doorstep.cockpit.panels import cases as case_panel

    _play(cw, 10, 12)
    w = cw.world
    today = timezone.localdate()
    total = (
        Rollup.objects.filter(organisation=w.street, day__lte=today).aggregate(n=Sum("received"))[
            "n"
        ]
        or 0
    )
    for days, step in ((30, "day"), (200, "week"), (800, "month")):
        panel = case_panel(w.street, Period(today - dt.timedelta(days=days), today))
        assert panel["trend_step"] == step
        assert sum(r[1] for r in panel["trend"]) == total == panel["rates"]["received"]
