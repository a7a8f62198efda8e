"""Cockpit tables to Excel (audited, scoped) and the year-on-year change."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from doorstep.cases.rates import rates_for
from doorstep.cockpit.templatetags.cockpit_tags import change
from doorstep.core.models import AuditEntry

from .test_cockpit_figures import _play

pytestmark = pytest.mark.django_db


def test_the_compare_table_exports_to_excel_with_the_pages_figures(cw, client):
    _play(cw, 10, 7)
    w = cw.world
    client.force_login(cw.personas["street_officer"])
    r = client.get(f"/cockpit/{w.street.pk}/export/compare.xlsx")
    assert r.status_code == 200
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"清华东路社区", "二里庄社区"}
    from django.utils import timezone

    today = timezone.localdate()
    expected = rates_for(w.community_1, today.replace(day=1), today)
    assert by_name["清华东路社区"][1] == expected["received"]
    assert by_name["清华东路社区"][3] == expected["closing_rate"]
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.detail["what"] == "cockpit:compare"
    for table in ("categories", "trend"):
        assert client.get(f"/cockpit/{w.street.pk}/export/{table}.xlsx").status_code == 200
    assert client.get(f"/cockpit/{w.street.pk}/export/people.xlsx").status_code == 404


def test_exports_follow_scope_and_write_nothing_when_refused(world, client):
    client.force_login(world.personas["community_officer"])
    before = AuditEntry.objects.filter(action="export").count()
    assert client.get(f"/cockpit/{world.street.pk}/export/compare.xlsx").status_code == 404
    r = client.get(f"/cockpit/{world.community_1.pk}/export/trend.xlsx", {"end": "x"})
    assert r.status_code == 400
    assert AuditEntry.objects.filter(action="export").count() == before


def test_change_against_an_earlier_figure():
    assert change(12, 10) == "+2（+20.0%）"
    assert change(9, 12) == "-3（-25.0%）"
    assert change(5, 5) == "持平"
    assert change(5, 0) == "—" and change(None, 3) == "—"


def test_the_page_shows_year_on_year(cw, client):
    _play(cw, 4, 8)
    client.force_login(cw.personas["street_officer"])
    page = client.get(f"/cockpit/{cw.world.street.pk}/").content.decode()
    assert 'id="year-on-year"' in page and "同比" in page and "导出 Excel" in page
