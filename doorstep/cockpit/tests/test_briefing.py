"""The monthly briefing (工作简报): a valid .docx and an HTML page whose totals and rates equal
the cockpit's, the change against the previous month, month validation, scope and audit."""

from __future__ import annotations

import calendar
import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.utils import timezone
from django.utils.html import escape
from docx import Document
from PIL import Image

from doorstep.cases.models import Case
from doorstep.cases.rates import rates_for
from doorstep.cockpit.briefing import (
    COLOURS,
    BriefingError,
    Chart,
    change,
    compose,
    draw,
    number,
    percent,
)
from doorstep.cockpit.panels import Period, cockpit
from doorstep.core.models import AuditEntry
from doorstep.core.tests.test_officedoc import assert_filed_as_office_document

from .test_cockpit_figures import _play

pytestmark = pytest.mark.django_db


def _pct(rate):
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def test_a_chart_is_drawn_in_its_colours_to_scale():
    chart = Chart("件数", "bar", ["甲", "乙"], [("受理", [10.0, 5.0]), ("办结", [10.0, 0.0])])
    image = Image.open(io.BytesIO(draw(chart, width=240, height=130))).convert("RGB")
    # two label slots of 90 px from x = 40; bars of 36 px per series, bottom at y = 100
    first, second, gap = (40 + 9 + 18, 90), (40 + 9 + 36 + 18, 90), (40 + 90 + 9 + 36 + 18, 90)
    assert image.getpixel(first) == COLOURS[0] and image.getpixel(second) == COLOURS[1]
    assert image.getpixel(gap) == (255, 255, 255)  # 办结 of 乙 is nought: no bar
    # the peak (10) reaches the top of the axis at y = 20; half of it (乙's 受理) half-way
    assert image.getpixel((first[0], 22)) == COLOURS[0]
    half = 40 + 90 + 9 + 18
    assert image.getpixel((half, 62)) == COLOURS[0] and image.getpixel((half, 58)) != COLOURS[0]
    assert image.getpixel((40, 60)) == (90, 90, 90)  # the axis


def test_numbers_are_written_with_separators_and_one_decimal():
    assert number(1234) == "1,234" and number(5210) == "5,210" and number(None) == "—"
    assert number(12.5) == "12.5" and number(3.0) == "3"
    assert percent(0.9712) == "97.1%" and percent(None) == "—" and percent(1.0) == "100.0%"
    assert change(123, 111, "件") == "较上月增加 12 件（+10.8%）"
    assert change(9, 12, "场次") == "较上月减少 3 场次（-25.0%）"
    assert change(5, 5, "件") == "与上月持平"
    assert change(4, 0, "件") == "较上月增加 4 件"


