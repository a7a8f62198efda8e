"""KPIs by top-level category and month equal a direct count over the cases' events."""

from __future__ import annotations

import pytest
from django.utils import timezone

from doorstep.cases.models import CaseEvent
from doorstep.cockpit.kpis import by_category_and_month, roots

from .test_cockpit_figures import _play

pytestmark = pytest.mark.django_db


def test_kpis_by_category_and_month_equal_direct_counts(cw):
    _play(cw, 14, 21)
    w = cw.world
    today = timezone.localdate()
    rows = by_category_and_month(w.street, today.replace(month=1, day=1), today)
    top = roots()
    direct: dict[tuple[int, str], dict[str, int]] = {}
    for event in CaseEvent.objects.select_related("case"):
        month = timezone.localtime(event.at).date().replace(day=1)
        key = (top[event.case.category_id][0], month)
        counts = direct.setdefault(key, {"received": 0, "closed": 0})
        if event.data.get("received"):
            counts["received"] += 1
        if event.to_status == "closed" and event.data.get("closing"):
            counts["closed"] += 1
    got = {(r["category"], r["month"]): {"received": r["received"], "closed": r["closed"]}
           for r in rows}  # fmt: skip
    assert got == {k: v for k, v in direct.items() if any(v.values())}
    assert all(r["name"] for r in rows)
    for r in rows:
        if r["received"]:
            assert r["closing_rate"] == round(r["closed"] / r["received"], 4)