def test_the_docx_holds_the_months_totals_and_rates_equal_to_the_cockpit(cw, client):
    _play(cw, 14, 5)
    w = cw.world
    today = timezone.localdate()
    first = today.replace(day=1)
    expected = rates_for(w.street, first, today)
    assert cockpit(w.street, Period(first, today), today)["cases"]["rates"] == expected
    assert expected["received"] > 0
    client.force_login(cw.personas["street_officer"])
    before = AuditEntry.objects.filter(action="export").count()
    r = client.get(f"/cockpit/{w.street.pk}/briefing.docx", {"month": f"{today:%Y-%m}"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    name = f"{w.street.name}-{today.year}年{today.month}月工作简报.docx"
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["Content-Disposition"].endswith(f"filename*=UTF-8''{quote(name)}")
    document = assert_filed_as_office_document(r.content)  # A4, 公文 margins and fonts
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        f"本月截至今日共受理群众诉求 {expected['received']:,} 件，其中已办结 {expected['closed']:,} 件，"
        f"办结率 {_pct(expected['closing_rate'])}"
    ) in text
    assert f"满意率 {_pct(expected['satisfaction_rate'])}" in text
    assert "截至今日" in text and f"{w.street.name}{today.year}年{today.month}月工作简报" in text
    # the children's rates as a table, and the charts embedded as pictures
    table = document.tables[0]
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert set(rows) == {w.community_1.name, w.community_2.name}
    own = rates_for(w.community_1, first, today)
    assert rows[w.community_1.name][1:4] == [
        f"{own['received']:,}", f"{own['closed']:,}", _pct(own["closing_rate"])
    ]  # fmt: skip
    assert len(document.inline_shapes) >= 2
    # best examples: cases closed this month and rated 满意, newest first, title and handler
    satisfied = Case.objects.filter(
        territory_path__startswith=w.street.path, closed_at__date__gte=first, rating="satisfied"
    ).order_by("-closed_at", "-pk")
    assert satisfied.exists()
    for case in satisfied[:3]:
        assert f"「{case.title}」（{case.category.name}），由{case.owner.name}办结" in text
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert AuditEntry.objects.filter(action="export").count() == before + 1
    assert entry.detail == {"what": "cockpit:briefing", "month": f"{today:%Y-%m}"}
    assert entry.target_id == str(w.street.pk)


def test_the_page_shows_the_same_sentences_as_the_document(cw, client):
    _play(cw, 10, 6)
    w = cw.world
    client.force_login(cw.personas["community_officer"])
    r = client.get(f"/cockpit/{w.community_1.pk}/briefing/")
    assert r.status_code == 200
    page = r.content.decode()
    docx = client.get(f"/cockpit/{w.community_1.pk}/briefing.docx")
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    briefing = compose(w.community_1, timezone.localdate())
    sentences = [s for section in briefing.sections for s in section.sentences]
    assert len(sentences) >= 5
    for sentence in sentences:
        assert escape(sentence) in page and sentence in paragraphs
    assert "本月截至今日共受理群众诉求" in page and "data:image/png;base64," in page
    # no personal data: neither the reporter's name nor their numbers
    from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE

    for private in ("王芳", PLANTED_PHONE, PLANTED_ID_CARD):
        assert private not in page and private not in "".join(paragraphs)
    node = client.get(f"/cockpit/{w.community_1.pk}/").content.decode()
    assert f'href="/cockpit/{w.community_1.pk}/briefing/?month=' in node and "工作简报" in node


def test_the_change_is_against_the_previous_month(cw):
    _play(cw, 8, 9)
    w = cw.world
    today = timezone.localdate()
    first = today.replace(day=1)
    received = rates_for(w.street, first, today)["received"]
    assert received > 0
    # seen from the last day of next month, this month is the previous month, in full
    later = _month_end(_month_end(today) + dt.timedelta(days=1))
    briefing = compose(w.street, later, later)
    assert not briefing.so_far and briefing.period == Period(later.replace(day=1), later)
    opening = briefing.sections[0].sentences[0]
    assert opening.startswith("本月共受理群众诉求 0 件，其中已办结 0 件，办结率 —，超期办结 0 件")
    assert f"受理量较上月减少 {received:,} 件（-100.0%）" in opening
    assert briefing.sections[1].sentences == ["本月暂无评价为满意的办结案例。"]


def test_a_month_not_yet_begun_or_malformed_is_refused_and_nothing_is_written(world, client):
    today = timezone.localdate()
    future = _month_end(today) + dt.timedelta(days=1)
    with pytest.raises(BriefingError):
        compose(world.street, future, today)
    client.force_login(world.personas["street_officer"])
    before = AuditEntry.objects.count()
    for url in (
        f"/cockpit/{world.street.pk}/briefing/",
        f"/cockpit/{world.street.pk}/briefing.docx",
    ):
        for month, message in (
            ("2026-13", "月份格式"),
            ("2026-00", "月份格式"),
            ("May", "月份格式"),
            ("1999-12", "超出范围"),
            (f"{future:%Y-%m}", "尚未开始"),
        ):
            r = client.get(url, {"month": month})
            assert r.status_code == 400, (url, month)
            assert message in r.content.decode(), (url, month)
    assert AuditEntry.objects.count() == before
    # a finished month is written in full, without "截至今日"
    last = today.replace(day=1) - dt.timedelta(days=1)
    r = client.get(f"/cockpit/{world.street.pk}/briefing/", {"month": f"{last:%Y-%m}"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "本月共受理群众诉求" in page and "截至今日" not in page


def test_the_briefing_follows_the_viewers_scope(world, client):
    p = world.personas
    client.force_login(p["community_officer"])
    before = AuditEntry.objects.filter(action="export").count()
    for org in (world.street, world.community_2):
        assert client.get(f"/cockpit/{org.pk}/briefing/").status_code == 404
        assert client.get(f"/cockpit/{org.pk}/briefing.docx").status_code == 404
    assert client.get(f"/cockpit/{world.community_1.pk}/briefing/").status_code == 200
    client.force_login(p["resident"])
    assert client.get(f"/cockpit/{world.community_1.pk}/briefing/").status_code == 404
    assert client.get(f"/cockpit/{world.community_1.pk}/briefing.docx").status_code == 404
    client.logout()
    assert client.get(f"/cockpit/{world.community_1.pk}/briefing.docx").status_code == 302
    assert AuditEntry.objects.filter(action="export").count() == before
